"""Plan a sync: which groups each product receives, then for every product
its target gallery and the actions that get it there (pure: no I/O, the same
input gives the same plan).

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

`plan_product` runs one product through named stages, each a pure function
of the product's target, its current state and the stages before it:

  collect        the groups' assets to send, each once, as AssetLink sends them
  reconcile      what productmedia_v1 says was linked before, read against the gallery
  lay_out        the target gallery for the link mode, and each asset's place in it
  gallery_rows, removal_rows, listed_rows
                 the report's rows for the gallery, for what leaves it, for listed videos
  productmedia_document
                 the target cloudinary.productmedia_v1 document
  variant_images each variant-level group's first image
  swatch_rows    swatches (to Files and cloudinary.swatch, never the gallery)
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Mapping, Sequence

from .delivery import Kind, delivery_for, swatch_delivery
from .grouping import Group, Grouping, Unplaced, build_groups
from .naming import alt_text, filename_for
from .plan import (MAX_DOCUMENT_BYTES, MAX_PRODUCT_MEDIA, Action, PlanContext, PlannedAsset, ProductMatch,
                   ProductPlan, ProductState, ProductTarget, Slot, SyncPlan, VariantImage)
from .productmedia import KEY, NAMESPACE, DeliveryKind, ProductMediaEntry, dump_document
from .request import Asset, AssetKey, SyncRequest
from .settings import Settings

ALT_ONLY = "alt text changed"  # the one refresh that needs no new media: the alt is updated in place


# -- the whole sync -------------------------------------------------------------------------------

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

def plan_product(target: ProductTarget, state: ProductState, ctx: PlanContext) -> ProductPlan:
    title = state.title or target.title
    group_values = tuple(dict.fromkeys(g.value for g, _ in target.groups))
    collected = collect(target, ctx)
    reconciled = reconcile(state, collected)
    layout = lay_out(ctx, state, collected, reconciled)
    if len(layout.slots) > MAX_PRODUCT_MEDIA:
        return _refused(target, state, title, collected, group_values,
                        f"the gallery would hold {len(layout.slots)} media; Shopify allows {MAX_PRODUCT_MEDIA} per "
                        f"product.")
    document = productmedia_document(collected, layout, reconciled, ctx)
    if document_changed(document, state) and (size := document_bytes(document)) > MAX_DOCUMENT_BYTES:
        # Metafields are written last: refused then, the gallery would be
        # changed and the document recording it not.
        return _refused(target, state, title, collected, group_values,
                        f"{NAMESPACE}.{KEY} would be {size:,} bytes; Shopify allows {MAX_DOCUMENT_BYTES // 1024} KB "
                        f"for a JSON metafield (shorter alt texts or public IDs, or fewer assets, fit).")
    rows = [*collected.skipped,
            *gallery_rows(layout, reconciled),
            *removal_rows(state, layout, reconciled, ctx.link_mode),
            *listed_rows(collected),
            *swatch_rows(target, state, ctx)]
    return ProductPlan(target.product_id, title, "planned", None, layout.slots, tuple(rows), tuple(document),
                       document_changed(document, state), tuple(variant_images(target, layout, state, ctx)),
                       group_values)


# The longest media id the document will hold for media still to be made
# (serialized as null until then).
_MEDIA_ID_ALLOWANCE = len('"gid://shopify/MediaImage/' + "9" * 20 + '"') - len("null")


def document_bytes(document: Sequence[ProductMediaEntry]) -> int:
    """The size productmedia_v1 will have once the new media's ids are in it (an upper bound)."""
    pending = sum(1 for entry in document if entry.media_id is None)
    return len(dump_document(list(document)).encode()) + pending * _MEDIA_ID_ALLOWANCE


def _refused(target: ProductTarget, state: ProductState, title: str, collected: Collected,
             group_values: tuple[str, ...], why: str) -> ProductPlan:
    """Shopify would refuse part of the product's writes (a gallery or a
    document over its limit): the product fails whole, before any write,
    and keeps what it has."""
    error = f"{why} Nothing was changed on this product."
    sent = [*collected.gallery, *(listed.asset for listed in collected.listed)]
    failed = [Action("failed", p.public_id, p.group_value, reason=error) for p in sent]
    return ProductPlan(target.product_id, title, "failed", error, tuple(Slot(m) for m in state.gallery),
                       (*failed, *collected.skipped), state.productmedia, False, (), group_values)


