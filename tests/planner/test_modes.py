"""Example tests of every link mode, with and without merchant media."""
from __future__ import annotations

import pytest

from jobs.planner import PlanContext, ProductMatch, ProductState, plan_sync
from jobs.planner.plan import MAX_PRODUCT_MEDIA, reorder_moves

from .simulate import DEFAULT_SETTINGS, apply, asset, merchant_gallery, request

PRODUCT = "gid://shopify/Product/1"
MATCHES = {"ABC-1": [ProductMatch(PRODUCT, "Shoe")]}
NOW = 1_800_000_000


def run(req, state, settings=DEFAULT_SETTINGS, matches=MATCHES, now=NOW):
    plan = plan_sync(req, settings, "acme", now, matches, {PRODUCT: state})
    return plan


def only(plan):
    assert len(plan.products) == 1
    return plan.products[0]


def public_ids(state):
    by_media = {e.media_id: e.public_id for e in state.productmedia}
    return [by_media.get(m, m) for m in state.gallery]


def rows(product_plan):
    return [(a.action, a.public_id, a.position) for a in product_plan.actions]


A3 = [asset("shoes/a1"), asset("shoes/a2"), asset("shoes/a3")]


@pytest.fixture
def five():
    return ProductState(PRODUCT, "Shoe", merchant_gallery(5))


def test_overwrite_user_guide_example(five):
    """5 images, 3 synced: the first 3 are replaced, the other 2 stay."""
    plan = only(run(request(A3, "overwrite"), five))
    assert [a.action for a in plan.actions] == ["replaced"] * 3
    assert [a.replaces for a in plan.actions] == list(five.gallery[:3])
    after = apply(five, plan)
    assert public_ids(after) == ["shoes/a1", "shoes/a2", "shoes/a3", *five.gallery[3:]]


def test_overwrite_more_assets_than_media():
    state = ProductState(PRODUCT, "Shoe", merchant_gallery(2))
    plan = only(run(request(A3, "overwrite"), state))
    assert rows(plan) == [("replaced", "shoes/a1", 1), ("replaced", "shoes/a2", 2), ("created", "shoes/a3", 3)]
    assert public_ids(apply(state, plan)) == ["shoes/a1", "shoes/a2", "shoes/a3"]


def test_overwrite_empty_gallery_creates():
    plan = only(run(request(A3, "overwrite"), ProductState(PRODUCT)))
    assert rows(plan) == [("created", "shoes/a1", 1), ("created", "shoes/a2", 2), ("created", "shoes/a3", 3)]


@pytest.mark.parametrize("mode,position,expected", [
    ("append", None, ["m0", "m1", "m2", "m3", "m4", "shoes/a1", "shoes/a2", "shoes/a3"]),
    ("prepend", None, ["shoes/a1", "shoes/a2", "shoes/a3", "m0", "m1", "m2", "m3", "m4"]),
    ("position", 1, ["shoes/a1", "shoes/a2", "shoes/a3", "m0", "m1", "m2", "m3", "m4"]),
    ("position", 3, ["m0", "m1", "shoes/a1", "shoes/a2", "shoes/a3", "m2", "m3", "m4"]),
    ("position", 6, ["m0", "m1", "m2", "m3", "m4", "shoes/a1", "shoes/a2", "shoes/a3"]),
    ("position", 99, ["m0", "m1", "m2", "m3", "m4", "shoes/a1", "shoes/a2", "shoes/a3"]),
    ("reset", None, ["shoes/a1", "shoes/a2", "shoes/a3"]),
])
def test_modes_with_merchant_media(five, mode, position, expected):
    plan = only(run(request(A3, mode, position), five))
    after = apply(five, plan)
    names = {m: f"m{i}" for i, m in enumerate(five.gallery)}
    assert [names.get(x, x) for x in public_ids(after)] == expected
    removed = [a.media_id for a in plan.actions if a.action == "removed"]
    assert removed == (list(five.gallery) if mode == "reset" else [])
    assert [a.action for a in plan.actions if a.public_id] == ["created"] * 3


