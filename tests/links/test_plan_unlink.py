"""plan_unlink (pure): which media leave, which entries leave the metafield."""
from __future__ import annotations

from jobs.executor.state import MediaInfo, ReadState
from jobs.planner.productmedia import ProductMediaEntry
from jobs.unlink_job import plan_unlink

P = "gid://shopify/Product/1"


def entry(public_id, media_id, **extra):
    return ProductMediaEntry(public_id=public_id, resource_type=extra.pop("resource_type", "image"), alt="",
                             media_id=media_id, cloud_name="acme", delivery=extra.pop("delivery", "image"), **extra)


def state(gallery, entries):
    return ReadState(P, "Shirt", gallery=tuple(gallery), productmedia=tuple(entries),
                     media=tuple(MediaInfo(m, "", "READY", "IMAGE") for m in gallery))


def rows(plan):
    return [(a.action, a.public_id, a.media_id) for a in plan.actions]


def test_only_media_both_listed_and_ours_leave_the_gallery():
    s = state(["m0", "m1", "m2", "m3"], [entry("a", "m1"), entry("b", "m2"), entry("c", "m3")])
    plan = plan_unlink(s, ["a", "b", "zzz"], ours={"m1": "A", "m3": "A"})
    assert rows(plan) == [("removed", "a", "m1"), ("skipped", "b", "m2"), ("skipped", "zzz", None)]
    assert [slot.media_id for slot in plan.gallery] == ["m0", "m2", "m3"]   # m2 is not ours: it stays
    assert [e.public_id for e in plan.productmedia] == ["c"]                # both entries leave the metafield
    assert plan.removals == ["m1"] and plan.has_writes
    assert plan.actions[0].group_value == "A", "the row must carry the group so an undo can record the link again"


def test_cache_busted_ids_metafield_only_entries_and_media_already_gone():
    busted = entry("v1700000000/a", "m1", cache_bust=1700000000)
    s = state(["m1"], [busted, entry("v", None, resource_type="video", delivery="none"), entry("gone", "m9")])
    plan = plan_unlink(s, ["a", "v", "gone"], ours={"m1": "A", "m9": None})
    assert rows(plan) == [("removed", "a", "m1"), ("removed", "v", None), ("removed", "gone", None)]
    assert plan.productmedia == () and plan.gallery == ()
    assert plan.removals == ["m1"]


def test_nothing_linked_means_no_writes():
    plan = plan_unlink(state(["m0"], [entry("a", "m1")]), ["b"], ours={"m1": "A"})
    assert rows(plan) == [("skipped", "b", None)] and not plan.has_writes
