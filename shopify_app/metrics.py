"""Prometheus metrics (prometheus-client).

What is measured: HTTP requests by route, method and status (and their
durations); batches ended by kind and outcome (and how long they took);
Shopify cost points spent and THROTTLED answers per store; queue depths
(read from Redis at scrape time, jobs.queue_metrics).

Processes. With `PROMETHEUS_MULTIPROC_DIR` set (required under gunicorn,
whose workers are separate processes, and for the RQ worker, which forks a
work horse per job), every process writes its values to files in that
directory and a scrape adds them up. RQ's work horses are short-lived: one
file set per horse would pile up without end, so a horse writes under its
worker's name (`rqhorse<worker pid>`) instead of its own pid. That is safe
because a worker runs one horse at a time.

Exposition. `GET /metrics` on the web app when `METRICS_TOKEN` is set
(send it as a bearer token), or the separately bound exporter
`python -m shopify_app.metrics --bind 127.0.0.1:9200`, which reads the same
directory and needs no secret (bind it where only Prometheus reaches it).
"""
from __future__ import annotations

import argparse
import hmac
import os
import time
from datetime import datetime
from typing import Any, Iterable, Mapping

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
if os.environ.get(MULTIPROC_ENV) == "":
    # Set but empty (a copied .env): prometheus-client would write its files
    # into the working directory.
    del os.environ[MULTIPROC_ENV]

from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram,  # noqa: E402
                               generate_latest, values)
from prometheus_client.registry import Collector  # noqa: E402

_worker_pid: int | None = None


def mark_rq_worker() -> None:
    """Called by the RQ worker process before it forks work horses."""
    global _worker_pid
    _worker_pid = os.getpid()


def process_identifier() -> str:
    pid = os.getpid()
    if _worker_pid is not None and pid != _worker_pid:
        from rq import get_current_job
        if get_current_job() is not None:
            return f"rqhorse{_worker_pid}"
    return str(pid)


def multiprocess_enabled() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


if multiprocess_enabled():
    # Must be chosen before the first metric is made (prometheus-client reads
    # values.ValueClass when a metric is constructed).
    values.ValueClass = values.MultiProcessValue(process_identifier)
else:
    values.ValueClass = values.MutexValue

_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

HTTP_REQUESTS = Counter("assetlink_http_requests", "HTTP requests answered, by route and status",
                        ["method", "route", "status"], registry=None)
HTTP_SECONDS = Histogram("assetlink_http_request_duration_seconds", "Time to answer an HTTP request",
                         ["method", "route"], registry=None,
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
BATCHES = Counter("assetlink_batches", "Batches (syncs, uploads, unlinks) ended, by kind and outcome",
                  ["kind", "outcome"], registry=None)
_BATCH_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800)
BATCH_SECONDS = Histogram("assetlink_batch_duration_seconds", "From a batch being accepted to its end",
                          ["kind", "outcome"], registry=None, buckets=_BATCH_BUCKETS)
BATCH_RUN_SECONDS = Histogram("assetlink_batch_run_seconds", "From a batch starting to run to its end",
                              ["kind", "outcome"], registry=None, buckets=_BATCH_BUCKETS)
SHOPIFY_COST = Counter("assetlink_shopify_cost_points", "Admin API cost points spent (actual query cost)",
                       ["shop"], registry=None)
SHOPIFY_THROTTLED = Counter("assetlink_shopify_throttled", "THROTTLED answers (and HTTP 429) from the Admin API",
                            ["shop"], registry=None)
METRICS: tuple[Collector, ...] = (HTTP_REQUESTS, HTTP_SECONDS, BATCHES, BATCH_SECONDS, BATCH_RUN_SECONDS,
                                  SHOPIFY_COST, SHOPIFY_THROTTLED)


# -- recording (each call is cheap and never raises into the caller) ---------------------------------

def route_label(rule: str | None) -> str:
    """The URL rule, not the path: ids in paths would make a series per batch."""
    return rule or "<unmatched>"


def record_request(method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in _METHODS else "OTHER"
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_SECONDS.labels(method, route).observe(seconds)


def record_batch_end(kind: str, outcome: str, *, created_at: datetime | None, started_at: datetime | None,
                     finished_at: datetime | None) -> None:
    """Call once where a batch ends (the batch service owns when that is)."""
    BATCHES.labels(kind, outcome).inc()
    if finished_at is not None and created_at is not None:
        BATCH_SECONDS.labels(kind, outcome).observe(max(0.0, (finished_at - created_at).total_seconds()))
    if finished_at is not None and started_at is not None:
        BATCH_RUN_SECONDS.labels(kind, outcome).observe(max(0.0, (finished_at - started_at).total_seconds()))


def record_shopify_cost(shop: str, points: float) -> None:
    if points > 0:
        SHOPIFY_COST.labels(shop).inc(points)


def record_shopify_throttled(shop: str) -> None:
    SHOPIFY_THROTTLED.labels(shop).inc()


# -- exposition --------------------------------------------------------------------------------------

class ScrapeCollector(Collector):
    """Everything one scrape reports: the metrics of every process (or of
    this one) and the queue depths at this moment."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config

    def collect(self) -> Iterable[Any]:
        if multiprocess_enabled():
            from prometheus_client import multiprocess
            yield from multiprocess.MultiProcessCollector(None).collect()
        else:
            for metric in METRICS:
                yield from metric.collect()
        from jobs.queue_metrics import QueueDepthCollector
        yield from QueueDepthCollector(self.config).collect()


def exposition(config: Mapping[str, Any]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ScrapeCollector(config))
    return generate_latest(registry)


def token_matches(config: Mapping[str, Any], authorization: str | None) -> bool:
    token = config.get("METRICS_TOKEN") or ""
    scheme, _, given = (authorization or "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                                             token.encode())


def init_app(app: Any) -> None:
    from flask import Response, current_app, request

    from .problems import Problem

    @app.get("/metrics")
    def metrics_endpoint() -> Response:
        if not current_app.config.get("METRICS_TOKEN"):
            raise Problem(404, "Metrics are not served here (METRICS_TOKEN is not set).", title="Not Found")
        if not token_matches(current_app.config, request.headers.get("Authorization")):
            raise Problem(401, "Send METRICS_TOKEN as 'Authorization: Bearer <token>'.", title="Unauthorized",
                          headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        return Response(exposition(current_app.config), mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                        headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})


def serve(bind: str, config: Mapping[str, Any]) -> None:
    """The separately bound exporter: serves the metrics directory on `bind`."""
    from prometheus_client import start_http_server
    host, _, port = bind.rpartition(":")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ScrapeCollector(config))
    start_http_server(int(port), addr=host.strip("[]") or "127.0.0.1", registry=registry)
    while True:
        time.sleep(3600)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shopify_app.metrics",
                                     description="Serve AssetLink's Prometheus metrics on their own address.")
    parser.add_argument("--bind", default="127.0.0.1:9200", help="host:port to listen on (default %(default)s)")
    args = parser.parse_args(argv)
    from . import config as config_module
    from .envfile import load_dotenv_file
    load_dotenv_file()
    if not multiprocess_enabled():
        raise SystemExit(f"{MULTIPROC_ENV} is not set: there is no other process's metrics to serve")
    serve(args.bind, config_module.from_environment())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