@pytest.mark.parametrize("mode", ["overwrite", "reset", "append", "prepend", "position"])
def test_modes_without_merchant_media(mode):
    state = ProductState(PRODUCT)
    plan = only(run(request(A3, mode, 2), state))
    after = apply(state, plan)
    assert public_ids(after) == ["shoes/a1", "shoes/a2", "shoes/a3"]
    assert [e.public_id for e in after.productmedia] == ["shoes/a1", "shoes/a2", "shoes/a3"]
    assert all(e.media_id in after.gallery for e in after.productmedia)
    second = only(run(request(A3, mode, 2), after))
    assert not second.has_writes
    assert {a.action for a in second.actions} == {"unchanged"}


@pytest.mark.parametrize("mode", ["overwrite", "reset", "append", "prepend", "position"])
def test_second_identical_run_plans_nothing(five, mode):
    req = request(A3, mode, 2)
    after = apply(five, only(run(req, five)))
    again = only(run(req, after))
    assert not again.has_writes and not again.productmedia_changed
    assert [a.action for a in again.actions] == ["unchanged"] * 3
    assert apply(after, again) == after


def test_relink_reorders_without_duplicating(five):
    after = apply(five, only(run(request(A3, "append"), five)))
    reordered = [asset("shoes/a3"), asset("shoes/a1"), asset("shoes/a2")]
    plan = only(run(request(reordered, "prepend"), after))
    assert {a.action for a in plan.actions} <= {"moved", "unchanged"}
    final = apply(after, plan)
    assert public_ids(final)[:3] == ["shoes/a3", "shoes/a1", "shoes/a2"]
    assert len(final.gallery) == 8  # nothing duplicated, no merchant media lost


def test_new_version_refreshes_in_place(five):
    after = apply(five, only(run(request(A3, "append"), five)))
    changed = [asset("shoes/a1"), asset("shoes/a2", version=1800000000), asset("shoes/a3")]
    plan = only(run(request(changed, "append"), after))
    assert [(a.action, a.public_id) for a in plan.actions] == [
        ("unchanged", "shoes/a1"), ("replaced", "shoes/a2"), ("unchanged", "shoes/a3")]
    row = plan.actions[1]
    assert row.needs_upload and row.reason == "new version 1800000000"
    final = apply(after, plan)
    assert public_ids(final) == public_ids(after) and final.gallery[6] != after.gallery[6]


def test_transformation_change_refreshes(five):
    after = apply(five, only(run(request(A3, "append"), five)))
    req = request(A3, "append", settings={"default_transformation": "w_1200,h_1200,c_fill"})
    plan = only(run(req, after))
    assert [a.action for a in plan.actions] == ["replaced"] * 3
    assert all("w_1200,h_1200,c_fill" in a.asset.delivery.url for a in plan.actions)


def test_alt_change_updates_without_upload(five):
    after = apply(five, only(run(request(A3, "append"), five)))
    req = request([asset("shoes/a1", alt="Red shoe"), asset("shoes/a2"), asset("shoes/a3")], "append")
    plan = only(run(req, after))
    first = plan.actions[0]
    assert (first.action, first.reason, first.needs_upload) == ("replaced", "alt text changed", False)
    assert plan.productmedia[0].alt == "Red shoe"


def test_reset_removes_earlier_assetlink_media_not_in_group(five):
    after = apply(five, only(run(request(A3, "append"), five)))
    plan = only(run(request([asset("shoes/a2")], "reset"), after))
    final = apply(after, plan)
    assert public_ids(final) == ["shoes/a2"]
    removed = [a for a in plan.actions if a.action == "removed"]
    assert {a.public_id for a in removed if a.public_id} == {"shoes/a1", "shoes/a3"}
    assert len(removed) == 7


def test_append_keeps_earlier_assetlink_media_of_other_groups(five):
    after = apply(five, only(run(request(A3, "append"), five)))
    plan = only(run(request([asset("shoes/b1")], "append"), after))
    final = apply(after, plan)
    assert public_ids(final)[-4:] == ["shoes/a1", "shoes/a2", "shoes/a3", "shoes/b1"]
    assert [e.public_id for e in final.productmedia] == ["shoes/a1", "shoes/a2", "shoes/a3", "shoes/b1"]


