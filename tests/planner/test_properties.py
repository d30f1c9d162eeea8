"""Property-based tests of the planner's invariants, from arbitrary histories:
earlier AssetLink runs in any mode, then the merchant reordering, deleting and
adding media in the admin, then the run under test."""
from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from jobs.planner import ProductMatch, ProductState, Settings, plan_sync
from jobs.planner.plan import MAX_PRODUCT_MEDIA, reorder_moves

from .simulate import apply, asset, merchant_gallery, request

PRODUCT = "gid://shopify/Product/1"
MATCHES = {"ABC-1": [ProductMatch(PRODUCT, "Shoe")]}
POOL = [f"p/a{i}" for i in range(8)]
MODES = ["overwrite", "reset", "append", "prepend", "position"]
SETTINGS = Settings()

modes = st.sampled_from(MODES)


VIDEOS = {"p/a6", "p/a7"}   # videos in the pool
SWATCHES = {"p/a5"}          # marked as a swatch when the run uses asset_type_field


@st.composite
def runs(draw, mixed=True):
    """A request: a subset of the pool in some order, a mode, maybe new
    versions; with `mixed`, videos under any video_behavior and a swatch."""
    ids = draw(st.lists(st.sampled_from(POOL), unique=True, min_size=1, max_size=6))
    versions = draw(st.lists(st.sampled_from([1, 2]), min_size=len(ids), max_size=len(ids)))
    mode = draw(modes)
    position = draw(st.integers(1, 12))
    settings = {}
    if mixed:
        settings = {"video_behavior": draw(st.sampled_from(["placeholder", "full_video", "none"])),
                    "asset_type_field": draw(st.sampled_from([None, "kind"]))}
    assets = [asset(pid, version=v, resource_type="video" if mixed and pid in VIDEOS else "image",
                    metadata={"kind": "swatch" if pid in SWATCHES else "product"}) for pid, v in zip(ids, versions)]
    return request(assets, mode, position, settings=settings)


def gallery_assets(req):
    """The request's assets that the gallery receives, in order."""
    settings = req.settings.apply_to(SETTINGS)
    return [a for a in req.assets
            if not (settings.asset_type_field and a.public_id in SWATCHES)
            and not (a.resource_type == "video" and settings.video_behavior == "none")]


def plan_one(req, state, now=1_800_000_000):
    plan = plan_sync(req, SETTINGS, "acme", now, MATCHES, {PRODUCT: state})
    assert len(plan.products) == 1
    return plan.products[0]


@st.composite
def histories(draw):
    state = ProductState(PRODUCT, "Shoe", merchant_gallery(draw(st.integers(0, 6))))
    for _ in range(draw(st.integers(0, 3))):
        state = apply(state, plan_one(draw(runs()), state))
        # The merchant edits the gallery in the admin between syncs.
        gallery = list(draw(st.permutations(state.gallery)))
        if gallery and draw(st.booleans()):
            del gallery[draw(st.integers(0, len(gallery) - 1))]
        gallery += merchant_gallery(draw(st.integers(0, 2)))
        state = ProductState(PRODUCT, "Shoe", tuple(gallery), state.productmedia, state.productmedia_value)
    return state


def linked_media(state):
    return {e.media_id for e in state.productmedia if e.media_id}


def a_media(after, req):
    by_key = {e.asset_key: e.media_id for e in after.productmedia}
    return [by_key[a.key] for a in gallery_assets(req)]


# CI runs 150 histories per property; PLANNER_EXAMPLES=2000 bin/test tests/planner
# runs more before a change to the planner lands.
EXAMPLES = int(os.environ.get("PLANNER_EXAMPLES", "150"))
PROPS = hsettings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(histories(), runs())
def test_kept_media_stay_in_relative_order(state, req):
    plan = plan_one(req, state)
    after = apply(state, plan)
    moved = set(a_media(after, req))
    kept = [m for m in after.gallery if m in set(state.gallery) and m not in moved]
    assert kept == [m for m in state.gallery if m in set(kept)]


@PROPS
@given(histories(), runs())
def test_modes_keep_or_drop_merchant_media_as_documented(state, req):
    plan = plan_one(req, state)
    after = apply(state, plan)
    merchant = [m for m in state.gallery if m not in linked_media(state)]
    remaining = [m for m in merchant if m in set(after.gallery)]
    count = len(gallery_assets(req))
    if req.link_mode in ("append", "prepend", "position") or count == 0:
        assert remaining == merchant
    elif req.link_mode == "reset":
        assert remaining == []
    else:  # overwrite: at most one merchant media per synced asset goes
        assert len(merchant) - len(remaining) <= count
        assert remaining == [m for m in merchant if state.gallery.index(m) >= count]


