"""Abort and Retry from the admin (/app/api/syncs/<id>/abort|retry), with a
real burst worker: an aborted queued sync is retried as a new run with the
same request, which links what the first would have."""
from __future__ import annotations

from tests.support import auth_header
from tests.syncs.e2e_store import asset
from tests.undo.store_edits import looks


def test_abort_then_retry_runs_the_same_request_again(make_store, work):
    store = make_store([{"title": "Shirt", "variants": [{"sku": "S-1"}]}])
    headers = auth_header(store.domain)
    sync_id = store.post([asset("s/a", sku="S-1")], link_mode="append")
    entry = store.client.get(f"/app/api/syncs/{sync_id}", headers=headers).get_json()["sync"]
    assert entry["kind"] == "sync" and entry["actions"]["abort"] is True and entry["actions"]["retry"] is False
    assert store.client.post(f"/app/api/syncs/{sync_id}/retry", headers=headers).status_code == 409

    response = store.client.post(f"/app/api/syncs/{sync_id}/abort", headers=headers)
    assert response.status_code == 202 and response.get_json() == {"id": sync_id}
    assert store.status(sync_id)["status"] == "aborted"
    assert store.client.post(f"/app/api/syncs/{sync_id}/abort", headers=headers).status_code == 409
    entry = store.client.get(f"/app/api/syncs/{sync_id}", headers=headers).get_json()["sync"]
    assert entry["actions"] == {"abort": False, "retry": True, "undo": False, "undo_refused": []}

    response = store.client.post(f"/app/api/syncs/{sync_id}/retry", headers=headers)
    assert response.status_code == 202
    retry_id = response.get_json()["id"]
    assert retry_id != sync_id
    work()
    store.succeeded(retry_id)
    assert [e["public_id"] for e in looks(store)["Shirt"]["productmedia"]] == ["s/a"]
    assert [r["action"] for r in store.report(retry_id)] == ["created"]


def test_run_actions_are_scoped_to_the_store_and_answer_problems(make_store):
    store = make_store([{"title": "Shirt", "variants": [{"sku": "S-1"}]}])
    sync_id = store.post([asset("s/a", sku="S-1")])
    other = auth_header("someone-else.myshopify.com")
    assert store.client.post(f"/app/api/syncs/{sync_id}/undo", headers=other).status_code in (401, 404)
    mine = auth_header(store.domain)
    for action in ("abort", "retry", "undo"):
        assert store.client.post(f"/app/api/syncs/{'0' * 32}/{action}", headers=mine).status_code == 404
    # Not finished yet: no undo.
    response = store.client.post(f"/app/api/syncs/{sync_id}/undo", headers=mine)
    assert response.status_code == 409 and response.content_type.startswith("application/problem+json")
    for body in ({}, {"dry_run": "yes"}, []):
        assert store.client.post("/app/api/files/cleanup", json=body, headers=mine).status_code == 422


def test_an_undo_is_a_run_that_can_be_aborted(make_store, work):
    store = make_store([{"title": "Shirt", "variants": [{"sku": "S-1"}]}])
    headers = auth_header(store.domain)
    sync_id = store.post([asset("s/a", sku="S-1")])
    work()
    undo_id = store.client.post(f"/app/api/syncs/{sync_id}/undo", headers=headers).get_json()["id"]
    entry = store.client.get(f"/app/api/syncs/{undo_id}", headers=headers).get_json()["sync"]
    assert entry["kind"] == "undo" and entry["actions"]["abort"] is True
    assert store.client.get(f"/app/api/syncs/{sync_id}", headers=headers).get_json()["sync"]["actions"][
        "undo"] is False, "a second undo offered while the first is queued"
    assert store.client.post(f"/app/api/syncs/{undo_id}/abort", headers=headers).status_code == 202
    work()
    assert store.status(undo_id)["status"] == "aborted"
    assert [e["public_id"] for e in looks(store)["Shirt"]["productmedia"]] == ["s/a"], "an aborted undo wrote"
    # Aborted before it did anything: the sync can be undone again.
    assert store.client.get(f"/app/api/syncs/{sync_id}", headers=headers).get_json()["sync"]["actions"]["undo"]


def test_an_undo_aborted_while_it_runs_stops_before_its_next_products(app, make_store, work, monkeypatch):
    """One product a chunk; the abort arrives after the first product's
    writes: the first is put back, the others are left as the sync left them."""
    from jobs.batch_run import run_as_head
    from jobs.undo_job import UndoRun

    store = make_store([{"title": f"P{i}", "variants": [{"sku": f"S-{i}"}]} for i in range(3)])
    sync_id = store.post([asset(f"p/{i}", sku=f"S-{i}") for i in range(3)])
    work()
    undo_id = store.client.post(f"/app/api/syncs/{sync_id}/undo", headers=auth_header(store.domain)).get_json()["id"]
    asked = []

    def abort_requested(self) -> bool:  # before each chunk and before its writes: the third ask is chunk 2
        asked.append(1)
        return len(asked) >= 3
    monkeypatch.setattr(UndoRun, "abort_requested", abort_requested)
    app.config["SYNC_PRODUCTS_PER_BATCH"] = 1
    with app.app_context():
        assert run_as_head(undo_id, UndoRun) == "aborted"
    status = store.status(undo_id)
    assert status["status"] == "aborted" and status["progress"]["products_done"] == 1
    documents = {title: p["productmedia"] for title, p in looks(store).items()}
    assert sum(1 for d in documents.values() if d is None) == 1, documents
