"""The batch service: the only writer of a batch's status, ending a batch
(and announcing it: completion webhook, the store's next batch) exactly once
however many callers race to end it."""
from __future__ import annotations

import ast
import pathlib
import threading

import pytest

from jobs import batch_service
from shopify_app.batch_status import FINISHED, UNFINISHED, BatchStatus
from shopify_app.extensions import db
from shopify_app.models import Sync, utcnow

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Modules that spell the words on purpose.
SPELLED_OUT = {
    "shopify_app/batch_status.py": "the enum itself",
    "cloudinary_bridge/client.py": "the vendorable client depends on requests alone",
    "jobs/queue_metrics.py": "RQ's own job states (queued, started, ...), not a batch's",
    "jobs/automation/events.py": "a notification's outcome (EventOutcome: queued, ignored, rejected), not a batch's",
}


@pytest.fixture
def announced(monkeypatch):
    """Every completion webhook queued and every hand-over asked for."""
    calls: dict[str, list] = {"webhook": [], "dispatch": []}
    lock = threading.Lock()

    def webhook(config, sync):
        with lock:
            calls["webhook"].append(sync.id)

    def dispatch(config, shop_id, **kwargs):
        with lock:
            calls["dispatch"].append(shop_id)

    monkeypatch.setattr("jobs.sync_webhook.notify_sync_ended", webhook)
    monkeypatch.setattr("jobs.batch_dispatch.dispatch_next", dispatch)
    return calls


@pytest.fixture
def batch(app, make_shop):
    shop_id = make_shop("svc.myshopify.com")
    with app.app_context():
        sync = batch_service.new_batch(shop_id=shop_id, kind="sync", request={}, created_at=utcnow())
        db.session.add(sync)
        db.session.commit()
        return sync.id


def test_the_enum_is_the_contracts_words():
    assert [s.value for s in BatchStatus] == ["queued", "running", "succeeded", "partially_succeeded", "failed",
                                              "aborted"]
    assert UNFINISHED | FINISHED == set(BatchStatus) and not UNFINISHED & FINISHED
    from cloudinary_bridge.client import TERMINAL_STATUSES  # the vendorable client spells them out
    assert TERMINAL_STATUSES == {s.value for s in FINISHED}


def test_start_then_end_emits_ended_once(app, batch, announced):
    with app.app_context():
        sync = db.session.get(Sync, batch)
        assert batch_service.start(sync) and sync.status == BatchStatus.RUNNING and sync.started_at
        assert batch_service.end(app.config, sync, BatchStatus.SUCCEEDED) is True
        assert batch_service.end(app.config, sync, BatchStatus.FAILED, error="late") is False
        sync = db.session.get(Sync, batch)
        assert sync.status == BatchStatus.SUCCEEDED and sync.errors == [] and sync.finished_at
    assert announced == {"webhook": [batch], "dispatch": [sync.shop_id]}


def test_a_double_end_at_the_same_instant_emits_once(app, batch, announced):
    """Eight callers end the same batch at once (the job, an abort, the
    dispatcher): one UPDATE matches, one ended is announced."""
    barrier = threading.Barrier(8)
    results = []
    ends = [BatchStatus.SUCCEEDED, BatchStatus.FAILED, BatchStatus.ABORTED, BatchStatus.PARTIALLY_SUCCEEDED] * 2

    def end(status):
        with app.app_context():
            sync = db.session.get(Sync, batch)
            barrier.wait()
            results.append((status, batch_service.end(app.config, sync, status, error=f"by {status}")))

    threads = [threading.Thread(target=end, args=(status,)) for status in ends]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [status for status, won in results if won]
    assert len(results) == 8 and len(winners) == 1, results
    with app.app_context():
        sync = db.session.get(Sync, batch)
        assert sync.status == winners[0] and sync.errors == [{"message": f"by {winners[0]}"}]
    assert announced["webhook"] == [batch] and len(announced["dispatch"]) == 1


def test_abort_while_queued_ends_it_and_a_job_then_does_not_start_it(app, batch, announced):
    with app.app_context():
        sync = db.session.get(Sync, batch)
        assert batch_service.request_abort(app.config, sync) == BatchStatus.ABORTED
        assert sync.abort_requested and sync.finished_at
        assert batch_service.start(sync) is False and sync.status == BatchStatus.ABORTED
        with pytest.raises(batch_service.AlreadyFinished) as finished:
            batch_service.request_abort(app.config, sync)
        assert finished.value.status == BatchStatus.ABORTED
    assert announced["webhook"] == [batch]


def test_abort_while_running_only_asks(app, batch, announced):
    with app.app_context():
        sync = db.session.get(Sync, batch)
        batch_service.start(sync)
        assert batch_service.request_abort(app.config, sync) == BatchStatus.RUNNING
        assert sync.status == BatchStatus.RUNNING and sync.abort_requested
    assert announced["webhook"] == []


def test_uninstall_aborts_the_stores_batches(app, make_shop, announced):
    shop_id = make_shop("gone.myshopify.com")
    with app.app_context():
        queued, running = (batch_service.new_batch(shop_id=shop_id, kind="sync", created_at=utcnow())
                           for _ in range(2))
        db.session.add_all([queued, running])
        db.session.commit()
        batch_service.start(running)
        ended = batch_service.abort_store(shop_id)
        db.session.commit()
        assert ended == [queued.id]
        db.session.expire_all()
        assert db.session.get(Sync, queued.id).status == BatchStatus.ABORTED
        assert db.session.get(Sync, running.id).status == BatchStatus.RUNNING
        assert db.session.get(Sync, running.id).abort_requested


def test_only_the_batch_service_writes_a_status():
    """No module but jobs/batch_service.py assigns a batch's status or
    passes `status=` to an UPDATE, and no app module spells the lifecycle's
    own words as plain strings (the ending words are also report actions and
    product outcomes, a vocabulary of their own)."""
    writers, literals = [], []
    words = {BatchStatus.QUEUED.value, BatchStatus.RUNNING.value}
    for package in ("jobs", "shopify_app", "cloudinary_bridge"):
        for path in (ROOT / package).rglob("*.py"):
            relative = str(path.relative_to(ROOT))
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Assign) and any(
                        isinstance(t, ast.Attribute) and t.attr == "status" and getattr(t.value, "id", "") in
                        ("sync", "head", "batch") for t in node.targets):
                    writers.append(f"{relative}:{node.lineno}")
                if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "values" and any(
                        k.arg == "status" for k in node.keywords):
                    writers.append(f"{relative}:{node.lineno}")
                if isinstance(node, ast.Constant) and node.value in words and relative not in SPELLED_OUT:
                    literals.append(f"{relative}:{node.lineno} {node.value!r}")
    assert all(w.startswith("jobs/batch_service.py") for w in writers), writers
    assert not literals, literals
