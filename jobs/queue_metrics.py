"""Queue depths for the metrics scrape: jobs per queue role and state, read
from Redis when Prometheus asks (nothing is stored between scrapes)."""
from __future__ import annotations

import logging
from typing import Any, Iterator, Mapping

import redis
from prometheus_client.core import GaugeMetricFamily

from . import queues

log = logging.getLogger(__name__)


def queue_depths(config: Mapping[str, Any]) -> dict[tuple[str, str], int]:
    """{(role, state): jobs} for every queue role; states are RQ's: queued,
    started, scheduled (waiting for a retry or a time), deferred, failed."""
    connection = queues.redis_connection(config)
    depths: dict[tuple[str, str], int] = {}
    for role in queues.ROLES:
        queue = queues.get_queue(config, role, connection)
        depths[(role, "queued")] = queue.count
        depths[(role, "started")] = queue.started_job_registry.count
        depths[(role, "scheduled")] = queue.scheduled_job_registry.count
        depths[(role, "deferred")] = queue.deferred_job_registry.count
        depths[(role, "failed")] = queue.failed_job_registry.count
    return depths


class QueueDepthCollector:
    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config

    def collect(self) -> Iterator[Any]:
        jobs = GaugeMetricFamily("assetlink_queue_jobs", "Jobs per queue role and state", labels=["queue", "state"])
        up = GaugeMetricFamily("assetlink_queue_redis_up", "1 if the queues' Redis answered this scrape")
        try:
            depths = queue_depths(self.config)
        except redis.RedisError as exc:
            log.warning("queue depths unavailable: %s", type(exc).__name__)
            up.add_metric([], 0)
        else:
            for (role, state), count in sorted(depths.items()):
                jobs.add_metric([role, state], count)
            up.add_metric([], 1)
        yield jobs
        yield up
