"""Each link mode end to end: plan from the state read through the client,
execute on the simulator, read again."""
from __future__ import annotations

import json

import pytest

from tests.executor.conftest import gallery, image, product, product_id_of, writes


def test_append_on_empty_products(sim, linker):
    link = linker([product("Red Shirt", ["RS-1"]), product("Blue Shirt", ["BS-1"])])
    results = link.link({"link_mode": "append", "assets": [
        image("shirts/rs_front", "RS-1"), image("shirts/rs_back", "RS-1"), image("shirts/bs_front", "BS-1")]})
    red, blue = product_id_of(sim, "Red Shirt"), product_id_of(sim, "Blue Shirt")
    assert results[red].status == "succeeded", results[red]
    media = gallery(sim, red)
    assert [m["status"] for m in media] == ["READY", "READY"]
    assert [m["filename"] for m in media] == ["rs_front.jpg", "rs_back.jpg"]
    assert [m["alt"] for m in media] == ["rs front", "rs back"]
    document = json.loads(sim.metafield(red, "productmedia_v1")["value"])
    assert [e["public_id"] for e in document] == ["shirts/rs_front", "shirts/rs_back"]
    assert [e["media_id"] for e in document] == [m["id"] for m in media]
    assert results[blue].assets_linked == 1
    assert [r.position for r in results[red].rows] == [1, 2]
