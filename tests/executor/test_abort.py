"""An abort inside a chunk: the executor asks `stop_requested` between its
steps and before every write call; a product whose writes have begun is
finished, one whose writes have not begun gets none."""
from __future__ import annotations

import json
from dataclasses import replace

from tests.executor.support import FAST, gallery, image, product, product_id_of, writes


def test_abort_after_the_files_are_made_writes_nothing_to_any_product(sim, linker):
    link = linker([product("Shoe", ["ABC-1"]), product("Boot", ["BOOT-1"])])
    made = lambda: link.client.stats.by_operation.get("FileCreate", 0) > 0  # noqa: E731
    link.options = replace(FAST, stop_requested=made)
    sim.clear_requests()
    results = link.link({"link_mode": "append", "assets": [image("shoes/abc_1", "ABC-1"),
                                                           image("boots/boot_1", "BOOT-1")]})
    assert {r.status for r in results.values()} == {"stopped"}
    assert all(r.rows == [] for r in results.values())
    assert [e["operationName"] for e in writes(sim.requests())] == ["FileCreate"]
    for title in ("Shoe", "Boot"):
        pid = product_id_of(sim, title)
        assert gallery(sim, pid) == [] and sim.metafield(pid, "productmedia_v1") is None
    # The files stay in the journal: the next run uses them instead of making them again.
    link.options = FAST
    sim.clear_requests()
    again = link.link({"link_mode": "append", "assets": [image("shoes/abc_1", "ABC-1"),
                                                         image("boots/boot_1", "BOOT-1")]})
    assert {r.status for r in again.values()} == {"succeeded"}
    assert "FileCreate" not in [e["operationName"] for e in writes(sim.requests())]


def test_a_product_whose_writes_began_is_finished_the_others_are_not_started(sim, linker):
    # Reset on the shoe first takes its merchant photo off (the first fileUpdate
    # round); the boot only gains media (the second round). The abort comes
    # in between.
    link = linker([product("Shoe", ["ABC-1"], media=1), product("Boot", ["BOOT-1"])])
    shoe, boot = product_id_of(sim, "Shoe"), product_id_of(sim, "Boot")
    updates = lambda: link.client.stats.by_operation.get("FileUpdate", 0) > 0  # noqa: E731
    link.options = replace(FAST, stop_requested=updates)
    results = link.link({"link_mode": "reset", "assets": [image("shoes/abc_1", "ABC-1"),
                                                          image("boots/boot_1", "BOOT-1")]})
    assert results[shoe].status == "succeeded", results[shoe].error
    assert [m["filename"] for m in gallery(sim, shoe)] == ["abc_1.jpg"]
    assert [e["public_id"] for e in json.loads(sim.metafield(shoe, "productmedia_v1")["value"])] == ["shoes/abc_1"]
    assert results[boot].status == "stopped" and results[boot].rows == []
    assert gallery(sim, boot) == [] and sim.metafield(boot, "productmedia_v1") is None
