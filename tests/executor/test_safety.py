"""What the executor must never do: touch other products' media, half-write a
product over Shopify's limit, duplicate media after a crash, or give up on a
passing fault."""
from __future__ import annotations

import json

import pytest

from jobs.executor import MemoryJournal
from shopify_app.admin_api import TransientError, queries
from tests.executor.support import gallery, image, product, product_id_of, writes


def test_media_shared_with_another_product_stay_there(sim, linker):
    link = linker([product("Shoe", ["ABC-1"], media=2), product("Boot", ["BOOT-1"], media=1)])
    shoe, boot = product_id_of(sim, "Shoe"), product_id_of(sim, "Boot")
    shared = gallery(sim, shoe)[0]
    # The merchant also shows the shoe's first photo on the boot.
    link.client.execute(queries.FILE_UPDATE, {"files": [{"id": shared["id"], "referencesToAdd": [boot]}]})
    boot_before = gallery(sim, boot)
    assert shared["id"] in [m["id"] for m in boot_before]

    results = link.link({"link_mode": "reset", "assets": [image("shoes/abc_1", "ABC-1")]})
    assert results[shoe].status == "succeeded", results[shoe].error
    assert [m["filename"] for m in gallery(sim, shoe)] == ["abc_1.jpg"]
    boot_after = gallery(sim, boot)
    assert [(m["id"], m["alt"], m["status"]) for m in boot_after] == \
        [(m["id"], m["alt"], m["status"]) for m in boot_before]


def test_a_product_over_250_media_fails_alone_before_any_write(sim, linker):
    link = linker([product("Full", ["FULL-1"], media=249), product("Shoe", ["ABC-1"])])
    full, shoe = product_id_of(sim, "Full"), product_id_of(sim, "Shoe")
    before = [m["id"] for m in gallery(sim, full)]
    files_before = len(sim.shop()["files"])
    results = link.link({"link_mode": "append", "assets": [
        image("full/a", "FULL-1"), image("full/b", "FULL-1"), image("shoes/abc_1", "ABC-1")]})
    assert results[full].status == "failed"
    assert "250" in results[full].error
    assert {r.action for r in results[full].rows} == {"failed"}
    assert [m["id"] for m in gallery(sim, full)] == before
    assert sim.metafield(full, "productmedia_v1") is None
    # Only the shoe's one file was made.
    assert len(sim.shop()["files"]) == files_before + 1
    assert results[shoe].status == "succeeded"


