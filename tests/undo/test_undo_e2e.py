"""Undo end to end: syncs and unlinks through the bridge, a real burst worker
(`python -m jobs.worker --burst`), the simulated store read back through the
simulator's control API. Every link mode, swatches and variant images, an
unlink, and a product the merchant changed after the sync (refused for that
product, done for the others)."""
from __future__ import annotations

from typing import Any

from tests.support import auth_header, bearer
from tests.syncs.e2e_store import Store, asset
from tests.undo.store_edits import file_ids, looks, set_variant_image, take_off


def merchant(n: int, tag: str) -> list[dict[str, str]]:
    return [{"src": f"https://example.com/{tag}-{i}.jpg"} for i in range(n)]


def undo_over_bridge(store: Store, sync_id: str, key: str | None = None) -> str:
    headers = {**bearer(store.token), **({"Idempotency-Key": key} if key else {})}
    response = store.client.post(f"/bridge/v1/syncs/{sync_id}/undo", headers=headers)
    assert response.status_code == 202, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "queued" and response.headers["Location"].endswith(body["id"])
    return body["id"]


def undo_in_admin(store: Store, sync_id: str) -> str:
    response = store.client.post(f"/app/api/syncs/{sync_id}/undo", headers=auth_header(store.domain))
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()["id"]


def history(store: Store, sync_id: str) -> dict[str, Any]:
    response = store.client.get(f"/app/api/syncs/{sync_id}", headers=auth_header(store.domain))
    assert response.status_code == 200
    return response.get_json()


def links(app, store: Store, product_id: str) -> set[tuple[str, str, str | None]]:
    """(public ID, media or file id, group value) AssetLink's link records hold for the product."""
    from sqlalchemy import select

    from shopify_app.extensions import db
    from shopify_app.models import AssetLink
    with app.app_context():
        return set(db.session.execute(select(AssetLink.public_id, AssetLink.media_key, AssetLink.group_value).where(
            AssetLink.shop_id == store.shop.shop_id, AssetLink.product_id == product_id)).all())


