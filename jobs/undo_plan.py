"""Undo, the pure part: the snapshot a run keeps of each product it touches
(before its first write, and after it finished the product), and the
decision of what undoing the run does to one product given how it looks
now (planner style: no I/O; jobs.undo_job carries it out).

A snapshot holds what a run can change on a product: the gallery (media ids
in order), `cloudinary.productmedia_v1`'s value, the variants' images and
the `cloudinary.swatch` references of the product and its variants. The
last two are None when the run did not read them (a sync without variant
images or swatches never touches them), and undo leaves them alone.

Undo restores, for each part the run changed (before != after), the
before-state; it refuses the product when that part is now neither the
run's after-state nor already the before-state: someone changed it since,
and restoring would overwrite their change. It never deletes a file: media
the run added are taken off the product only (they stay in Files, where
the clean-up may remove them later).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, Mapping

from .executor.results import ProductResult
from .executor.state import ReadState
from .planner.productmedia import dump_document

Media = Mapping[str, "str | None"]


@dataclass(frozen=True)
class Snapshot:
    gallery: tuple[str, ...]
    productmedia: str | None                      # the metafield's value; None: no metafield
    variant_media: Mapping[str, str | None] | None = None   # variant -> its image; None: not read
    swatches: Mapping[str, str | None] | None = None        # owner -> swatch file; None: not read

    def to_json(self) -> dict[str, Any]:
        return {"gallery": list(self.gallery), "productmedia": self.productmedia,
                "variant_media": None if self.variant_media is None else dict(self.variant_media),
                "swatches": None if self.swatches is None else dict(self.swatches)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Snapshot":
        variants, swatches = data.get("variant_media"), data.get("swatches")
        return cls(tuple(data.get("gallery") or ()), data.get("productmedia"),
                   None if variants is None else dict(variants), None if swatches is None else dict(swatches))


def snapshot_of(state: ReadState, *, variants: bool, swatches: bool) -> Snapshot:
    """What the state read shows (media an interrupted earlier run had
    taken off to re-attach are not counted as on the gallery)."""
    gallery = tuple(m for m in state.gallery if m not in state.detached)
    return Snapshot(gallery, state.productmedia_value,
                    dict(state.variant_media) if variants else None,
                    {o: state.swatch_files.get(o) for o in (state.product_id, *state.variant_ids)}
                    if swatches else None)


def after_of(before: Snapshot, result: ProductResult) -> Snapshot:
    """The product as the run left it, from the executor's result (no
    extra read): a product the run wrote nothing to is as it was."""
    if result.status in ("failed", "unchanged", "stopped"):
        return before
    document = dump_document(list(result.productmedia))
    productmedia = before.productmedia if same_json(document, before.productmedia) else document
    variants = None if before.variant_media is None else {
        v: result.variant_media.get(v, m) for v, m in before.variant_media.items()}
    swatches = None if before.swatches is None else {o: result.swatch_files.get(o) for o in before.swatches}
    return Snapshot(tuple(result.gallery), productmedia, variants, swatches)


def same_json(value: str | None, other: str | None) -> bool:
    """Equal metafield content (Shopify may reformat JSON)."""
    if value is None or other is None:
        return value is other
    try:
        return bool(json.loads(value) == json.loads(other))
    except ValueError:
        return value == other


@dataclass(frozen=True)
class UndoPlan:
    """What undoing the run does to one product."""

    status: Literal["restore", "nothing", "refused"]
    reason: str | None = None
    detach: tuple[str, ...] = ()       # media the run added: off the product (they stay in Files)
    reattach: tuple[str, ...] = ()     # media the run took off: back on the product
    gallery: tuple[str, ...] | None = None   # the order to restore; None: the gallery is left alone
    productmedia: tuple[str | None] | None = None   # (value,) to restore (None value: delete); None: leave
    variants: tuple[tuple[str, str | None, str | None], ...] = ()   # (variant, its image then, image to restore)
    swatches: tuple[tuple[str, str | None], ...] = ()                # (owner, file to restore; None: delete)

    @property
    def has_writes(self) -> bool:
        return bool(self.detach or self.reattach or self.gallery is not None or self.productmedia is not None
                    or self.variants or self.swatches)


def owner_name(gid: str) -> str:
    """A product or variant as a report row names it: "the product", "variant 7" (pure)."""
    kind, _, number = gid.removeprefix("gid://shopify/").partition("/")
    return f"variant {number}" if kind == "ProductVariant" else "the product"


def plan_undo(before: Snapshot, after: Snapshot | None, live: Snapshot | None) -> UndoPlan:
    """Undo one product: `live` is how it looks now (None: it no longer
    exists); `after` None when the run ended (a crash, a failure) before it
    recorded how it left the product."""
    if live is None:
        return UndoPlan("refused", "the product no longer exists")
    if after is None:
        if live.gallery == before.gallery and same_json(live.productmedia, before.productmedia) and (
                before.variant_media is None or before.variant_media == live.variant_media) and (
                before.swatches is None or before.swatches == live.swatches):
            return UndoPlan("nothing", "already as it was before the run")
        return UndoPlan("refused", "the run ended before it recorded how it left this product, so undo can't "
                                   "tell the run's changes from anyone else's; check it in Shopify")
    changed: list[str] = []
    gallery = _gallery(before, after, live, changed)
    productmedia = _productmedia(before, after, live, changed)
    variants = _variants(before, after, live, changed, detached=set(gallery[0]) if gallery else set())
    swatches = _swatches(before, after, live, changed)
    if changed:
        return UndoPlan("refused", "changed since the run, so undo would overwrite it: " + "; ".join(changed))
    detach, reattach, order = gallery if gallery else ((), (), None)
    plan = UndoPlan("restore", None, detach, reattach, order, productmedia, variants, swatches)
    return plan if plan.has_writes else UndoPlan("nothing", "already as it was before the run")


def _gallery(before: Snapshot, after: Snapshot, live: Snapshot, changed: list[str]
             ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] | None:
    """(detach, reattach, order) when the gallery must go back."""
    if before.gallery == after.gallery or live.gallery == before.gallery:
        return None
    if live.gallery != after.gallery:
        changed.append("the gallery (media were added, removed or moved)")
        return None
    kept = set(before.gallery)
    now = set(live.gallery)
    return (tuple(m for m in live.gallery if m not in kept), tuple(m for m in before.gallery if m not in now),
            before.gallery)


def _productmedia(before: Snapshot, after: Snapshot, live: Snapshot, changed: list[str]
                  ) -> tuple[str | None] | None:
    if same_json(before.productmedia, after.productmedia) or same_json(live.productmedia, before.productmedia):
        return None
    if not same_json(live.productmedia, after.productmedia):
        changed.append("the storefront list of its assets (cloudinary.productmedia_v1)")
        return None
    return (before.productmedia,)


def _variants(before: Snapshot, after: Snapshot, live: Snapshot, changed: list[str], *, detached: set[str]
              ) -> tuple[tuple[str, str | None, str | None], ...]:
    if before.variant_media is None or after.variant_media is None:
        return ()
    now: Media = live.variant_media or {}
    out = []
    for variant, image in before.variant_media.items():
        left = after.variant_media.get(variant)
        if image == left or now.get(variant) == image:
            continue
        if now.get(variant) != left:
            changed.append(f"the image of {owner_name(variant)}")
            continue
        # Media taken off the product leave its variants with it.
        out.append((variant, None if left in detached else left, image))
    return tuple(out)


def _swatches(before: Snapshot, after: Snapshot, live: Snapshot, changed: list[str]
              ) -> tuple[tuple[str, str | None], ...]:
    if before.swatches is None or after.swatches is None:
        return ()
    now: Media = live.swatches or {}
    out = []
    for owner, file_id in before.swatches.items():
        left = after.swatches.get(owner)
        if file_id == left or now.get(owner) == file_id:
            continue
        if now.get(owner) != left:
            changed.append(f"the swatch of {owner_name(owner)}")
            continue
        out.append((owner, file_id))
    return tuple(out)