# -- collect: the groups' assets to send ------------------------------------------------------------

@dataclass(frozen=True)
class Listed:
    """A video sent without media (video_behavior none): only listed in
    productmedia_v1, after the gallery asset it followed in link order
    (`anchor`; None when it came before all of them)."""

    asset: PlannedAsset
    anchor: AssetKey | None


@dataclass(frozen=True)
class Collected:
    """What one product receives, each asset once, in link order."""

    gallery: tuple[PlannedAsset, ...]   # A: what goes to the gallery
    listed: tuple[Listed, ...]          # what is only listed in the document
    skipped: tuple[Action, ...]         # rows for assets that can't be product media
    swatches: frozenset[AssetKey]       # swatch assets, which never enter the gallery


def collect(target: ProductTarget, ctx: PlanContext) -> Collected:
    gallery: list[PlannedAsset] = []
    listed: list[Listed] = []
    skipped: list[Action] = []
    seen: set[AssetKey] = set()
    for group, variant_id in target.groups:
        for asset in group.assets:
            if asset.key in seen:
                continue  # an asset in two of the product's groups is linked once
            seen.add(asset.key)
            planned = planned_asset(asset, group, variant_id, ctx)
            if planned.delivery.kind == "unsupported":
                skipped.append(Action("skipped", asset.public_id, group.value,
                                      reason=f"{asset.resource_type} assets can't be product media"))
            elif planned.delivery.kind == "refused":
                # Refused alone, up front: Shopify would refuse the whole call it is in.
                skipped.append(Action("failed", asset.public_id, group.value, reason=planned.delivery.reason))
            elif planned.delivery.kind == "none":
                listed.append(Listed(planned, gallery[-1].key if gallery else None))
            else:
                gallery.append(planned)
    in_gallery = {p.key for p in gallery}
    swatches = frozenset(a.key for g, _ in target.groups for a in g.swatches if a.key not in in_gallery)
    return Collected(tuple(gallery), tuple(listed), tuple(skipped), swatches)


def planned_asset(asset: Asset, group: Group, variant_id: str | None, ctx: PlanContext) -> PlannedAsset:
    """An asset as AssetLink sends it to the gallery: delivery, alt text, filename."""
    delivery = delivery_for(asset, ctx.cloud_name, ctx.settings)
    filename = (filename_for(asset, ctx.cloud_name, ctx.settings.filename_format, delivery.format)
                if delivery.format else None)
    return PlannedAsset(asset, group.value, variant_id, delivery, alt_text(asset, ctx.settings.alt_text_source),
                        filename)


# -- reconcile: what AssetLink linked before ----------------------------------------------------------

@dataclass(frozen=True)
class Reconciled:
    """productmedia_v1 read against the gallery, and how this sync's assets
    meet what it lists."""

    linked: Mapping[AssetKey, ProductMediaEntry]   # per asset: its first media in the gallery, or no media
    by_media: Mapping[str, ProductMediaEntry]      # the same entries by their media
    duplicates: tuple[ProductMediaEntry, ...]      # further media of an asset already linked
    deleted: Mapping[AssetKey, ProductMediaEntry]  # entries whose media the merchant deleted
    reused: Mapping[AssetKey, str]                 # a gallery asset -> the media it already has
    duplicate_media: frozenset[str]
    now_swatches: frozenset[str]                   # media of assets that are swatches now
    retired_media: frozenset[str]                  # media of videos now only listed, and now_swatches

    @property
    def dropped(self) -> frozenset[str]:
        """Media that leave the gallery whatever the mode."""
        return self.duplicate_media | self.retired_media

    def why_removed(self, media_id: str, link_mode: str) -> str:
        if media_id in self.duplicate_media:
            return "duplicate of media AssetLink linked before"
        if media_id in self.now_swatches:
            return "now a swatch: swatches don't enter the gallery"
        if media_id in self.retired_media:
            return "video_behavior is none"
        if link_mode == "reset":
            return "reset: not in the synced group"
        return "overwritten"