@PROPS
@given(histories(), runs())
def test_nothing_assetlink_linked_is_duplicated(state, req):
    after = apply(state, plan_one(req, state))
    assert len(set(after.gallery)) == len(after.gallery)
    keys = [e.asset_key for e in after.productmedia]
    assert len(set(keys)) == len(keys)
    media = [e.media_id for e in after.productmedia if e.media_id]
    assert set(media) <= set(after.gallery) and len(set(media)) == len(media)
    # the document lists AssetLink's media in gallery order
    assert media == [m for m in after.gallery if m in set(media)]


@PROPS
@given(histories(), runs())
def test_the_group_lands_where_the_mode_says(state, req):
    plan = plan_one(req, state)
    after = apply(state, plan)
    block = a_media(after, req)
    if not block:
        # Nothing for the gallery: left alone, even by reset, but for media
        # that leaves whatever the mode (now a swatch, or a video now "none").
        removed = {a.media_id for a in plan.actions if a.action == "removed"}
        assert all(a.public_id in SWATCHES | VIDEOS for a in plan.actions if a.action == "removed")
        assert after.gallery == tuple(m for m in state.gallery if m not in removed)
        return
    size = len(block)
    start = after.gallery.index(block[0])
    assert list(after.gallery[start:start + size]) == block
    rest = len(after.gallery) - size
    if req.link_mode in ("overwrite", "prepend"):
        assert start == 0
    elif req.link_mode == "append":
        assert start == rest
    elif req.link_mode == "position":
        assert start == min(req.position - 1, rest)
    else:
        assert list(after.gallery) == block  # reset leaves exactly the group
        listed = [a.public_id for a in req.assets if a.public_id not in SWATCHES
                  or not req.settings.apply_to(SETTINGS).asset_type_field]
        assert [e.raw_public_id for e in after.productmedia] == listed


@PROPS
@given(histories(), runs())
def test_second_identical_run_plans_no_writes(state, req):
    first = plan_one(req, state)
    after = apply(state, first)
    second = plan_one(req, after, now=1_900_000_000)
    assert not second.has_writes
    assert {a.action for a in second.actions} <= {"unchanged", "skipped"}
    assert apply(after, second) == after


@PROPS
@given(histories(), runs())
def test_reused_media_is_never_uploaded_again_unless_changed(state, req):
    plan = plan_one(req, state)
    linked = {e.asset_key: e for e in state.productmedia if e.media_id in set(state.gallery)}
    for row in plan.actions:
        if row.needs_upload and row.asset is not None and row.asset.key in linked and row.swatch_owner is None:
            old = linked[row.asset.key]
            assert old.version != row.asset.asset.version or old.source_url != row.asset.delivery.url


@hsettings(max_examples=60, deadline=None)
@given(st.integers(240, MAX_PRODUCT_MEDIA), st.integers(1, 15), modes)
def test_250_limit_fails_the_product_before_any_write(existing, count, mode):
    state = ProductState(PRODUCT, "Shoe", merchant_gallery(existing))
    req = request([asset(f"p/{i}") for i in range(count)], mode, 3)
    plan = plan_one(req, state)
    final_size = {"reset": count, "overwrite": max(existing, count)}.get(mode, existing + count)
    if final_size > MAX_PRODUCT_MEDIA:
        assert plan.status == "failed" and not plan.has_writes
        assert {a.action for a in plan.actions} == {"failed"} and plan.error
        assert apply(state, plan) == state
    else:
        assert plan.status == "planned"
        assert len(apply(state, plan).gallery) == final_size


@given(st.lists(st.integers(0, 30), unique=True, max_size=15).flatmap(
    lambda xs: st.tuples(st.just(xs), st.permutations(xs))))
def test_reorder_moves_reach_the_target(pair):
    current, target = [str(x) for x in pair[0]], [str(x) for x in pair[1]]
    work = list(current)
    moves = reorder_moves(current, target)
    for media_id, index in moves:
        work.remove(media_id)
        work.insert(index, media_id)
    assert work == target
    assert (moves == []) == (current == target)
