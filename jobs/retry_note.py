"""A note of why and when an interrupted batch runs again (models.BatchRetry).

When a transient error stops a batch's job and RQ is asked to run it later
(jobs.batch_run), the batch stays `running`; without this note the admin
would show "Running" while nothing runs for minutes. The reason is written
in a merchant's words; the exception type goes to the log.
"""
from __future__ import annotations

from datetime import timedelta

import redis
import requests
from rq import Retry
from rq.timeouts import JobTimeoutException
from sqlalchemy import exc as sa_exc

from shopify_app.admin_api import ThrottledError, TransientError
from shopify_app.extensions import db
from shopify_app.models import BatchRetry, Sync, utcnow

# Most specific first: the first isinstance match gives the words.
_REASONS: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
    (ThrottledError, "Shopify asked AssetLink to slow down (too many requests at once)"),
    (TransientError, "Shopify didn't answer"),
    (JobTimeoutException, "the run reached the time one step may take; it goes on where it stopped"),
    ((requests.ConnectionError, requests.Timeout), "Cloudinary didn't answer while a video was downloaded"),
    ((redis.exceptions.ConnectionError, redis.exceptions.TimeoutError), "AssetLink's job queue was unreachable"),
    ((sa_exc.OperationalError, sa_exc.TimeoutError, sa_exc.InterfaceError), "AssetLink's database was unreachable"),
)


def reason_for(exc: BaseException) -> str:
    for types, words in _REASONS:
        if isinstance(exc, types):
            return words
    return "a service AssetLink needs didn't answer"


def record(sync: Sync, exc: BaseException, retry: Retry, retries_so_far: int) -> None:
    """Note the retry RQ is about to schedule. Never raises: a note that
    can't be written must not keep the retry from being scheduled."""
    try:
        delay = Retry.get_interval(retries_so_far, retry.intervals)
        now = utcnow()
        db.session.merge(BatchRetry(sync_id=sync.id, attempt=retries_so_far + 1, attempts_max=retry.max,
                                    reason=reason_for(exc), failed_at=now, retry_at=now + timedelta(seconds=delay)))
        db.session.commit()
    except Exception:  # best effort, see above
        db.session.rollback()
