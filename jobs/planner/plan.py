"""Plan one sync: for every matched product, its target gallery and the
actions that get it there (pure: no I/O, the same input gives the same plan).

The executor carries a plan out and the dry run reports it, so both speak the
report's action words: created, replaced, moved, unchanged, removed, skipped,
failed.

Link modes, with E the product's current gallery and A the group's assets:
  overwrite  A[i] takes E[i]'s place for i < len(E); extra A's go to the end
  reset      the gallery becomes exactly A
  append     E + A;  prepend  A + E
  position p E[:p-1] + A + E[p-1:] (p past the end = append)
An asset AssetLink already linked to the product (same public ID, from
productmedia_v1) is reused: for append/prepend/position/reset its current
media leaves E before the mode applies and lands at its place in A; for
overwrite it moves to its slot and its old slot closes. It is refreshed only
when what Shopify received would change (version, transformation, delivered
kind or alt text). So a second identical run finds the gallery already equal
to its target and plans no writes.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Literal, Mapping, Sequence

from pydantic import TypeAdapter

from .delivery import Delivery, delivery_for, swatch_delivery
from .grouping import Group, Grouping, Unplaced, build_groups
from .naming import alt_text, filename_for
from .productmedia import ProductMediaEntry, dump_document
from .request import Asset, AssetKey, SyncRequest
from .settings import Settings

MAX_PRODUCT_MEDIA = 250  # Shopify: PRODUCT_MEDIA_LIMIT_EXCEEDED above this

Word = Literal["created", "replaced", "moved", "unchanged", "removed", "skipped", "failed"]
WRITES: frozenset[str] = frozenset({"created", "replaced", "moved", "removed"})


@dataclass(frozen=True)
class ProductMatch:
    """A product (and, for a variant-level field, the variant) a group value matched."""

    product_id: str
    title: str = ""
    variant_id: str | None = None


@dataclass(frozen=True)
class ProductState:
    """What the product looks like now, read just before planning it."""

    product_id: str
    title: str = ""
    gallery: tuple[str, ...] = ()                       # media GIDs in gallery order
    productmedia: tuple[ProductMediaEntry, ...] = ()    # the current cloudinary.productmedia_v1
    productmedia_value: str | None = None               # its raw value, to detect a needed rewrite
    variant_media: Mapping[str, str | None] = field(default_factory=dict)  # variant GID -> media GID
    swatches: Mapping[str, str | None] = field(default_factory=dict)  # owner GID -> source URL of its swatch


@dataclass(frozen=True)
class PlannedAsset:
    """One asset as AssetLink will send it."""

    asset: Asset
    group_value: str
    variant_id: str | None
    delivery: Delivery
    alt: str
    filename: str | None

    @property
    def key(self) -> AssetKey:
        return self.asset.key

    @property
    def public_id(self) -> str:
        return self.asset.public_id


@dataclass(frozen=True)
class Slot:
    """One place in the target gallery: existing media kept as it is, or an
    AssetLink asset (reused media when `media_id` is set, else new)."""

    media_id: str | None
    asset: PlannedAsset | None = None


@dataclass(frozen=True)
class Action:
    action: Word
    public_id: str | None
    group_value: str | None = None
    position: int | None = None       # 1-based place in the target gallery
    media_id: str | None = None       # the existing media this concerns
    replaces: str | None = None       # media taken out to make room (overwrite) or refreshed
    reason: str | None = None
    asset: PlannedAsset | None = None  # what to send, for created / replaced
    swatch_owner: str | None = None    # set on swatch rows: the variant or product GID

    @property
    def needs_upload(self) -> bool:
        """New media must be made from `asset`: a created or overwriting
        asset, or a refresh (replaces its own media). An alt-only update
        (replaced, `replaces` None, `media_id` set) needs none."""
        return (self.action in ("created", "replaced") and self.asset is not None
                and (self.media_id is None or self.replaces is not None))


@dataclass(frozen=True)
class VariantImage:
    variant_id: str
    public_id: str
    key: AssetKey
    media_id: str | None   # known when the asset's media is reused and kept


@dataclass(frozen=True)
class ProductPlan:
    product_id: str
    title: str
    status: Literal["planned", "failed"]
    error: str | None
    gallery: tuple[Slot, ...]
    actions: tuple[Action, ...]
    productmedia: tuple[ProductMediaEntry, ...]  # target document; media_id None where media is still to be made
    productmedia_changed: bool
    variant_images: tuple[VariantImage, ...] = ()
    group_values: tuple[str, ...] = ()

    @property
    def removals(self) -> list[str]:
        """Media to take off the product: removed rows and the media a replacement displaces."""
        out = [a.media_id for a in self.actions if a.action == "removed" and a.media_id]
        out += [a.replaces for a in self.actions if a.action == "replaced" and a.replaces]
        return out

    @property
    def has_writes(self) -> bool:
        return self.status == "planned" and (
            any(a.action in WRITES for a in self.actions) or self.productmedia_changed or bool(self.variant_images))


@dataclass(frozen=True)
class PlanContext:
    link_mode: str
    position: int | None
    settings: Settings
    cloud_name: str
    now: int                      # unix time of the sync (cache busting)
    variant_images: bool = False

    @classmethod
    def for_request(cls, request: SyncRequest, settings: Settings, cloud_name: str, now: int) -> "PlanContext":
        """`settings` are the connection's; the request's overrides apply on top."""
        return cls(request.link_mode, request.position, request.settings.apply_to(settings), cloud_name, now,
                   request.variant_images)


@dataclass(frozen=True)
class ProductTarget:
    """The groups one product receives, in the order the groups first appeared."""

    product_id: str
    title: str
    groups: tuple[tuple[Group, str | None], ...]   # (group, matched variant or None)


@dataclass(frozen=True)
class SyncPlan:
    products: tuple[ProductPlan, ...]
    unplaced: tuple[Action, ...]       # rows for assets that link to no product

    @property
    def has_writes(self) -> bool:
        return any(p.has_writes for p in self.products)


# -- assigning groups to products ---------------------------------------------------------------

def assign_groups(groups: Sequence[Group], matches: Mapping[str, Sequence[ProductMatch]]
                  ) -> tuple[list[ProductTarget], list[Action]]:
    """Which groups each product receives (`matches` is keyed by group value as
    built, or its trimmed case-folded form); groups matching nothing become
    skipped rows."""
    order: dict[str, ProductTarget] = {}
    unmatched: list[Action] = []
    for group in groups:
        found = matches.get(group.value) or matches.get(group.key) or ()
        if not found:
            for asset in group.assets + group.swatches:
                unmatched.append(Action("skipped", asset.public_id, group.value,
                                        reason=f"no product matches '{group.value}'"))
            continue
        for match in found:
            target = order.get(match.product_id)
            entry = ((group, match.variant_id),)
            if target is None:
                order[match.product_id] = ProductTarget(match.product_id, match.title, entry)
            elif all(g is not group for g, _ in target.groups):
                order[match.product_id] = replace(target, groups=target.groups + entry)
    return list(order.values()), unmatched


def unplaced_rows(unplaced: Iterable[Unplaced]) -> list[Action]:
    return [Action("skipped", u.asset.public_id, u.group_value, reason=u.reason) for u in unplaced]


# -- one product ----------------------------------------------------------------------------------

def _planned(asset: Asset, group: Group, variant_id: str | None, ctx: PlanContext) -> PlannedAsset:
    delivery = delivery_for(asset, ctx.cloud_name, ctx.settings)
    filename = (filename_for(asset, ctx.cloud_name, ctx.settings.filename_format, delivery.format)
                if delivery.format else None)
    return PlannedAsset(asset, group.value, variant_id, delivery, alt_text(asset, ctx.settings.alt_text_source),
                        filename)


def _needs_refresh(entry: ProductMediaEntry, planned: PlannedAsset) -> str | None:
    delivery = planned.delivery
    if entry.delivery != delivery.kind:
        return f"delivery changed from {entry.delivery} to {delivery.kind}"
    if entry.version != planned.asset.version:
        return f"new version {planned.asset.version}"
    if entry.transformation != delivery.transformation or entry.source_url != delivery.url:
        return "transformation changed"
    if entry.alt != planned.alt:
        return "alt text changed"
    return None


def _entry(planned: PlannedAsset, media_id: str | None, ctx: PlanContext, cache_bust: int | None
           ) -> ProductMediaEntry:
    asset = planned.asset
    public_id = f"v{cache_bust}/{asset.public_id}" if cache_bust is not None else asset.public_id
    kind = planned.delivery.kind
    return ProductMediaEntry(
        public_id=public_id, resource_type=asset.resource_type, type=asset.type, alt=planned.alt,
        media_id=media_id, cloud_name=ctx.cloud_name, version=asset.version, format=planned.delivery.format,
        transformation=planned.delivery.transformation,
        delivery=kind if kind != "unsupported" else "none",  # type: ignore[arg-type]
        source_url=planned.delivery.url, cache_bust=cache_bust)


def _layout(mode: str, position: int | None, current: list[str], assets: list[PlannedAsset],
            reused: Mapping[AssetKey, str], dropped: set[str]) -> tuple[list[str | PlannedAsset], dict[int, str]]:
    """The target order as a mix of kept media ids and assets, and for
    overwrite which current media each asset index displaces. `current` is
    the whole gallery; `dropped` media leave it whatever the mode (duplicates,
    retired media). In overwrite their positions still count, as E[i] of the
    current gallery: an asset may take the place of one."""
    reused_media = set(reused.values())
    displaced: dict[int, str] = {}
    if mode == "overwrite":
        slots: list[str | PlannedAsset] = list(current)
        for index, planned in enumerate(assets[:len(current)]):
            slots[index] = planned
            displaced[index] = current[index]
        # The reused media's old place closes (unless an asset already took it).
        tail = [m for m in slots[len(assets):]
                if not (isinstance(m, str) and (m in reused_media or m in dropped))]
        return slots[:len(assets)] + tail + list(assets[len(current):]), displaced
    kept: list[str | PlannedAsset] = [m for m in current if m not in reused_media and m not in dropped]
    block: list[str | PlannedAsset] = list(assets)
    if mode == "reset":
        return block, displaced
    if mode == "append":
        return kept + block, displaced
    if mode == "prepend":
        return block + kept, displaced
    if mode == "position":
        cut = max((position or 1) - 1, 0)
        return kept[:cut] + block + kept[cut:], displaced
    raise ValueError(f"unknown link mode {mode!r}")


def plan_product(target: ProductTarget, state: ProductState, ctx: PlanContext) -> ProductPlan:
    title = state.title or target.title
    rows: list[Action] = []

    # A: the groups' assets in order, each asset once.
    gallery_assets: list[PlannedAsset] = []
    listed_only: list[tuple[PlannedAsset, PlannedAsset | None]] = []  # (video with behaviour none, anchor)
    seen: set[AssetKey] = set()
    for group, variant_id in target.groups:
        for asset in group.assets:
            if asset.key in seen:
                continue
            seen.add(asset.key)
            planned = _planned(asset, group, variant_id, ctx)
            if planned.delivery.kind == "unsupported":
                rows.append(Action("skipped", asset.public_id, group.value,
                                   reason=f"{asset.resource_type} assets can't be product media"))
            elif planned.delivery.kind == "none":
                listed_only.append((planned, gallery_assets[-1] if gallery_assets else None))
            else:
                gallery_assets.append(planned)

    # What AssetLink linked before: entries whose media is still in the gallery
    # (or that never had media); the first media of an asset wins, later
    # copies are duplicates and go.
    on_gallery = set(state.gallery)
    position_of = {media_id: index for index, media_id in enumerate(state.gallery)}
    linked: dict[AssetKey, ProductMediaEntry] = {}
    duplicates: list[ProductMediaEntry] = []
    media_seen: set[str] = set()
    stale: dict[AssetKey, ProductMediaEntry] = {}
    for entry in sorted(state.productmedia, key=lambda e: position_of.get(e.media_id or "", -1)):
        if entry.media_id is not None and entry.media_id not in on_gallery:
            stale.setdefault(entry.asset_key, entry)  # the merchant deleted the media
            continue
        if entry.media_id is not None and entry.media_id in media_seen:
            continue  # the document lists the media twice
        if entry.media_id is not None:
            media_seen.add(entry.media_id)
        if entry.asset_key in linked:
            if entry.media_id is not None:
                duplicates.append(entry)
            continue
        linked[entry.asset_key] = entry
    linked_by_media = {e.media_id: e for e in linked.values() if e.media_id}

    reused = {p.key: linked[p.key].media_id for p in gallery_assets
              if p.key in linked and linked[p.key].media_id is not None}
    duplicate_media = {e.media_id for e in duplicates if e.media_id}
    # A video that used to send media and is now listed without any, and an
    # asset that is now a swatch (swatches never enter the gallery).
    retired_media = {linked[p.key].media_id for p, _ in listed_only
                     if p.key in linked and linked[p.key].media_id is not None}
    swatch_keys = {a.key for g, _ in target.groups for a in g.swatches} - {p.key for p in gallery_assets}
    now_swatches = {linked[k].media_id for k in swatch_keys if k in linked and linked[k].media_id is not None}
    retired_media |= now_swatches
    dropped = duplicate_media | retired_media
    current = [m for m in state.gallery if m not in dropped]

    if gallery_assets:
        layout, displaced = _layout(ctx.link_mode, ctx.position, list(state.gallery), gallery_assets, reused,
                                    dropped)
    else:
        # Nothing for the gallery (only swatches or listed videos): even reset
        # leaves the merchant's gallery alone rather than emptying it.
        layout, displaced = list(current), {}
    slots = [Slot(item) if isinstance(item, str) else Slot(reused.get(item.key), item) for item in layout]

    group_values = tuple(dict.fromkeys(g.value for g, _ in target.groups))
    media_count = len(slots)
    if media_count > MAX_PRODUCT_MEDIA:
        error = (f"the gallery would hold {media_count} media; Shopify allows {MAX_PRODUCT_MEDIA} per product. "
                 f"Nothing was changed on this product.")
        failed = [Action("failed", p.public_id, p.group_value, reason=error) for p in gallery_assets]
        failed += [Action("failed", p.public_id, p.group_value, reason=error) for p, _ in listed_only]
        return ProductPlan(target.product_id, title, "failed", error, tuple(Slot(m) for m in state.gallery),
                           tuple(failed + rows), state.productmedia, False, (), group_values)

    # Rows for the gallery, in target order.
    displaced_by_key = {gallery_assets[i].key: m for i, m in displaced.items()}
    reused_media = set(reused.values())
    entries_by_key: dict[AssetKey, ProductMediaEntry] = {}
    refreshed: set[AssetKey] = set()
    for index, slot in enumerate(slots, start=1):
        planned = slot.asset
        if planned is None:
            continue
        taken = displaced_by_key.get(planned.key)
        # Taking the place of media that leaves anyway (a duplicate, a retired
        # swatch or video) replaces nothing: that media's own row says why it goes.
        takes_merchant_slot = taken is not None and taken not in reused_media and taken not in dropped
        old = linked.get(planned.key)
        if slot.media_id is None:
            if takes_merchant_slot:
                rows.append(Action("replaced", planned.public_id, planned.group_value, index, None, taken,
                                   "overwrites the media at this position", planned))
            else:
                again = None
                if old is not None:
                    again = "video_behavior now sends media"
                elif planned.key in stale:
                    again = "its media had been deleted from the product"
                rows.append(Action("created", planned.public_id, planned.group_value, index, asset=planned,
                                   reason=again))
            entries_by_key[planned.key] = _entry(planned, None, ctx, ctx.now if ctx.settings.cache_busting else None)
            continue
        assert old is not None
        why = _needs_refresh(old, planned)
        if takes_merchant_slot:
            rows.append(Action("removed", None, planned.group_value, None, taken,
                               reason=f"position {index} overwritten by {planned.public_id}"))
        if why and why != "alt text changed":
            refreshed.add(planned.key)
            rows.append(Action("replaced", planned.public_id, planned.group_value, index, slot.media_id,
                               slot.media_id, why, planned))
            bust = ctx.now if ctx.settings.cache_busting else None
            entries_by_key[planned.key] = _entry(planned, None, ctx, bust)
            continue
        bust = (old.cache_bust if old.cache_bust is not None else ctx.now) if ctx.settings.cache_busting else None
        entries_by_key[planned.key] = _entry(planned, slot.media_id, ctx, bust)
        moved = position_of.get(slot.media_id, -1) + 1 != index
        if why:  # alt text only: updated in place, no new upload
            rows.append(Action("replaced", planned.public_id, planned.group_value, index, slot.media_id, None,
                               why, planned))
        else:
            rows.append(Action("moved" if moved else "unchanged", planned.public_id, planned.group_value, index,
                               slot.media_id))

    # Media the mode takes off the product.
    kept_media = {s.media_id for s in slots if s.media_id}
    replaced_away = {a.replaces for a in rows if a.action == "replaced" and a.replaces and a.media_id is None}
    for media_id in state.gallery:
        if media_id in kept_media or media_id in replaced_away or any(
                r.action == "removed" and r.media_id == media_id for r in rows):
            continue
        entry = linked_by_media.get(media_id) or next((e for e in duplicates if e.media_id == media_id), None)
        if media_id in duplicate_media:
            reason = "duplicate of media AssetLink linked before"
        elif media_id in now_swatches:
            reason = "now a swatch: swatches don't enter the gallery"
        elif media_id in retired_media:
            reason = "video_behavior is none"
        elif ctx.link_mode == "reset":
            reason = "reset: not in the synced group"
        else:
            reason = "overwritten"
        rows.append(Action("removed", entry.raw_public_id if entry else None,
                           None, None, media_id, reason=reason))

    # Videos listed without media, and their former media if they had some.
    for planned, _anchor in listed_only:
        old = linked.get(planned.key)
        rows.append(Action("skipped", planned.public_id, planned.group_value,
                           reason="video_behavior is none: listed in productmedia_v1 without media"))
        bust = (old.cache_bust if old and old.cache_bust is not None else ctx.now) \
            if ctx.settings.cache_busting else None
        entries_by_key[planned.key] = _entry(planned, None, ctx, bust)

    # The target document, in gallery order.
    document: list[ProductMediaEntry] = []
    anchored: dict[AssetKey | None, list[PlannedAsset]] = {}
    for planned, anchor in listed_only:
        anchored.setdefault(anchor.key if anchor else None, []).append(planned)
    started = False
    for slot in slots:
        if slot.asset is not None:
            if not started:
                document += [entries_by_key[p.key] for p in anchored.pop(None, [])]
                started = True
            document.append(entries_by_key[slot.asset.key])
            document += [entries_by_key[p.key] for p in anchored.pop(slot.asset.key, [])]
        elif slot.media_id in linked_by_media:
            document.append(linked_by_media[slot.media_id])
    for rest in anchored.values():
        document += [entries_by_key[p.key] for p in rest]
    if ctx.link_mode != "reset":
        listed_keys = {e.asset_key for e in document} | swatch_keys
        document += [e for e in linked.values() if e.media_id is None and e.asset_key not in listed_keys]

    changed = (dump_document(document) != (state.productmedia_value or dump_document(list(state.productmedia)))
               if document or state.productmedia or state.productmedia_value else False)

    # Variant images: each variant-level group's first image.
    variant_images: list[VariantImage] = []
    if ctx.variant_images:
        slot_by_key = {s.asset.key: s for s in slots if s.asset is not None}
        done: set[str] = set()
        for group, variant_id in target.groups:
            if variant_id is None or variant_id in done:
                continue
            first = next((slot_by_key[a.key] for a in group.assets if a.key in slot_by_key
                          and slot_by_key[a.key].asset.delivery.content_type == "IMAGE"), None)  # type: ignore[union-attr]
            if first is None:
                continue
            done.add(variant_id)
            key = first.asset.key  # type: ignore[union-attr]
            media_id = first.media_id if key not in refreshed else None
            if media_id is not None and state.variant_media.get(variant_id) == media_id:
                continue
            variant_images.append(VariantImage(variant_id, first.asset.public_id, key, media_id))  # type: ignore[union-attr]

    rows += _swatch_rows(target, state, ctx)
    return ProductPlan(target.product_id, title, "planned", None, tuple(slots), tuple(rows), tuple(document),
                       changed, tuple(variant_images), group_values)


def _swatch_rows(target: ProductTarget, state: ProductState, ctx: PlanContext) -> list[Action]:
    """One swatch per owner (the matched variant, else the product): the first
    in link order; the rest are reported."""
    rows: list[Action] = []
    taken: set[str] = set()
    for group, variant_id in target.groups:
        owner = variant_id or target.product_id
        for asset in group.swatches:
            delivery = swatch_delivery(asset, ctx.cloud_name, ctx.settings)
            if delivery.url is None:
                rows.append(Action("skipped", asset.public_id, group.value, reason="raw assets can't be swatches",
                                   swatch_owner=owner))
                continue
            if owner in taken:
                rows.append(Action("skipped", asset.public_id, group.value, swatch_owner=owner,
                                   reason="another swatch comes first for this variant or product"))
                continue
            taken.add(owner)
            planned = PlannedAsset(asset, group.value, variant_id, delivery,
                                   alt_text(asset, ctx.settings.alt_text_source),
                                   filename_for(asset, ctx.cloud_name, ctx.settings.filename_format,
                                                delivery.format or "jpg"))
            if state.swatches.get(owner) == delivery.url:
                rows.append(Action("unchanged", asset.public_id, group.value, swatch_owner=owner,
                                   reason="swatch"))
            else:
                rows.append(Action("created", asset.public_id, group.value, asset=planned, swatch_owner=owner,
                                   reason="swatch: uploaded to Files and set as cloudinary.swatch"))
    return rows


# -- the whole sync -----------------------------------------------------------------------------------

def plan_sync(request: SyncRequest, settings: Settings, cloud_name: str, now: int,
              matches: Mapping[str, Sequence[ProductMatch]], states: Mapping[str, ProductState]) -> SyncPlan:
    """Plan a whole sync from the products the group values matched and their
    current states (the dry run, and tests; the job plans product by product
    with the same functions)."""
    ctx = PlanContext.for_request(request, settings, cloud_name, now)
    grouping: Grouping = build_groups(request, ctx.settings)
    targets, unmatched = assign_groups(grouping.groups, matches)
    plans = tuple(plan_product(t, states.get(t.product_id) or ProductState(t.product_id, t.title), ctx)
                  for t in targets)
    return SyncPlan(plans, tuple(unplaced_rows(grouping.unplaced) + unmatched))


def reorder_moves(current: Sequence[str], target: Sequence[str]) -> list[tuple[str, int]]:
    """productReorderMedia moves (media id, zero-based new position) that turn
    `current` into `target`. Shopify applies moves one after another, so
    placing target[i] at i in turn is exact; items already in place are left
    out, and an equal order gives no moves (no write)."""
    if sorted(current) != sorted(target):
        raise ValueError("current and target must hold the same media")
    work = list(current)
    moves: list[tuple[str, int]] = []
    for index, media_id in enumerate(target):
        if work[index] != media_id:
            work.remove(media_id)
            work.insert(index, media_id)
            moves.append((media_id, index))
    return moves


def resolve(plan: ProductPlan, new_media: Mapping[AssetKey, str]
            ) -> tuple[list[str], list[ProductMediaEntry]]:
    """The gallery order and productmedia_v1 document once the new media
    exist: `new_media` maps each created or refreshed asset to its new media
    GID. The executor reorders to this gallery and writes this document."""
    gallery: list[str] = []
    for slot in plan.gallery:
        if slot.asset is not None and (slot.media_id is None or slot.asset.key in new_media):
            gallery.append(new_media[slot.asset.key])
        else:
            assert slot.media_id is not None
            gallery.append(slot.media_id)
    document = [entry.model_copy(update={"media_id": new_media[entry.asset_key]})
                if entry.media_id is None and entry.delivery != "none" else entry
                for entry in plan.productmedia]
    return gallery, document


_plan_adapter: TypeAdapter[ProductPlan] = TypeAdapter(ProductPlan)


def plan_to_json(plan: ProductPlan) -> dict[str, Any]:
    """A plan as JSON-able data, stored so a resumed job carries out the plan
    it made rather than re-planning against a half-changed product."""
    return _plan_adapter.dump_python(plan, mode="json")


def plan_from_json(data: Mapping[str, Any]) -> ProductPlan:
    return _plan_adapter.validate_python(data)
