"""A batch's status: the bridge contract's words, as one enum.

Its own module (no database, no Flask) so that anything can name a status
without a plain string: the models, the batch service, the bridge and its
Python client.
"""
from __future__ import annotations

from enum import StrEnum


class BatchStatus(StrEnum):
    """Where a batch stands: the bridge contract's words, exactly.

    queued -> running -> succeeded | partially_succeeded | failed | aborted
    (a queued batch can also end aborted or failed without running). Only
    the batch service (jobs.batch_service) writes them.
    """

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIALLY_SUCCEEDED = "partially_succeeded"
    FAILED = "failed"
    ABORTED = "aborted"


UNFINISHED = frozenset({BatchStatus.QUEUED, BatchStatus.RUNNING})
FINISHED = frozenset(BatchStatus) - UNFINISHED