def reconcile(state: ProductState, collected: Collected) -> Reconciled:
    linked, duplicates, deleted = _read_linked(state)

    def media_of(key: AssetKey) -> str | None:
        entry = linked.get(key)
        return entry.media_id if entry is not None else None

    reused = {p.key: media for p in collected.gallery if (media := media_of(p.key)) is not None}
    now_swatches = frozenset(media for key in collected.swatches if (media := media_of(key)) is not None)
    # A video that used to send media and is now only listed loses it, as
    # does an asset that is now a swatch.
    videos = frozenset(media for listed in collected.listed if (media := media_of(listed.asset.key)) is not None)
    return Reconciled(
        linked=linked, by_media={e.media_id: e for e in linked.values() if e.media_id},
        duplicates=duplicates, deleted=deleted, reused=reused,
        duplicate_media=frozenset(e.media_id for e in duplicates if e.media_id),
        now_swatches=now_swatches, retired_media=videos | now_swatches)


def _read_linked(state: ProductState) -> tuple[dict[AssetKey, ProductMediaEntry], tuple[ProductMediaEntry, ...],
                                                dict[AssetKey, ProductMediaEntry]]:
    """The document's entries in gallery order (entries without media
    first): an asset's first media is its linked media and later copies are
    duplicates; an entry whose media left the gallery was deleted by the
    merchant; a media the document lists twice counts once."""
    position = _positions(state.gallery)
    linked: dict[AssetKey, ProductMediaEntry] = {}
    duplicates: list[ProductMediaEntry] = []
    deleted: dict[AssetKey, ProductMediaEntry] = {}
    media_seen: set[str] = set()
    for entry in sorted(state.productmedia, key=lambda e: position.get(e.media_id or "", -1)):
        media_id = entry.media_id
        if media_id is not None:
            if media_id not in position:
                deleted.setdefault(entry.asset_key, entry)
                continue
            if media_id in media_seen:
                continue
            media_seen.add(media_id)
        if entry.asset_key not in linked:
            linked[entry.asset_key] = entry
        elif media_id is not None:
            duplicates.append(entry)
    return linked, tuple(duplicates), deleted


def _positions(gallery: Sequence[str]) -> dict[str, int]:
    return {media_id: index for index, media_id in enumerate(gallery)}


# -- lay out: the target gallery --------------------------------------------------------------------

@dataclass(frozen=True)
class Placement:
    """An AssetLink asset's place in the target gallery and what getting it
    there takes."""

    position: int                   # 1-based
    asset: PlannedAsset
    media_id: str | None            # the media it already has; None: new media is made
    old: ProductMediaEntry | None   # its productmedia_v1 entry from before
    takes: str | None               # merchant media whose place it takes (overwrite): that media goes
    refresh: str | None             # why its existing media changes (ALT_ONLY: just the alt text)
    moved: bool                     # its existing media changes place

    @property
    def remade(self) -> bool:
        """Its existing media is replaced by new media (new version,
        transformation or delivered kind)."""
        return self.media_id is not None and self.refresh is not None and self.refresh != ALT_ONLY

    @property
    def kept_media(self) -> str | None:
        """The media it keeps through the sync, if any."""
        return None if self.remade else self.media_id


@dataclass(frozen=True)
class Layout:
    slots: tuple[Slot, ...]               # the target gallery
    placements: tuple[Placement, ...]     # its AssetLink assets, in gallery order


def lay_out(ctx: PlanContext, state: ProductState, collected: Collected, reconciled: Reconciled) -> Layout:
    dropped = reconciled.dropped
    if collected.gallery:
        order, displaced = _order(ctx.link_mode, ctx.position, list(state.gallery), list(collected.gallery),
                                  reconciled.reused, dropped)
    else:
        # Nothing for the gallery (only swatches or listed videos): even reset
        # leaves the merchant's gallery alone rather than emptying it.
        order, displaced = [m for m in state.gallery if m not in dropped], {}
    # Taking the place of media that leaves anyway (reused elsewhere, a
    # duplicate, a retired swatch or video) takes nothing from the merchant.
    reused_media = set(reconciled.reused.values())
    takes = {collected.gallery[index].key: media for index, media in displaced.items()
             if media not in reused_media and media not in dropped}
    slots = tuple(Slot(item) if isinstance(item, str) else Slot(reconciled.reused.get(item.key), item)
                  for item in order)
    position = _positions(state.gallery)
    placements = []
    for index, slot in enumerate(slots, start=1):
        if slot.asset is None:
            continue
        old = reconciled.linked.get(slot.asset.key)
        reuses = slot.media_id is not None and old is not None
        placements.append(Placement(
            index, slot.asset, slot.media_id, old, takes.get(slot.asset.key),
            refresh=_needs_refresh(old, slot.asset) if old is not None and reuses else None,
            moved=reuses and position.get(slot.media_id or "", -1) + 1 != index))
    return Layout(slots, tuple(placements))