class CrashAfterCreate(MemoryJournal):
    """The worker dies right after fileCreate answered, before the ids are kept."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = True

    def created(self, records):
        if self.armed:
            self.armed = False
            raise SystemExit("worker killed")
        super().created(records)


def test_crash_between_file_create_and_attach_resumes_without_duplicates(sim, linker):
    journal = CrashAfterCreate()
    link = linker([product("Shoe", ["ABC-1"], media=1), product("Boot", ["BOOT-1"])], journal=journal)
    shoe, boot = product_id_of(sim, "Shoe"), product_id_of(sim, "Boot")
    body = {"link_mode": "prepend", "assets": [image("shoes/abc_1", "ABC-1"), image("shoes/abc_2", "ABC-1"),
                                                image("boots/boot_1", "BOOT-1")]}
    with pytest.raises(SystemExit):
        link.link(body)
    assert len(sim.shop()["files"]) == 1 + 3       # made, attached nowhere
    assert all(r.file_id is None for r in journal.all())

    results = link.link(body)                        # the job runs again
    assert results[shoe].status == "succeeded", results[shoe].error
    assert results[boot].status == "succeeded", results[boot].error
    assert len(sim.shop()["files"]) == 1 + 3       # the same three files, now attached
    assert [m["filename"] for m in gallery(sim, shoe)] == ["abc_1.jpg", "abc_2.jpg", "shoe-0.jpg"]
    assert [m["filename"] for m in gallery(sim, boot)] == ["boot_1.jpg"]
    assert journal.all() == []                       # completed products leave nothing behind


def test_crash_before_the_metafield_write_resumes_without_duplicates(sim, linker):
    link = linker([product("Shoe", ["ABC-1"], media=1)])
    shoe = product_id_of(sim, "Shoe")
    body = {"link_mode": "append", "assets": [image("shoes/abc_1", "ABC-1"), image("shoes/abc_2", "ABC-1")]}
    # Shopify keeps failing metafieldsSet: the client gives up, the job fails
    # after the media were attached but before productmedia_v1 lists them.
    sim.fault({"kind": "500", "count": 20, "operation": "MetafieldsSet"})
    with pytest.raises(TransientError):
        link.link(body)
    assert len(gallery(sim, shoe)) == 3
    assert sim.metafield(shoe, "productmedia_v1") is None
    sim.clear_faults()

    results = link.link(body)
    assert results[shoe].status == "succeeded", results[shoe].error
    media = gallery(sim, shoe)
    assert [m["filename"] for m in media] == ["shoe-0.jpg", "abc_1.jpg", "abc_2.jpg"]
    document = json.loads(sim.metafield(shoe, "productmedia_v1")["value"])
    assert [e["media_id"] for e in document] == [m["id"] for m in media[1:]]


def test_server_errors_and_throttling_are_retried(sim, linker):
    link = linker([product("Shoe", ["ABC-1"])])
    shoe = product_id_of(sim, "Shoe")
    sim.fault([{"kind": "500", "count": 2, "operation": "FileCreate"},
               {"kind": "throttle", "count": 2, "operation": "FileUpdate"},
               {"kind": "internal_error", "count": 1, "operation": "MetafieldsSet"}])
    results = link.link({"link_mode": "append", "assets": [image("shoes/abc_1", "ABC-1")]})
    assert results[shoe].status == "succeeded", results[shoe].error
    assert [m["filename"] for m in gallery(sim, shoe)] == ["abc_1.jpg"]
    assert link.client.stats.throttled >= 2 and link.client.stats.retries >= 3
    faults = [e["fault"] for e in sim.requests() if e["fault"]]
    assert sorted(faults) == ["500", "500", "internal_error", "throttle", "throttle"]
    assert len(sim.shop()["files"]) == 1


def test_a_file_shopify_cannot_process_fails_only_that_asset(sim, linker):
    link = linker([product("Shoe", ["ABC-1"], media=1)])
    shoe = product_id_of(sim, "Shoe")
    sim.fault({"kind": "file_failure", "match": "abc_2", "code": "IMAGE_DOWNLOAD_FAILURE"})
    results = link.link({"link_mode": "overwrite", "assets": [image("shoes/abc_2", "ABC-1"),
                                                              image("shoes/abc_1", "ABC-1")]})
    result = results[shoe]
    assert result.status == "partially_succeeded"
    rows = {r.public_id: r for r in result.rows if r.public_id}
    assert rows["shoes/abc_2"].action == "failed" and "IMAGE_DOWNLOAD_FAILURE" in rows["shoes/abc_2"].error
    # The merchant's photo it was to overwrite stays; abc_1 went in after it.
    assert [m["filename"] for m in gallery(sim, shoe)] == ["shoe-0.jpg", "abc_1.jpg"]
    document = json.loads(sim.metafield(shoe, "productmedia_v1")["value"])
    assert [e["public_id"] for e in document] == ["shoes/abc_1"]


def test_no_write_requests_when_nothing_changed(sim, linker):
    link = linker([product("Shoe", ["ABC-1"], media=1)])
    body = {"link_mode": "prepend", "assets": [image("shoes/abc_1", "ABC-1"), image("shoes/abc_2", "ABC-1")]}
    link.link(body)
    sim.clear_requests()
    results = link.link(body)
    assert {r.status for r in results.values()} == {"unchanged"}
    log = sim.requests()
    assert writes(log) == [] and len(log) == 1      # one read for the whole batch
