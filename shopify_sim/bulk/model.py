"""One bulk operation and the rules about operations that need no execution:
statuses, the concurrency limit, the result's expiry.

Timing is derived from simulated time, like media processing: an operation is
CREATED for the first half of SIM_BULK_DELAY, RUNNING for the second half
(its running counts grow with the share of the time that has passed, as
`objectCount` is "a running count of all the objects processed" [S]), then
COMPLETED or FAILED. A cancel makes it CANCELING for half the delay, then
CANCELED ("There may be a short delay from when a cancelation starts until the
operation is actually canceled" [S]). Captured: a run answers CREATED, an
immediate read still says CREATED, a read 1.5 s later COMPLETED; a cancel
answers CANCELING and a later read CANCELED.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional

from ..catalog import gid

QUERY, MUTATION = "QUERY", "MUTATION"
CREATED, RUNNING, COMPLETED = "CREATED", "RUNNING", "COMPLETED"
CANCELING, CANCELED, FAILED, EXPIRED = "CANCELING", "CANCELED", "FAILED", "EXPIRED"
# Still in progress: counted against the concurrency limit (a CANCELING
# operation has not stopped yet [S]; captured: five CANCELING operations still
# refuse a sixth with OPERATION_IN_PROGRESS).
IN_PROGRESS = (CREATED, RUNNING, CANCELING)
TERMINAL = (COMPLETED, CANCELED, FAILED, EXPIRED)

# [S] "Results remain available for seven days after completion"; url and
# partialDataUrl "expire 7 days after".
RESULT_LIFETIME = 7 * 24 * 3600
# [G-Q] "The bulk query operation has to complete within 10 days."
MAX_RUNTIME = 10 * 24 * 3600


@dataclass
class Result:
    """What running the operation produced: the JSONL lines (encoded, with
    their newline), how many of them are root objects, and why it failed
    (a BulkOperationErrorCode) if it did."""
    lines: list[bytes] = field(default_factory=list)
    root_flags: list[bool] = field(default_factory=list)
    error_code: Optional[str] = None
    # Why, in the simulator's words (control API only; Shopify says nothing).
    reason: str = ""


@dataclass
class BulkOperation:
    id: int
    type: str  # QUERY | MUTATION
    query: str  # the query or mutation document, as given
    client_id: str  # the app that ran it: operations are per app and shop
    created_at: float
    status: str = CREATED
    completed_at: Optional[float] = None
    error_code: Optional[str] = None
    object_count: int = 0
    root_object_count: int = 0
    file_size: Optional[int] = None
    url: Optional[str] = None
    partial_data_url: Optional[str] = None
    group_objects: bool = False
    client_identifier: Optional[str] = None
    # The API version it was run with: its work runs with that version's rules.
    api_version: str = ""
    # The simulated time the operation's phases are measured from (its
    # creation; for an operation a capture shows in progress, the moment it
    # was seeded) and when each phase ends.
    clock_start: float = 0.0
    runs_at: float = 0.0
    done_at: float = 0.0
    cancel_done_at: Optional[float] = None
    expires_at: Optional[float] = None
    # Sort values with the precision Shopify keeps (microseconds), for cursors.
    created_sort: Optional[float] = None
    completed_sort: Optional[float] = None
    # Running: the token it runs with, the mutation's variables file, the result.
    token: Any = None
    variables_file: Optional[bytes] = None
    result: Optional[Result] = None
    # The work still to do while RUNNING (a generator of steps; None when done).
    work: Any = None
    work_done_at: Optional[float] = None
    # The file's key in the simulator's result storage once written.
    result_key: Optional[str] = None
    finish_notified: bool = False

    @property
    def gid(self) -> str:
        return gid("BulkOperation", self.id)

    @property
    def in_progress(self) -> bool:
        return self.status in IN_PROGRESS


def schedule(op: BulkOperation, start: float, delay: float) -> None:
    """Set the phases of an operation that starts (or resumes being watched) at `start`."""
    op.clock_start = start
    if op.status == CREATED:
        op.runs_at = start + delay / 2
        op.done_at = start + delay
    elif op.status == RUNNING:
        op.runs_at = start
        op.done_at = start + delay / 2
    elif op.status == CANCELING:
        op.cancel_done_at = start + delay / 2


def progress(op: BulkOperation, now: float) -> float:
    """The share of the work done by `now` while RUNNING (0..1)."""
    if not math.isfinite(op.done_at):
        return 0.0  # seeded in progress: how far it is is not known
    span = op.done_at - op.runs_at
    if span <= 0:
        return 1.0
    return min(1.0, max(0.0, (now - op.runs_at) / span))


def concurrency_limit(api_version: str) -> int:
    """[G-Q]: five operations of a type at a time per app and shop from API
    2026-01 on, one before (shopify_sim.versions.BULK_CONCURRENCY). The
    2026-10 schema defers to that guide ("The number of concurrent operations
    that an app can run depends on the API version")."""
    from .. import versions
    return versions.bulk_operations_per_type(api_version)


def in_progress_of(operations: list[BulkOperation], client_id: str, type_: str) -> list[BulkOperation]:
    """The app's operations of a type still in progress, oldest first."""
    return sorted((op for op in operations if op.client_id == client_id and op.type == type_ and op.in_progress),
                  key=lambda op: op.id)
