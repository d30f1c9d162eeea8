"""What a plan is: for a product, its target gallery, the report's rows and
the productmedia_v1 document (`ProductPlan`), with the inputs planning reads
(`ProductState`, `ProductTarget`, `PlanContext`); and what the executor
derives from a plan to carry it out (`resolve`, `reorder_moves`). The
planning itself is in `planning`.

The executor carries a plan out and the dry run reports it, so both speak the
report's action words: created, replaced, moved, unchanged, removed, skipped,
failed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Sequence

from pydantic import TypeAdapter

from .delivery import Delivery
from .grouping import Group
from .productmedia import ProductMediaEntry
from .request import Asset, AssetKey, SyncRequest
from .settings import Settings

MAX_PRODUCT_MEDIA = 250  # Shopify: PRODUCT_MEDIA_LIMIT_EXCEEDED above this
# A json metafield's value, from API 2026-04 ("Value is too long (maximum is 128 KB)"):
# https://shopify.dev/docs/apps/build/metafields/metafield-limits and
# https://shopify.dev/changelog/reduced-metafield-value-sizes. productmedia_v1 is one.
MAX_DOCUMENT_BYTES = 128 * 1024

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


# -- carrying a plan out ---------------------------------------------------------------------------

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
    """A plan as JSON-able data: the job keeps it with the product's row, for
    support to see what was planned (a resumed job plans again from the
    product's state; it never reads this back)."""
    data: dict[str, Any] = _plan_adapter.dump_python(plan, mode="json")
    return data
