"""`move_by_reattaching`: galleries ordered by taking media off and putting
them back after the new ones, instead of productReorderMedia per product."""
from __future__ import annotations

import dataclasses
import json

import pytest

from tests.executor.support import FAST, gallery, image, product, product_id_of, writes

REATTACH = dataclasses.replace(FAST, move_by_reattaching=True)
ASSETS = [image("shoes/abc_1", "ABC-1"), image("shoes/abc_2", "ABC-1")]
NEW = ["abc_1.jpg", "abc_2.jpg"]
OLD = ["shoe-0.jpg", "shoe-1.jpg", "shoe-2.jpg"]


@pytest.mark.parametrize("mode,position,expected", [
    ("prepend", None, NEW + OLD),
    ("position", 2, OLD[:1] + NEW + OLD[1:]),
    ("overwrite", None, NEW + OLD[2:]),
    ("append", None, OLD + NEW),
])
def test_orders_without_reorder_jobs(sim, linker, mode, position, expected):
    link = linker([product("Shoe", ["ABC-1"], media=3)], options=REATTACH)
    shoe = product_id_of(sim, "Shoe")
    merchant = {m["filename"]: (m["id"], m["alt"]) for m in gallery(sim, shoe)}
    results = link.link({"link_mode": mode, "position": position, "assets": ASSETS})
    assert results[shoe].status == "succeeded", results[shoe].error
    media = gallery(sim, shoe)
    assert [m["filename"] for m in media] == expected
    for m in media:   # the merchant's media are the same media, alt text and all
        if m["filename"] in merchant:
            assert (m["id"], m["alt"]) == merchant[m["filename"]]
    operations = {e["operationName"] for e in sim.requests()}
    assert not any(name.startswith("ProductReorderMedia") for name in operations)
    sim.clear_requests()
    link.link({"link_mode": mode, "position": position, "assets": ASSETS})
    assert writes(sim.requests()) == []


def test_a_variants_image_is_reordered_not_detached(sim, linker):
    link = linker([product("Shoe", ["ABC-1"], media=2)], options=REATTACH)
    shoe = product_id_of(sim, "Shoe")
    first = gallery(sim, shoe)[0]["id"]
    variant = sim.product(shoe)["variants"][0]["id"]
    from shopify_app.admin_api import queries
    link.client.execute(queries.PRODUCT_VARIANT_APPEND_MEDIA, {"productId": shoe, "variantMedia": [
        {"variantId": variant, "mediaIds": [first]}]})
    results = link.link({"link_mode": "prepend", "assets": ASSETS})
    assert results[shoe].status == "succeeded", results[shoe].error
    assert [m["filename"] for m in gallery(sim, shoe)] == NEW + OLD[:2]
    assert sim.product(shoe)["variants"][0]["media"] == first
    assert any(e["operationName"].startswith("ProductReorderMedia") for e in sim.requests())


class DiesOnSecondFileUpdate:
    """Wraps the client: the worker is killed after the media were taken off
    and before they were put back."""

    def __init__(self, client):
        self.client, self.calls = client, 0

    def __getattr__(self, name):
        return getattr(self.client, name)

    def execute(self, document, variables=None, **kwargs):
        if "fileUpdate(" in document:
            self.calls += 1
            if self.calls == 2:
                raise SystemExit("worker killed")
        return self.client.execute(document, variables, **kwargs)


def test_killed_between_taking_off_and_putting_back(sim, linker):
    link = linker([product("Shoe", ["ABC-1"], media=2)], options=REATTACH)
    shoe = product_id_of(sim, "Shoe")
    real = link.client
    link.client = DiesOnSecondFileUpdate(real)
    body = {"link_mode": "prepend", "assets": ASSETS}
    with pytest.raises(SystemExit):
        link.link(body)
    assert gallery(sim, shoe) == []           # the merchant's media are off the product right now
    link.client = real
    results = link.link(body)
    assert results[shoe].status == "succeeded", results[shoe].error
    assert [m["filename"] for m in gallery(sim, shoe)] == NEW + OLD[:2]
    assert len(sim.shop()["files"]) == 4
    document = json.loads(sim.metafield(shoe, "productmedia_v1")["value"])
    assert [e["public_id"] for e in document] == ["shoes/abc_1", "shoes/abc_2"]
    assert link.journal.all() == []