def test_undo_puts_every_link_mode_back_and_refuses_a_product_changed_since(app, make_store, work):
    store = make_store([{"title": "Over", "variants": [{"sku": "O-1"}], "media": merchant(3, "over")},
                        {"title": "Pos", "variants": [{"sku": "P-1"}], "media": merchant(3, "pos")},
                        {"title": "Pre", "variants": [{"sku": "R-1"}], "media": merchant(1, "pre")},
                        {"title": "App", "variants": [{"sku": "A-1"}], "media": merchant(1, "app")},
                        {"title": "Reset", "variants": [{"sku": "Z-1"}, {"sku": "Z-2"}],
                         "media": merchant(2, "reset")},
                        {"title": "Swatchy", "handle": "swatchy", "variants": [{"sku": "W-1"}, {"sku": "W-2"}]},
                        {"title": "Changed", "variants": [{"sku": "C-1"}], "media": merchant(1, "changed")}])
    # The merchant's first Reset image is variant Z-2's image (a reset takes it off, undo puts both back).
    reset = store.state()["products"][4]
    set_variant_image(app, store, reset["id"], reset["variants"][1]["id"], reset["media"][0]["id"])
    before = looks(store)
    assert before["Reset"]["variant_media"]["Z-2"] == before["Reset"]["gallery"][0]
    merchant_files = file_ids(store)
    swatch = {"asset_type_field": "kind"}
    syncs = {
        "overwrite": store.post([asset("o/a", sku="O-1"), asset("o/b", sku="O-1")], link_mode="overwrite"),
        "position": store.post([asset("p/a", sku="P-1"), asset("p/b", sku="P-1")], link_mode="position", position=2),
        "prepend": store.post([asset("r/a", sku="R-1")], link_mode="prepend"),
        "append": store.post([asset("a/a", sku="A-1"), asset("c/a", sku="C-1")], link_mode="append"),
        "reset": store.post([asset("z/a", sku="Z-1"), asset("z/b", sku="Z-2")], link_mode="reset",
                            variant_images=True),
        "swatches": store.post([asset("w/chip", sku="W-1", kind="swatch"), asset("w/photo", sku="W-1")],
                               settings=swatch),
    }
    work()
    for sync_id in syncs.values():
        store.succeeded(sync_id)
    after = looks(store)
    for title in before:
        assert after[title]["gallery"] != before[title]["gallery"] or title == "Swatchy"
    assert after["Reset"]["variant_media"]["Z-1"] is not None and after["Swatchy"]["swatches"]
    assert after["Reset"]["variant_media"]["Z-2"] != before["Reset"]["variant_media"]["Z-2"]
    # Each finished sync offers undo.
    assert history(store, syncs["append"])["sync"]["actions"] == {"abort": False, "retry": True, "undo": True,
                                                                   "undo_refused": []}

    # The merchant takes their own image off "Changed" in the Shopify admin:
    # putting the gallery back would overwrite that.
    changed = after["Changed"]
    own = before["Changed"]["gallery"][0]
    take_off(app, store, changed["id"], own)

    linked_to_changed = links(app, store, after["Changed"]["id"])
    assert links(app, store, after["App"]["id"]) and linked_to_changed
    undos = {kind: (undo_over_bridge if index % 2 else undo_in_admin)(store, sync_id)
             for index, (kind, sync_id) in enumerate(syncs.items())}
    work()
    assert links(app, store, after["App"]["id"]) == set(), "the media undo took off are still recorded as linked"
    assert links(app, store, after["Changed"]["id"]) == linked_to_changed, "a product undo left alone lost its links"

    now = looks(store)
    for title in ("Over", "Pos", "Pre", "App", "Reset", "Swatchy"):
        assert now[title]["gallery"] == before[title]["gallery"], title
        assert now[title]["productmedia"] == before[title]["productmedia"], title
        assert now[title]["swatches"] == before[title]["swatches"], title
        assert now[title]["variant_media"] == before[title]["variant_media"], title
    assert merchant_files <= file_ids(store), "undo deleted a merchant's file"
    for kind in ("overwrite", "position", "prepend", "reset", "swatches"):
        assert store.succeeded(undos[kind])["kind"] == "undo"

    # The append sync's undo refused "Changed" (its gallery changed since) and did "App".
    status = store.status(undos["append"])
    assert status["status"] == "partially_succeeded", status
    assert now["Changed"]["gallery"] == [m for m in changed["gallery"] if m != own]
    assert now["Changed"]["productmedia"] == after["Changed"]["productmedia"], "a refused product was written"
    rows = {r["product_title"]: r for r in store.report(undos["append"])}
    assert rows["Changed"]["action"] == "skipped" and "gallery" in rows["Changed"]["detail"]
    entry = history(store, syncs["append"])["sync"]
    assert entry["actions"]["undo"] is True, "an undo that left a product alone may be run again"
    assert [(r["product_title"], "gallery" in r["reason"]) for r in entry["actions"]["undo_refused"]] == [
        ("Changed", True)]
    undo_entry = history(store, undos["append"])
    assert undo_entry["sync"]["kind"] == "undo" and undo_entry["sync"]["actions"]["undo"] is False
    # Retrying the undo is undoing the sync again (allowed: it left a product alone).
    assert undo_entry["sync"]["actions"]["retry"] is True
    assert history(store, undos["overwrite"])["sync"]["actions"]["retry"] is False
    # A finished, fully undone sync can't be undone twice.
    assert history(store, syncs["overwrite"])["sync"]["actions"]["undo"] is False
    response = store.client.post(f"/bridge/v1/syncs/{syncs['overwrite']}/undo", headers=bearer(store.token))
    assert response.status_code == 409


