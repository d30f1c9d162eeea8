"""gunicorn settings for AssetLink's web process (Procfile: `web`).

Everything can be overridden on the command line or with GUNICORN_CMD_ARGS;
the defaults suit a small VM or container (2 CPUs).
"""
import multiprocessing
import os

from shopify_app.envfile import load_dotenv_file

# Local runs (honcho, a shell): settings from .env; a platform's environment wins.
load_dotenv_file()

bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
# Sync workers: the app's requests are short (it enqueues the long work), so
# processes, not threads, give the concurrency. 2 x CPUs + 1 is gunicorn's rule.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# Shopify gives a webhook 5 s and App Bridge a page about as long; a request
# still running after 30 s is stuck.
timeout = 30
graceful_timeout = 30
keepalive = 5
# Restart workers now and then so a slow leak can't grow without bound.
max_requests = 2000
max_requests_jitter = 200
# Import the app once in the master: workers fork with it loaded (less
# memory, faster restarts). The app opens no database connection at import.
preload_app = True
# The app writes one structured access line per request without the query
# string (which may carry an id_token or hmac); gunicorn's own would repeat it
# with the query string, so it stays off.
accesslog = None
# gunicorn's own messages go through the app's JSON logging.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "shopify_app.logs.RedactingJsonFormatter"}},
    "filters": {"context": {"()": "shopify_app.logs.ContextFilter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                            "formatter": "json", "filters": ["context"]}},
    "loggers": {"gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False}},
    # The app installs its own root handler (shopify_app.logs.configure).
    "root": {"level": "INFO", "handlers": []},
}
# Forwarded headers are the app's business (TRUSTED_PROXIES, ProxyFix), not
# gunicorn's: it must not rewrite the client address or scheme itself, not
# even for a local peer (gunicorn's default trusts 127.0.0.1 and ::1, so a
# local proxy's X-Forwarded-Proto would set the scheme with TRUSTED_PROXIES=0).
forwarded_allow_ips = ""


def on_starting(server):
    # Metrics of every worker process are written to files in this directory
    # (prometheus-client's multiprocess mode); it must exist before they start.
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    # A dead worker's live gauges must not be reported any more.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)
