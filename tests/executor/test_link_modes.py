"""Each link mode end to end: plan from the state read through the client,
execute on the simulator, read again."""
from __future__ import annotations

import json

import pytest

from tests.executor.support import gallery, image, product, product_id_of, writes


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


ASSETS = [image("shoes/abc_1", "ABC-1"), image("shoes/abc_2", "ABC-1"), image("shoes/abc_3", "ABC-1")]
NEW = ["abc_1.jpg", "abc_2.jpg", "abc_3.jpg"]
OLD = ["shoe-0.jpg", "shoe-1.jpg"]


@pytest.mark.parametrize("mode,position,expected", [
    ("append", None, OLD + NEW),
    ("prepend", None, NEW + OLD),
    ("reset", None, NEW),
    ("overwrite", None, NEW),
    ("position", 2, OLD[:1] + NEW + OLD[1:]),
    ("position", 9, OLD + NEW),
])
def test_modes_on_a_product_with_merchant_media(sim, linker, mode, position, expected):
    link = linker([product("Shoe", ["ABC-1"], media=2)])
    shoe = product_id_of(sim, "Shoe")
    merchant = [m["id"] for m in gallery(sim, shoe)]
    results = link.link({"link_mode": mode, "position": position, "assets": ASSETS})
    assert results[shoe].status == "succeeded", results[shoe].error
    media = gallery(sim, shoe)
    assert [m["filename"] for m in media] == expected
    assert all(m["status"] == "READY" for m in media)
    assert [r.position for r in results[shoe].rows if r.public_id and r.action != "removed"] == \
        [expected.index(name) + 1 for name in NEW]
    document = json.loads(sim.metafield(shoe, "productmedia_v1")["value"])
    ours = [m["id"] for m in media if m["filename"] in NEW]
    assert [e["media_id"] for e in document] == ours
    if mode in ("reset", "overwrite"):
        # Taken off this product only: the files stay in the library.
        files = {f["id"]: f for f in sim.shop()["files"]}
        assert all(files[m]["products"] == [] for m in merchant)

    # The same sync again: nothing to write.
    sim.clear_requests()
    again = link.link({"link_mode": mode, "position": position, "assets": ASSETS})
    assert again[shoe].status == "unchanged"
    assert writes(sim.requests()) == []
    assert [m["filename"] for m in gallery(sim, shoe)] == expected


def test_merchant_media_taken_off_are_named_by_alt_text_or_file_name(sim, linker):
    link = linker([{"title": "Tote", "variants": [{"sku": "T-1"}], "media": [
        {"src": "https://img.example.com/tote-front.jpg", "alt": "Tote, front"},
        {"src": "https://img.example.com/tote-back.jpg"}]}])
    tote = product_id_of(sim, "Tote")
    merchant = [m["id"] for m in gallery(sim, tote)]
    results = link.link({"link_mode": "reset", "assets": [image("bags/tote", "T-1")]})
    assert results[tote].status == "succeeded", results[tote].error
    removed = {r.media_id: r.reason for r in results[tote].rows if r.action == "removed"}
    assert removed[merchant[0]].endswith("; media alt text: “Tote, front”")
    assert removed[merchant[1]].endswith("; media file: “tote-back.jpg”")


def test_relink_moves_and_refreshes_without_duplicates(sim, linker):
    link = linker([product("Shoe", ["ABC-1"], media=1)])
    shoe = product_id_of(sim, "Shoe")
    link.link({"link_mode": "append", "assets": ASSETS})
    first = {m["filename"]: m["id"] for m in gallery(sim, shoe)}
    # abc_3 first now, abc_2 has a new version: moved, refreshed, nothing duplicated.
    assets = [image("shoes/abc_3", "ABC-1"), image("shoes/abc_1", "ABC-1"),
              image("shoes/abc_2", "ABC-1", version=1799999999)]
    results = link.link({"link_mode": "prepend", "assets": assets})
    assert results[shoe].status == "succeeded", results[shoe].error
    media = gallery(sim, shoe)
    names = [m["filename"] for m in media]
    assert names[0] == "abc_3.jpg" and names[1] == "abc_1.jpg" and names[3] == "shoe-0.jpg"
    assert names[2].startswith("abc_2") and len(media) == 4
    assert media[0]["id"] == first["abc_3.jpg"] and media[1]["id"] == first["abc_1.jpg"]
    assert media[2]["id"] != first["abc_2.jpg"]
    actions = {r.public_id: r.action for r in results[shoe].rows if r.public_id}
    assert actions == {"shoes/abc_3": "moved", "shoes/abc_1": "unchanged", "shoes/abc_2": "replaced"}
    document = json.loads(sim.metafield(shoe, "productmedia_v1")["value"])
    assert [e["media_id"] for e in document] == [m["id"] for m in media[:3]]
    assert document[2]["version"] == 1799999999


def test_alt_text_change_updates_in_place(sim, linker):
    link = linker([product("Shoe", ["ABC-1"])])
    shoe = product_id_of(sim, "Shoe")
    link.link({"link_mode": "append", "assets": ASSETS[:1]})
    before = gallery(sim, shoe)
    results = link.link({"link_mode": "append", "assets": [image("shoes/abc_1", "ABC-1", alt="A red shoe")]})
    assert results[shoe].status == "succeeded", results[shoe].error
    after = gallery(sim, shoe)
    assert [m["id"] for m in after] == [m["id"] for m in before]
    assert after[0]["alt"] == "A red shoe"