def _order(mode: str, position: int | None, current: list[str], assets: list[PlannedAsset],
           reused: Mapping[AssetKey, str], dropped: frozenset[str]
           ) -> tuple[list[str | PlannedAsset], dict[int, str]]:
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


def _needs_refresh(entry: ProductMediaEntry, planned: PlannedAsset) -> str | None:
    """Why media made from `entry` no longer matches what AssetLink would
    send now, or None when it does."""
    delivery = planned.delivery
    if entry.delivery != delivery.kind:
        return f"delivery changed from {entry.delivery} to {delivery.kind}"
    if entry.version != planned.asset.version:
        return f"new version {planned.asset.version}"
    if entry.transformation != delivery.transformation or entry.source_url != delivery.url:
        return "transformation changed"
    if entry.alt != planned.alt:
        return ALT_ONLY
    return None


# -- report rows ----------------------------------------------------------------------------------

def gallery_rows(layout: Layout, reconciled: Reconciled) -> list[Action]:
    """A row per gallery asset in target order, and a removed row before it
    when a reused asset moves onto a merchant media's place."""
    rows: list[Action] = []
    for placed in layout.placements:
        asset, index = placed.asset, placed.position
        if placed.media_id is None:
            if placed.takes is not None:
                rows.append(Action("replaced", asset.public_id, asset.group_value, index, None, placed.takes,
                                   "overwrites the media at this position", asset))
            else:
                rows.append(Action("created", asset.public_id, asset.group_value, index, asset=asset,
                                   reason=_why_created(placed, reconciled)))
            continue
        if placed.takes is not None:
            rows.append(Action("removed", None, asset.group_value, None, placed.takes,
                               reason=f"position {index} overwritten by {asset.public_id}"))
        if placed.refresh is not None:
            # Remade media replaces its own old media; an alt change updates it in place.
            rows.append(Action("replaced", asset.public_id, asset.group_value, index, placed.media_id,
                               placed.media_id if placed.remade else None, placed.refresh, asset))
        else:
            rows.append(Action("moved" if placed.moved else "unchanged", asset.public_id, asset.group_value, index,
                               placed.media_id))
    return rows


def _why_created(placed: Placement, reconciled: Reconciled) -> str | None:
    if placed.old is not None:
        return "video_behavior now sends media"  # it was listed without media before
    if placed.asset.key in reconciled.deleted:
        return "its media had been deleted from the product"
    return None


def removal_rows(state: ProductState, layout: Layout, reconciled: Reconciled, link_mode: str) -> list[Action]:
    """Media the sync takes off the product, with why: all that the target
    gallery doesn't keep, but for merchant media an asset takes the place of
    (its own row says so)."""
    staying = {slot.media_id for slot in layout.slots if slot.media_id}
    gone = {placed.takes for placed in layout.placements if placed.takes}
    rows: list[Action] = []
    for media_id in state.gallery:
        if media_id in staying or media_id in gone:
            continue
        gone.add(media_id)
        entry = reconciled.by_media.get(media_id) or next(
            (e for e in reconciled.duplicates if e.media_id == media_id), None)
        rows.append(Action("removed", entry.raw_public_id if entry else None, None, None, media_id,
                           reason=reconciled.why_removed(media_id, link_mode)))
    return rows


def listed_rows(collected: Collected) -> list[Action]:
    return [Action("skipped", listed.asset.public_id, listed.asset.group_value,
                   reason="video_behavior is none: listed in productmedia_v1 without media")
            for listed in collected.listed]


# -- the productmedia_v1 document -----------------------------------------------------------------------

