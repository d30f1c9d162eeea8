"""Group the selected assets by the Cloudinary match field (pure).

The contract: assets group by `metadata[match.cloudinary_field]`; a list value
puts the asset in several groups; `tags` as the field groups by each tag;
assets without a value are reported, never dropped; groups keep the order in
which they first appear. Values compare trimmed and case-insensitively (NFC, lower-cased), the
same way they are matched against Shopify, so "abc-1" and "ABC-1 " are one
group shown with its first spelling.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .ordering import order_assets
from .request import Asset, AssetKey, SyncRequest
from .settings import Settings

SWATCH = "swatch"


def group_key(value: str) -> str:
    """How group values compare: as the bridge matches them against Shopify
    (jobs.matching.matcher.normalise): NFC, trimmed, lower-cased."""
    return unicodedata.normalize("NFC", value).strip().lower()


def scalar_text(value: Any) -> str | None:
    """A metadata scalar as text, or None when it holds nothing."""
    if value is None or isinstance(value, (dict, list, tuple)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 12.0 from a JSON number field is the SKU "12"
    if isinstance(value, (int, float, Decimal)):
        text = str(value)
    else:
        text = str(value).strip()
    return text or None


def field_values(asset: Asset, cloudinary_field: str) -> list[str]:
    """The group values one asset carries, in order, without repeats."""
    if cloudinary_field == "tags":
        raw: Any = asset.tags
    else:
        raw = asset.metadata.get(cloudinary_field)
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    values: list[str] = []
    seen: set[str] = set()
    for item in items:
        text = scalar_text(item)
        if text is not None and group_key(text) not in seen:
            seen.add(group_key(text))
            values.append(text)
    return values


def is_swatch(asset: Asset, asset_type_field: str | None) -> bool:
    if not asset_type_field:
        return False
    raw = asset.metadata.get(asset_type_field)
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    return any((scalar_text(item) or "").casefold() == SWATCH for item in items)


@dataclass
class Group:
    """Assets sharing one value of the match field, in link order."""

    value: str                      # first spelling seen, trimmed
    assets: list[Asset] = field(default_factory=list)    # go to the gallery
    swatches: list[Asset] = field(default_factory=list)  # go to cloudinary.swatch

    @property
    def key(self) -> str:
        return group_key(self.value)


@dataclass(frozen=True)
class Unplaced:
    """An asset that links to nothing, with the reason for the report."""

    asset: Asset
    group_value: str | None
    reason: str


@dataclass
class Grouping:
    groups: list[Group]
    unplaced: list[Unplaced]   # no value, excluded asset, excluded group

    def values(self) -> list[str]:
        return [group.value for group in self.groups]


def build_groups(request: SyncRequest, settings: Settings) -> Grouping:
    """Group, exclude, split swatches and order, as the request asks."""
    field_name = request.match.cloudinary_field
    excluded_groups = {group_key(value) for value in request.excluded_groups}
    groups: dict[str, Group] = {}
    unplaced: list[Unplaced] = []
    members: dict[str, list[Asset]] = {}

    first_index: dict[AssetKey, int] = {}
    for index, asset in enumerate(request.assets):
        # A repeat (same resource type, type and public ID) is linked once,
        # where it first appears, and reported, never dropped silently.
        if asset.key in first_index:
            unplaced.append(Unplaced(asset, None, f"repeats assets[{first_index[asset.key]}] (same resource_type, "
                                                  "type and public_id): linked once"))
            continue
        first_index[asset.key] = index
        values = field_values(asset, field_name)
        if not values:
            where = "tags" if field_name == "tags" else f"metadata field '{field_name}'"
            unplaced.append(Unplaced(asset, None, f"no value in {where}"))
            continue
        for value in values:
            key = group_key(value)
            if key not in groups:
                groups[key] = Group(value)
                members[key] = []
            if asset.excluded:
                unplaced.append(Unplaced(asset, groups[key].value, "excluded from the sync"))
            elif key in excluded_groups:
                unplaced.append(Unplaced(asset, groups[key].value, "group excluded from the sync"))
            else:
                members[key].append(asset)

    result: list[Group] = []
    for key, group in groups.items():
        if not members[key]:
            continue
        ordered = order_assets(members[key], request.order_by)
        group.assets = [a for a in ordered if not is_swatch(a, settings.asset_type_field)]
        group.swatches = [a for a in ordered if is_swatch(a, settings.asset_type_field)]
        result.append(group)
    return Grouping(result, unplaced)