def test_media_the_merchant_deleted_is_linked_again(five):
    after = apply(five, only(run(request(A3, "append"), five)))
    deleted = after.gallery[5]
    trimmed = ProductState(PRODUCT, "Shoe", tuple(m for m in after.gallery if m != deleted),
                           after.productmedia, after.productmedia_value)
    plan = only(run(request(A3, "append"), trimmed))
    assert [(a.action, a.public_id) for a in plan.actions] == [
        ("created", "shoes/a1"), ("moved", "shoes/a2"), ("moved", "shoes/a3")]
    assert plan.actions[0].reason == "its media had been deleted from the product"
    final = apply(trimmed, plan)
    assert public_ids(final)[-3:] == ["shoes/a1", "shoes/a2", "shoes/a3"]
    assert len(final.gallery) == 8


def test_duplicate_media_in_the_document_are_removed(five):
    after = apply(five, only(run(request(A3, "append"), five)))
    copy = "gid://shopify/MediaImage/copy"
    extra = after.productmedia[0].model_copy(update={"media_id": copy})
    broken = ProductState(PRODUCT, "Shoe", after.gallery + (copy,), after.productmedia + (extra,))
    plan = only(run(request(A3, "append"), broken))
    assert ("removed", copy) in [(a.action, a.media_id) for a in plan.actions]
    final = apply(broken, plan)
    assert copy not in final.gallery and len(final.gallery) == 8


def test_several_groups_link_in_first_appearance_order():
    assets = [asset("v2/front", "SKU-2"), asset("v1/front", "SKU-1"), asset("v2/back", "SKU-2")]
    matches = {"SKU-2": [ProductMatch(PRODUCT, "Shoe", "gid://shopify/ProductVariant/2")],
               "SKU-1": [ProductMatch(PRODUCT, "Shoe", "gid://shopify/ProductVariant/1")]}
    plan = only(run(request(assets, "append"), ProductState(PRODUCT), matches=matches))
    assert [(a.public_id, a.group_value) for a in plan.actions] == [
        ("v2/front", "SKU-2"), ("v2/back", "SKU-2"), ("v1/front", "SKU-1")]


def test_asset_in_two_groups_of_one_product_is_linked_once():
    assets = [asset("both", ["SKU-1", "SKU-2"]), asset("one", "SKU-2")]
    matches = {"SKU-1": [ProductMatch(PRODUCT)], "SKU-2": [ProductMatch(PRODUCT)]}
    plan = only(run(request(assets, "append"), ProductState(PRODUCT), matches=matches))
    assert [a.public_id for a in plan.actions] == ["both", "one"]


def test_one_group_links_to_every_matching_product():
    other = "gid://shopify/Product/2"
    matches = {"ABC-1": [ProductMatch(PRODUCT), ProductMatch(other)]}
    plan = plan_sync(request(A3, "append"), DEFAULT_SETTINGS, "acme", NOW, matches, {})
    assert [p.product_id for p in plan.products] == [PRODUCT, other]
    assert all(len(p.actions) == 3 for p in plan.products)


def test_over_250_media_fails_whole_product_before_any_write():
    state = ProductState(PRODUCT, "Shoe", merchant_gallery(249))
    plan = only(run(request(A3, "append"), state))
    assert plan.status == "failed" and not plan.has_writes
    assert [a.action for a in plan.actions] == ["failed"] * 3
    assert "252" in plan.error and str(MAX_PRODUCT_MEDIA) in plan.error
    assert apply(state, plan) == state


def test_exactly_250_is_allowed():
    state = ProductState(PRODUCT, "Shoe", merchant_gallery(247))
    assert only(run(request(A3, "append"), state)).status == "planned"


def test_reset_under_the_limit_even_when_the_gallery_is_full():
    state = ProductState(PRODUCT, "Shoe", merchant_gallery(250))
    assert only(run(request(A3, "reset"), state)).status == "planned"


def test_unmatched_groups_and_assets_without_value_are_reported():
    assets = [asset("a", "ABC-1"), asset("b", None), asset("c", "NOPE"), asset("d", "ABC-1", excluded=True)]
    plan = run(request(assets, "append"), ProductState(PRODUCT))
    reasons = {a.public_id: a.reason for a in plan.unplaced}
    assert reasons == {"b": "no value in metadata field 'sku'", "c": "no product matches 'NOPE'",
                       "d": "excluded from the sync"}
    assert [a.public_id for a in only(plan).actions] == ["a"]