def test_undo_of_an_unlink_puts_the_assets_and_swatches_back(app, make_store, work):
    store = make_store([{"title": "Shirt", "variants": [{"sku": "S-1"}, {"sku": "S-2"}],
                         "media": merchant(1, "shirt")},
                        {"title": "Cap", "variants": [{"sku": "K-1"}], "media": merchant(1, "cap")}])
    sync_id = store.post([asset("s/a", sku="S-1"), asset("s/b", sku="S-1"), asset("k/a", sku="K-1"),
                          asset("s/chip", sku="S-2", kind="swatch")], settings={"asset_type_field": "kind"})
    work()
    store.succeeded(sync_id)
    linked = looks(store)
    assert len(linked["Shirt"]["swatches"]) == 1
    linked_before = {title: links(app, store, linked[title]["id"]) for title in ("Shirt", "Cap")}
    assert len(linked_before["Shirt"]) == 3 and len(linked_before["Cap"]) == 1   # two media and the swatch file
    response = store.client.post("/bridge/v1/unlinks", headers=bearer(store.token), json={
        "product_ids": [linked["Shirt"]["id"], linked["Cap"]["id"]], "public_ids": ["s/a", "k/a", "s/chip"]})
    assert response.status_code == 202, response.get_data(as_text=True)
    unlink_id = response.get_json()["id"]
    work()
    store.succeeded(unlink_id)
    unlinked = looks(store)
    assert len(unlinked["Shirt"]["gallery"]) == 2 and len(unlinked["Cap"]["gallery"]) == 1
    assert unlinked["Shirt"]["swatches"] == {}

    undo_id = undo_over_bridge(store, unlink_id, key="undo-1")
    again = store.client.post(f"/bridge/v1/syncs/{unlink_id}/undo", headers={**bearer(store.token),
                                                                            "Idempotency-Key": "undo-1"})
    assert again.status_code == 202 and again.get_json()["id"] == undo_id
    assert again.headers["Idempotent-Replayed"] == "true"
    # Polled like a sync by its id; the contract's list of syncs keeps to syncs and unlinks.
    assert store.status(undo_id)["kind"] == "undo"
    listed = store.client.get("/bridge/v1/syncs", headers=bearer(store.token)).get_json()["syncs"]
    assert undo_id not in {s["id"] for s in listed} and unlink_id in {s["id"] for s in listed}
    work()
    store.succeeded(undo_id)
    now = looks(store)
    for title in ("Shirt", "Cap"):
        assert now[title]["gallery"] == linked[title]["gallery"], title
        assert now[title]["productmedia"] == linked[title]["productmedia"], title
        assert now[title]["swatches"] == linked[title]["swatches"], title
    assert {r["action"] for r in store.report(undo_id)} >= {"moved", "replaced"}

    # The links are recorded again as they were, so unlinking them later
    # takes AssetLink's media off again (and leaves the merchant's).
    assert links(app, store, linked["Shirt"]["id"]) == linked_before["Shirt"]
    assert links(app, store, linked["Cap"]["id"]) == linked_before["Cap"]
    response = store.client.post("/bridge/v1/unlinks", headers=bearer(store.token), json={
        "product_ids": [linked["Shirt"]["id"]], "public_ids": ["s/a", "s/chip"]})
    assert response.status_code == 202, response.get_data(as_text=True)
    again_id = response.get_json()["id"]
    work()
    store.succeeded(again_id)
    assert looks(store)["Shirt"]["gallery"] == unlinked["Shirt"]["gallery"]
    assert looks(store)["Shirt"]["swatches"] == {}


def test_before_states_cost_no_extra_shopify_reads(app, make_store, work):
    """The snapshot is the state the sync reads anyway: one state read for
    the chunk, and every product it wrote has a before- and after-state."""
    from shopify_app.extensions import db
    from shopify_app.models import RunSnapshot

    store = make_store([{"title": t, "variants": [{"sku": f"{t}-1"}], "media": merchant(1, t)} for t in "ABC"])
    store.sim.clear_requests(store.domain)
    sync_id = store.post([asset(f"{t}/x", sku=f"{t}-1") for t in "ABC"])
    work()
    store.succeeded(sync_id)
    names = [r["operationName"] for r in store.sim.requests(store.domain)]
    assert sum(1 for n in names if n and n.startswith("ProductStates")) == 1, names
    with app.app_context():
        rows = db.session.query(RunSnapshot).filter_by(sync_id=sync_id).all()
        assert len(rows) == 3 and all(r.before and r.after for r in rows)
        assert all(len(r.after["gallery"]) == len(r.before["gallery"]) + 1 for r in rows)


def test_a_file_gone_from_files_is_reported_and_the_rest_put_back(app, make_store, work):
    from tests.undo.store_edits import delete_file

    store = make_store([{"title": "Over", "variants": [{"sku": "O-1"}], "media": merchant(2, "over")}])
    before = looks(store)["Over"]
    sync_id = store.post([asset("o/a", sku="O-1")], link_mode="overwrite")
    work()
    store.succeeded(sync_id)
    displaced = before["gallery"][0]
    assert displaced not in looks(store)["Over"]["gallery"]
    delete_file(app, store, displaced)  # the merchant deletes the displaced image from Files

    undo_id = undo_over_bridge(store, sync_id)
    work()
    status = store.status(undo_id)
    assert status["status"] in ("failed", "partially_succeeded"), status
    rows = store.report(undo_id)
    failed = [r for r in rows if r["media_id"] == displaced]
    assert failed and failed[0]["action"] == "failed" and failed[0]["error"], rows
    now = looks(store)["Over"]
    assert now["gallery"] == before["gallery"][1:], "the rest of the gallery was not put back"