def productmedia_document(collected: Collected, layout: Layout, reconciled: Reconciled, ctx: PlanContext
                          ) -> list[ProductMediaEntry]:
    """Entries in gallery order (media still to be made have media_id None),
    each listed-only video after the asset it followed; earlier linked
    media the sync keeps keep their entries, and (but in reset) so do earlier
    listed-only entries this sync doesn't mention."""
    entries = {placed.asset.key: _entry(placed.asset, placed.kept_media, ctx,
                                        _cache_bust(ctx, placed.old if placed.kept_media else None))
               for placed in layout.placements}
    entries.update({listed.asset.key: _entry(listed.asset, None, ctx,
                                             _cache_bust(ctx, reconciled.linked.get(listed.asset.key)))
                    for listed in collected.listed})
    after: dict[AssetKey | None, list[ProductMediaEntry]] = {}
    for listed in collected.listed:
        after.setdefault(listed.anchor, []).append(entries[listed.asset.key])

    document: list[ProductMediaEntry] = []
    started = False
    for slot in layout.slots:
        if slot.asset is not None:
            if not started:
                document += after.pop(None, [])
                started = True
            document.append(entries[slot.asset.key])
            document += after.pop(slot.asset.key, [])
        elif slot.media_id is not None and slot.media_id in reconciled.by_media:
            document.append(reconciled.by_media[slot.media_id])  # linked before, kept, not in this sync
    for rest in after.values():
        document += rest
    if ctx.link_mode != "reset":
        listed_keys = {e.asset_key for e in document} | collected.swatches
        document += [e for e in reconciled.linked.values() if e.media_id is None and e.asset_key not in listed_keys]
    return document


def document_changed(document: list[ProductMediaEntry], state: ProductState) -> bool:
    """Whether the metafield must be written (compared as stored, so an
    unchanged document is never rewritten)."""
    if not (document or state.productmedia or state.productmedia_value):
        return False
    return dump_document(document) != (state.productmedia_value or dump_document(list(state.productmedia)))


def _cache_bust(ctx: PlanContext, kept: ProductMediaEntry | None) -> int | None:
    """The cache-busting time of an entry: kept media keep theirs, anything
    (re)sent now gets the sync's."""
    if not ctx.settings.cache_busting:
        return None
    return kept.cache_bust if kept is not None and kept.cache_bust is not None else ctx.now


def _entry(planned: PlannedAsset, media_id: str | None, ctx: PlanContext, cache_bust: int | None
           ) -> ProductMediaEntry:
    asset = planned.asset
    public_id = f"v{cache_bust}/{asset.public_id}" if cache_bust is not None else asset.public_id
    return ProductMediaEntry(
        public_id=public_id, resource_type=asset.resource_type, type=asset.type, alt=planned.alt,
        media_id=media_id, cloud_name=ctx.cloud_name, version=asset.version, format=planned.delivery.format,
        transformation=planned.delivery.transformation, delivery=_document_delivery(planned.delivery.kind),
        source_url=planned.delivery.url, cache_bust=cache_bust)


def _document_delivery(kind: Kind) -> DeliveryKind:
    if kind == "unsupported" or kind == "refused":
        return "none"
    return kind


# -- variant images -----------------------------------------------------------------------------------

def variant_images(target: ProductTarget, layout: Layout, state: ProductState, ctx: PlanContext
                   ) -> list[VariantImage]:
    """Each variant-level group's first image, for its variant (once per
    variant), unless the variant already shows that media."""
    if not ctx.variant_images:
        return []
    placed = {p.asset.key: p for p in layout.placements}
    images: list[VariantImage] = []
    done: set[str] = set()
    for group, variant_id in target.groups:
        if variant_id is None or variant_id in done:
            continue
        first = next((placed[a.key] for a in group.assets
                      if a.key in placed and placed[a.key].asset.delivery.content_type == "IMAGE"), None)
        if first is None:
            continue
        done.add(variant_id)
        media_id = first.kept_media  # None: the media is made by this sync
        if media_id is not None and state.variant_media.get(variant_id) == media_id:
            continue
        images.append(VariantImage(variant_id, first.asset.public_id, first.asset.key, media_id))
    return images


# -- swatches -------------------------------------------------------------------------------------------

def swatch_rows(target: ProductTarget, state: ProductState, ctx: PlanContext) -> list[Action]:
    """One swatch per owner (the matched variant, else the product): the first
    in link order; the rest are reported."""
    rows: list[Action] = []
    taken: set[str] = set()
    for group, variant_id in target.groups:
        owner = variant_id or target.product_id
        for asset in group.swatches:
            delivery = swatch_delivery(asset, ctx.cloud_name, ctx.settings)
            if delivery.kind == "refused":
                rows.append(Action("failed", asset.public_id, group.value, reason=delivery.reason,
                                   swatch_owner=owner))
                continue
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
