"""Procfile, gunicorn.conf.py, .env.example, shopify.web.toml: they say what
the code does, and the web process really runs under gunicorn."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import tomllib

import requests

from demo.processes import free_port
from shopify_app import config as config_module
from shopify_app.shopify_dev import cli_environment

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Read by gunicorn.conf.py / prometheus-client, not by shopify_app.config.
PROCESS_SETTINGS = {"PORT", "WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR"}


def _read(name: str) -> str:
    with open(os.path.join(ROOT, name), encoding="utf-8") as handle:
        return handle.read()


def test_env_example_lists_every_setting_and_nothing_else():
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", _read(".env.example"), re.MULTILINE))
    settings = set(config_module.from_environment({}))
    assert listed - PROCESS_SETTINGS == settings


def test_env_example_defaults_are_the_configs_defaults():
    values = dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", _read(".env.example"), re.MULTILINE))
    defaults = config_module.from_environment({})
    for name, value in values.items():
        if name in PROCESS_SETTINGS or not value:
            continue
        parsed = config_module.from_environment({name: value})[name]
        assert parsed == defaults[name], (name, value, defaults[name])


def test_readme_configuration_table_has_a_row_for_every_setting():
    readme = _read("README.md")
    table = readme.split("### Configuration", 1)[1].split("\n### ", 1)[0]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    missing = set(config_module.from_environment({})) - documented
    assert not missing, f"README's configuration table lacks {sorted(missing)}"


def test_procfile_has_release_web_workers_and_scheduler():
    processes = dict(line.split(":", 1) for line in _read("Procfile").splitlines() if line.strip())
    assert processes["release"].strip() == "flask --app shopify_app db upgrade"
    assert processes["web"].strip().startswith("gunicorn --config gunicorn.conf.py 'shopify_app:create_app()'")
    roles = " ".join(v for k, v in processes.items() if "jobs.worker" in v)
    for role in ("webhooks", "media", "default"):
        assert role in roles
    assert processes["scheduler"].strip() == "python -m jobs.scheduler"


def test_shopify_web_toml_runs_the_dev_command_with_both_roles():
    web = tomllib.loads(_read("shopify.web.toml"))
    assert set(web["roles"]) == {"frontend", "backend"}
    command = web["commands"]["dev"]
    # The CLI splits the command on spaces and runs it without a shell.
    assert " " not in command and os.access(os.path.join(ROOT, command), os.X_OK)


def test_the_shopify_cli_variables_map_to_the_apps_settings():
    # What Shopify CLI's web process gets (packages/app/.../dev/processes/web.ts).
    cli = {"SHOPIFY_API_KEY": "client-id", "SHOPIFY_API_SECRET": "client-secret-0123456789",
           "HOST": "https://tunnel.trycloudflare.com", "APP_URL": "https://tunnel.trycloudflare.com",
           "SCOPES": "write_products,write_files,read_themes", "PORT": "53127", "BACKEND_PORT": "53127",
           "FRONTEND_PORT": "53128", "NODE_ENV": "development", "APP_ENV": "development",
           "SECRET_KEY": "from-dotenv", "TOKEN_ENCRYPTION_KEY": "from-dotenv"}
    env = cli_environment(cli)
    settings = config_module.from_environment(env)
    assert settings["SHOPIFY_API_KEY"] == "client-id"
    assert settings["SHOPIFY_API_SECRET"] == "client-secret-0123456789"
    assert settings["APP_URL"] == "https://tunnel.trycloudflare.com"
    assert settings["SHOPIFY_SCOPES"] == "write_products,write_files,read_themes"
    assert settings["TRUSTED_PROXIES"] == 1
    assert env["PORT"] == "53127"
    # Older CLIs passed the host without a scheme.
    assert cli_environment({"HOST": "abc.ngrok.io"})["APP_URL"] == "https://abc.ngrok.io"


def test_gunicorn_trusts_no_forwarded_headers_itself():
    """The app decides which proxies to believe (TRUSTED_PROXIES); gunicorn,
    reading the setting with its own validator, must trust none, not even a
    local peer (its default trusts 127.0.0.1 and ::1)."""
    import runpy

    from gunicorn.config import Config
    settings = runpy.run_path(os.path.join(ROOT, "gunicorn.conf.py"))
    config = Config()
    config.set("forwarded_allow_ips", settings["forwarded_allow_ips"])
    assert config.forwarded_allow_ips == []


def test_gunicorn_serves_the_app_with_json_logs_and_no_query_strings(base_config, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOPIFY_", "DATABASE_", "REDIS_"))}
    env.update({name: str(base_config[name]) for name in ("SHOPIFY_API_KEY", "SHOPIFY_API_SECRET", "APP_URL",
                                                          "SECRET_KEY", "TOKEN_ENCRYPTION_KEY", "DATABASE_URL",
                                                          "REDIS_URL", "REDIS_KEY_PREFIX")})
    env.update({"PORT": str(port), "WEB_CONCURRENCY": "2", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
                "METRICS_TOKEN": "metrics-token-0123456789", "TRUSTED_PROXIES": "1"})
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "gunicorn"), "--config",
                                   "gunicorn.conf.py", "shopify_app:create_app()"], cwd=ROOT, env=env,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline and server.poll() is None, log_path.read_text()
            time.sleep(0.2)
        secret_query = "id_token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl&hmac=0123456789abcdef"
        for _ in range(4):
            requests.get(f"{base}/app/api/connection?{secret_query}", timeout=5,
                         headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.7", "X-Request-Id": "gunicorn-test-1"})
        scrape = requests.get(base + "/metrics", headers={"Authorization": "Bearer metrics-token-0123456789"},
                              timeout=5).text
        # A chunked body (no Content-Length) over the 5 MB limit is 413 under
        # gunicorn too, not read truncated (issue 15.7; shopify_app/json_input.read_body).
        oversized = requests.post(base + "/webhooks/app", timeout=60, headers={"Content-Type": "application/json"},
                                  data=(b"x" * (1 << 20) for _ in range(6)))
        assert oversized.request.headers.get("Transfer-Encoding") == "chunked"
        assert oversized.status_code == 413, oversized.text[:300]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    output = log_path.read_text()
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert len(lines) == len([line for line in output.splitlines() if line.strip()]), output  # all JSON
    access = [line for line in lines if line.get("logger") == "shopify_app.access"
              and line["http"]["path"] == "/app/api/connection"]
    assert len(access) == 4
    assert {line["http"]["remote_addr"] for line in access} == {"198.51.100.7"}
    assert {line["request_id"] for line in access} == {"gunicorn-test-1"}
    assert "eyJ" not in output and "0123456789abcdef" not in output
    # Two gunicorn workers answered; the scrape adds both up.
    total = sum(float(line.rsplit(" ", 1)[1]) for line in scrape.splitlines()
                if line.startswith('assetlink_http_requests_total{method="GET",route="/app/api/connection"'))
    assert total == 4