def test_excluded_group():
    assets = [asset("a", "ABC-1"), asset("b", "abc-1 ")]
    plan = run(request(assets, "append", excluded_groups=["ABC-1"]), ProductState(PRODUCT))
    assert plan.products == ()
    assert [(a.public_id, a.reason) for a in plan.unplaced] == [("a", "group excluded from the sync"),
                                                               ("b", "group excluded from the sync")]


def test_video_behaviours():
    video = asset("clips/run", resource_type="video", format="mov")
    for behavior, kind in [("placeholder", "video_placeholder"), ("full_video", "video")]:
        req = request([video], "append", settings={"video_behavior": behavior})
        row = only(run(req, ProductState(PRODUCT))).actions[0]
        assert row.action == "created" and row.asset.delivery.kind == kind
    req = request([asset("shoes/a1"), video], "append", settings={"video_behavior": "none"})
    plan = only(run(req, ProductState(PRODUCT)))
    assert [(a.action, a.public_id) for a in plan.actions] == [("created", "shoes/a1"), ("skipped", "clips/run")]
    assert [(e.public_id, e.media_id, e.delivery) for e in plan.productmedia] == [
        ("shoes/a1", None, "image"), ("clips/run", None, "none")]
    after = apply(ProductState(PRODUCT), plan)
    assert [e.public_id for e in after.productmedia] == ["shoes/a1", "clips/run"]
    assert not only(run(req, after)).has_writes


def test_switching_a_video_to_none_removes_its_media():
    video = asset("clips/run", resource_type="video", format="mov")
    first = apply(ProductState(PRODUCT), only(run(request([video], "append"), ProductState(PRODUCT))))
    plan = only(run(request([video], "append", settings={"video_behavior": "none"}), first))
    assert [(a.action, a.media_id) for a in plan.actions] == [("removed", first.gallery[0]), ("skipped", None)]
    final = apply(first, plan)
    assert final.gallery == () and [e.media_id for e in final.productmedia] == [None]


def test_raw_assets_are_skipped():
    plan = only(run(request([asset("docs/spec", resource_type="raw", format="pdf")], "reset"),
                    ProductState(PRODUCT, "", merchant_gallery(2))))
    assert [a.action for a in plan.actions] == ["skipped"]
    assert not plan.has_writes  # a group with nothing for the gallery leaves it alone, even in reset


def test_swatches_split_out():
    assets = [asset("s/front", "ABC-1", metadata={"asset_type": "product"}),
              asset("s/swatch", "ABC-1", metadata={"asset_type": "Swatch"}),
              asset("s/swatch2", "ABC-1", metadata={"asset_type": "swatch"})]
    matches = {"ABC-1": [ProductMatch(PRODUCT, "Shoe", "gid://shopify/ProductVariant/9")]}
    req = request(assets, "reset", settings={"asset_type_field": "asset_type"})
    plan = only(run(req, ProductState(PRODUCT), matches=matches))
    assert [(a.action, a.public_id, a.swatch_owner) for a in plan.actions] == [
        ("created", "s/front", None),
        ("created", "s/swatch", "gid://shopify/ProductVariant/9"),
        ("skipped", "s/swatch2", "gid://shopify/ProductVariant/9")]
    assert [s.asset.public_id for s in plan.gallery] == ["s/front"]
    assert [e.public_id for e in plan.productmedia] == ["s/front"]
    after = apply(ProductState(PRODUCT), plan)
    assert not only(run(req, after, matches=matches)).has_writes


def test_variant_images():
    assets = [asset("v/1a", "SKU-1"), asset("v/1b", "SKU-1"), asset("v/2a", "SKU-2")]
    v1, v2 = "gid://shopify/ProductVariant/1", "gid://shopify/ProductVariant/2"
    matches = {"SKU-1": [ProductMatch(PRODUCT, "", v1)], "SKU-2": [ProductMatch(PRODUCT, "", v2)]}
    req = request(assets, "append", variant_images=True)
    plan = only(run(req, ProductState(PRODUCT), matches=matches))
    assert [(v.variant_id, v.public_id, v.media_id) for v in plan.variant_images] == [
        (v1, "v/1a", None), (v2, "v/2a", None)]
    after = apply(ProductState(PRODUCT), plan)
    assert not only(run(req, after, matches=matches)).has_writes


