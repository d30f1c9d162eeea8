"""jobs.undo_plan.plan_undo, the pure decision of undo, by properties: a
product as the run left it goes back exactly to its before-state, a product
already as before needs nothing, media that were on the product before are
never taken off, and a part someone changed since refuses the product."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from jobs.executor.results import ProductResult
from jobs.undo_plan import Snapshot, after_of, plan_undo, same_json

MEDIA = [f"gid://shopify/MediaImage/{i}" for i in range(1, 9)]
VARIANTS = ["gid://shopify/ProductVariant/1", "gid://shopify/ProductVariant/2"]
OWNERS = ["gid://shopify/Product/1", *VARIANTS]
FILES = ["gid://shopify/MediaImage/101", "gid://shopify/MediaImage/102", None]

galleries = st.lists(st.sampled_from(MEDIA), unique=True, max_size=6).map(tuple)
documents = st.sampled_from([None, "[]", '[{"public_id": "a"}]', '[{"public_id": "b"}]'])


@st.composite
def snapshots(draw: st.DrawFn, *, with_variants: bool = True) -> Snapshot:
    gallery = draw(galleries)
    variants = {v: draw(st.sampled_from([None, *gallery])) for v in VARIANTS} if with_variants else None
    swatches = {o: draw(st.sampled_from(FILES)) for o in OWNERS} if with_variants else None
    return Snapshot(gallery, draw(documents), variants, swatches)


def apply(plan, live: Snapshot) -> Snapshot:
    """What Shopify holds once the plan is carried out on `live`."""
    if plan.status != "restore":
        return live
    on = [m for m in live.gallery if m not in plan.detach] + list(plan.reattach)
    gallery = tuple(plan.gallery) if plan.gallery is not None else tuple(on)
    assert sorted(gallery) == sorted(on), "the order to restore holds other media than the product"
    productmedia = plan.productmedia[0] if plan.productmedia is not None else live.productmedia
    variants = dict(live.variant_media or {})
    for variant, then, image in plan.variants:
        assert variants.get(variant) in (then, None) or then is None
        variants[variant] = image
    swatches = dict(live.swatches or {})
    for owner, file_id in plan.swatches:
        swatches[owner] = file_id
    return Snapshot(gallery, productmedia, variants if live.variant_media is not None else None,
                    swatches if live.swatches is not None else None)


def same(a: Snapshot, b: Snapshot) -> bool:
    return (a.gallery == b.gallery and same_json(a.productmedia, b.productmedia)
            and a.variant_media == b.variant_media and a.swatches == b.swatches)


@settings(max_examples=300, deadline=None)
@given(snapshots(), snapshots())
def test_a_product_as_the_run_left_it_goes_back_to_its_before_state(before, after):
    plan = plan_undo(before, after, after)
    assert plan.status in ("restore", "nothing")
    assert same(apply(plan, after), before)
    assert not set(plan.detach) & set(before.gallery), "undo took off media that were on the product before"


@settings(max_examples=200, deadline=None)
@given(snapshots(), snapshots())
def test_a_product_already_as_before_needs_nothing(before, after):
    assert plan_undo(before, after, before).status == "nothing"


@settings(max_examples=300, deadline=None)
@given(snapshots(), snapshots(), snapshots())
def test_undo_never_overwrites_a_change_made_since(before, after, live):
    plan = plan_undo(before, after, live)
    if plan.status == "restore":
        # Every part it writes is, right now, what the run left there.
        if plan.gallery is not None:
            assert live.gallery == after.gallery
        if plan.productmedia is not None:
            assert same_json(live.productmedia, after.productmedia)
        for variant, _, _ in plan.variants:
            assert (live.variant_media or {}).get(variant) == (after.variant_media or {}).get(variant)
        for owner, _ in plan.swatches:
            assert (live.swatches or {}).get(owner) == (after.swatches or {}).get(owner)


def test_a_gallery_changed_since_refuses_the_product_with_the_reason():
    before = Snapshot(("m1",), None)
    after = Snapshot(("m1", "a1"), '[{"public_id": "a"}]')
    plan = plan_undo(before, after, Snapshot(("a1",), '[{"public_id": "a"}]'))
    assert plan.status == "refused" and "gallery" in (plan.reason or "")
    assert plan_undo(before, after, None).status == "refused"
    restore = plan_undo(before, after, after)
    assert (restore.detach, restore.reattach, restore.productmedia) == (("a1",), (), (None,))


def test_parts_the_run_did_not_read_are_left_alone():
    before = Snapshot(("m1",), None)  # a sync without variant images or swatches
    after = Snapshot(("m1", "a1"), "[]")
    live = Snapshot(("m1", "a1"), "[]", {VARIANTS[0]: "m9"}, {OWNERS[0]: "f9"})
    plan = plan_undo(before, after, live)
    assert plan.status == "restore" and plan.variants == () and plan.swatches == ()


def test_a_product_the_run_wrote_nothing_to_is_as_it_was():
    before = Snapshot(("m1",), None, {VARIANTS[0]: None}, {OWNERS[0]: None})
    for status in ("failed", "unchanged", "stopped"):
        result = ProductResult("gid://shopify/Product/1", "T", status, None, [], ("m1", "x"))  # type: ignore[arg-type]
        assert after_of(before, result) == before
    result = ProductResult("gid://shopify/Product/1", "T", "succeeded", None, [], ("m1", "x"), (),
                           {VARIANTS[0]: "x"}, {OWNERS[0]: "f1"})
    after = after_of(before, result)
    assert after.gallery == ("m1", "x") and after.productmedia == "[]"
    assert after.variant_media == {VARIANTS[0]: "x"} and after.swatches == {OWNERS[0]: "f1"}


def test_cleanup_deletes_only_what_exists_and_nothing_uses():
    from jobs.files_cleanup import Candidate, cleanup_decisions
    files = [Candidate(f"gid://shopify/MediaImage/{i}", f"p/{i}", "sync") for i in range(1, 6)]
    decisions = cleanup_decisions(files, existing={f.file_id for f in files[1:]},
                                  on_products={files[1].file_id}, in_metafields={files[2].file_id}, dry_run=False)
    assert [(d.media_id, d.action) for d in decisions] == [
        (files[0].file_id, "unchanged"), (files[1].file_id, "skipped"), (files[2].file_id, "skipped"),
        (files[3].file_id, "removed"), (files[4].file_id, "removed")]
    preview = cleanup_decisions(files[3:4], existing={files[3].file_id}, on_products=set(), in_metafields=set(),
                                dry_run=True)
    assert preview[0].action == "removed" and preview[0].reason.startswith("dry run")


def test_a_product_the_run_did_not_record_leaving_is_put_back_only_if_untouched():
    before = Snapshot(("m1",), None)
    assert plan_undo(before, None, Snapshot(("m1",), None)).status == "nothing"
    plan = plan_undo(before, None, Snapshot(("m1", "a1"), "[]"))
    assert plan.status == "refused" and "recorded" in (plan.reason or "")