def test_cache_busting_prefixes_and_keeps_prefix_of_unchanged_assets(five):
    req = request(A3, "append", settings={"cache_busting": True})
    after = apply(five, only(run(req, five, now=NOW)))
    assert [e.public_id for e in after.productmedia] == [f"v{NOW}/shoes/a{i}" for i in (1, 2, 3)]
    again = only(run(req, after, now=NOW + 600))
    assert not again.has_writes
    bumped = request([asset("shoes/a1", version=1900000000), asset("shoes/a2"), asset("shoes/a3")], "append",
                     settings={"cache_busting": True})
    plan = only(run(bumped, after, now=NOW + 900))
    assert [e.public_id for e in plan.productmedia] == [
        f"v{NOW + 900}/shoes/a1", f"v{NOW}/shoes/a2", f"v{NOW}/shoes/a3"]


def test_plan_context_from_request():
    req = request(A3, "position", 4, variant_images=True)
    ctx = PlanContext.for_request(req, DEFAULT_SETTINGS, "acme", NOW)
    assert (ctx.link_mode, ctx.position, ctx.variant_images) == ("position", 4, True)


def test_reorder_moves_example_from_shopify():
    # Shopify's documented sequential semantics: [F,D,S,B] + moves = [F,B,S,D]
    moves = reorder_moves(["F", "D", "S", "B"], ["F", "B", "S", "D"])
    work = ["F", "D", "S", "B"]
    for media_id, index in moves:
        work.remove(media_id)
        work.insert(index, media_id)
    assert work == ["F", "B", "S", "D"]
    assert reorder_moves(["a", "b"], ["a", "b"]) == []
    with pytest.raises(ValueError):
        reorder_moves(["a"], ["b"])


def test_plan_survives_storage_as_json(five):
    """The job keeps each product's plan as JSON for support: nothing of it is lost."""
    import json

    from pydantic import TypeAdapter

    from jobs.planner.plan import ProductPlan, plan_to_json
    req = request(A3 + [asset("clips/v", resource_type="video")], "overwrite", variant_images=True)
    plan = only(run(req, five))
    assert TypeAdapter(ProductPlan).validate_python(json.loads(json.dumps(plan_to_json(plan)))) == plan


def test_repeated_assets_are_found():
    req = request([asset("a"), asset("b"), asset("a"), asset("a", resource_type="video")])
    assert req.repeated_assets() == [(2, 0)]


def test_an_asset_that_becomes_a_swatch_leaves_the_gallery(five):
    front, swatch = asset("s/front"), asset("s/sw", metadata={"kind": "swatch"})
    after = apply(five, only(run(request([front, swatch], "append"), five)))
    assert len(after.gallery) == 7
    req = request([front, swatch], "append", settings={"asset_type_field": "kind"})
    plan = only(run(req, after))
    removed = [a for a in plan.actions if a.action == "removed"]
    assert [(a.public_id, a.reason) for a in removed] == [("s/sw", "now a swatch: swatches don't enter the gallery")]
    final = apply(after, plan)
    assert len(final.gallery) == 6 and [e.public_id for e in final.productmedia] == ["s/front"]
    assert not only(run(req, final)).has_writes


def test_a_document_over_shopifys_json_limit_fails_the_product_before_any_write():
    """productmedia_v1 is written last: a value Shopify refuses (over 128 KB)
    would leave the gallery changed and the document not. Long public IDs
    and alt texts make it so with well under 250 media."""
    from jobs.planner.plan import MAX_DOCUMENT_BYTES
    long = [asset(f"campaigns/{'autumn-lookbook-' * 10}{i:03}", alt="A" * 400) for i in range(200)]
    state = ProductState(PRODUCT, "Shoe", merchant_gallery(2))
    plan = only(run(request(long, "append"), state))
    assert plan.status == "failed" and not plan.has_writes
    assert "productmedia_v1" in plan.error and "128 KB" in plan.error
    assert apply(state, plan) == state
    # Half as many fit: planned, and the document with its media ids stays under the limit.
    fitting = only(run(request(long[:100], "append"), state))
    assert fitting.status == "planned"
    from jobs.planner import dump_document
    from jobs.planner.planning import document_bytes
    filled = [e.model_copy(update={"media_id": f"gid://shopify/MediaImage/{10**13 + i}"})
              for i, e in enumerate(fitting.productmedia)]
    assert len(dump_document(filled).encode()) <= document_bytes(fitting.productmedia) <= MAX_DOCUMENT_BYTES
