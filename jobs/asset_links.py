"""What AssetLink has linked where now (shopify_app.models.AssetLink), kept
in step with the report rows as syncs and unlinks finish each product, and
read wherever a decision needs to know which media AssetLink made: an unlink
takes off only AssetLink's media, automation finds an asset's products and
previous groups. Report rows are purged with the history; these are not, so
a link made before the retention period is still known.

The fold over a batch's report rows, in report order:
- a sync's row that left AssetLink's media on a product (created, replaced,
  moved, unchanged) records that media under its group value;
- a sync's "removed" row forgets that one media (a duplicate of an asset
  taken off leaves the copy that stays recorded);
- an unlink's "removed" row forgets every record of that asset on that
  product (gallery media and swatch file alike);
- an undo's "removed" rows (media the undone run added, taken off again)
  forget that media on that product; its "moved" and "replaced" rows that
  name an asset (media the undone run had taken off, put back; a variant
  image or swatch file as it was) record it again under the group the
  undone run reported it with (an unlink's rows carry the group its link
  had, so undoing an unlink restores the records as they were).
Dry runs change nothing in a store, so they record nothing. Each record
keeps the Cloudinary field its group value is of (the sync's match field;
for what an undo puts back, the undone sync's; unknown after undoing an
unlink), so automation judges a link only by the field that made it."""
from __future__ import annotations

from typing import Any, Collection, Iterable, Mapping, NamedTuple

from sqlalchemy import delete, func, insert, select, tuple_

from shopify_app.extensions import db
from shopify_app.models import AssetLink, Sync, utcnow

# Report words that show a sync left AssetLink's media on a product.
OWN_MEDIA_ACTIONS = ("created", "replaced", "moved", "unchanged")
# Batch kinds whose report rows change links (uploads link to no product).
LINKING_KINDS = ("sync", "unlink", "undo")

Pair = tuple[str, str]  # (product GID, public ID)


class Linked(NamedTuple):
    """What a link was made under: a group value of a Cloudinary field (None: unknown)."""
    group_value: str
    match_field: str | None


Key = tuple[str, str, str]  # (product GID, public ID, media id or "")


def fold(kind: str, rows: Iterable[Mapping[str, Any]]) -> tuple[set[Pair], set[Key], dict[Key, str | None]]:
    """(pairs to forget, media to forget, media to record: key -> group
    value) from a sync's or an unlink's report rows in report order (pure)."""
    forget_pairs: set[Pair] = set()
    forget: set[Key] = set()
    write: dict[Key, str | None] = {}
    for row in rows:
        product_id, public_id, action = row.get("product_id"), row.get("public_id"), row.get("action")
        if not product_id or not public_id:
            continue
        key = (product_id, public_id, row.get("media_id") or "")
        if action == "removed" and kind == "unlink":
            forget_pairs.add(key[:2])
        elif action == "removed":
            forget.add(key)
            write.pop(key, None)
        elif kind == "sync" and action in OWN_MEDIA_ACTIONS:
            write[key] = row.get("group_value")
            forget.discard(key)
    return forget_pairs, forget, write


def taken_off(rows: Iterable[Mapping[str, Any]]) -> set[Pair]:
    """(product, media id) an undo took off (pure)."""
    return {(row["product_id"], row["media_id"]) for row in rows
            if row.get("action") == "removed" and row.get("product_id") and row.get("media_id")}


def put_back(rows: Iterable[Mapping[str, Any]]) -> dict[Key, str | None]:
    """Media an undo put back that the undone run reported as an asset's:
    key -> group value (pure)."""
    return {(row["product_id"], row["public_id"], row["media_id"]): row.get("group_value") for row in rows
            if row.get("action") in ("moved", "replaced") and row.get("product_id") and row.get("public_id")
            and row.get("media_id")}


def record(sync: Sync, rows: list[Mapping[str, Any]]) -> None:
    """Apply a batch's report rows (as written to sync_items) to the links,
    in the caller's transaction."""
    if sync.dry_run or sync.kind not in LINKING_KINDS or not rows:
        return
    shop = AssetLink.shop_id == sync.shop_id
    if sync.kind == "undo":
        if media := taken_off(rows):
            db.session.execute(delete(AssetLink).where(
                shop, tuple_(AssetLink.product_id, AssetLink.media_key).in_(sorted(media))))
        undone = db.session.get(Sync, (sync.request or {}).get("undo_of") or "")
        _write(sync, set(), put_back(rows), match_field(undone.request if undone else None))
        return
    forget_pairs, forget, write = fold(sync.kind, rows)
    if forget_pairs:
        db.session.execute(delete(AssetLink).where(
            shop, tuple_(AssetLink.product_id, AssetLink.public_id).in_(sorted(forget_pairs))))
    _write(sync, forget, write, match_field(sync.request))


def match_field(request: Any) -> str | None:
    """The Cloudinary field a sync's request matched on (None: not a sync's request)."""
    match = request.get("match") if isinstance(request, Mapping) else None
    field = match.get("cloudinary_field") if isinstance(match, Mapping) else None
    return field if isinstance(field, str) else None


def _write(sync: Sync, forget: set[Key], write: dict[Key, str | None], field: str | None) -> None:
    """Forget these media and (re)record those (linked under groups of
    `field`), in the caller's transaction."""
    if forget or write:
        db.session.execute(delete(AssetLink).where(
            AssetLink.shop_id == sync.shop_id, tuple_(AssetLink.product_id, AssetLink.public_id,
                                                      AssetLink.media_key).in_(sorted(forget | set(write)))))
    if write:
        now = utcnow()
        db.session.execute(insert(AssetLink), [
            {"shop_id": sync.shop_id, "cloud_name": sync.cloud_name, "product_id": product_id,
             "public_id": public_id, "media_key": media_key, "group_value": group, "match_field": field,
             "sync_id": sync.id, "linked_at": now}
            for (product_id, public_id, media_key), group in sorted(write.items())])


def linked(shop_id: int, cloud_name: str, *, public_ids: Collection[str] = (),
           group_values: Collection[str] = ()) -> dict[Pair, Linked]:
    """(product, public ID) -> the group value it is linked under now and
    the Cloudinary field that value is of, for the given public IDs and every
    asset linked under the given group values (compared trimmed and
    case-insensitively, of any field), in this Cloudinary environment only:
    another connected environment's assets are not ours to judge."""
    groups = sorted({v.strip().lower() for v in group_values})
    scope = (AssetLink.shop_id == shop_id, AssetLink.cloud_name == cloud_name, AssetLink.group_value.is_not(None))
    wanted = set(public_ids)
    if groups:
        wanted |= set(db.session.scalars(select(AssetLink.public_id).where(
            *scope, func.lower(func.trim(AssetLink.group_value)).in_(groups)).distinct()))
    if not wanted:
        return {}
    rows = db.session.execute(
        select(AssetLink.product_id, AssetLink.public_id, AssetLink.group_value, AssetLink.match_field)
        .where(*scope, AssetLink.public_id.in_(sorted(wanted))).order_by(AssetLink.linked_at, AssetLink.id))
    return {(product_id, public_id): Linked(group, field) for product_id, public_id, group, field in rows}


def linked_public_ids(shop_id: int, cloud_name: str, limit: int, *, turn: int = 0) -> list[str]:
    """Public IDs AssetLink has linked in this store, at most `limit`: half
    the most recently linked, half a slice of all of them (by public ID) that
    moves on with each `turn`, so every linked asset comes up within
    (linked ÷ half the limit) turns however many there are."""
    scope = (AssetLink.shop_id == shop_id, AssetLink.cloud_name == cloud_name)
    recent = list(db.session.scalars(
        select(AssetLink.public_id).where(*scope).group_by(AssetLink.public_id)
        .order_by(func.max(AssetLink.linked_at).desc(), AssetLink.public_id).limit(limit - limit // 2)))
    total = db.session.scalar(select(func.count(func.distinct(AssetLink.public_id))).where(*scope)) or 0
    if total <= len(recent) or limit // 2 == 0:
        return recent
    size = limit // 2
    start = (turn * size) % total
    every = select(AssetLink.public_id).where(*scope).group_by(AssetLink.public_id).order_by(AssetLink.public_id)
    part = list(db.session.scalars(every.offset(start).limit(size)))
    if len(part) < size:  # the slice wraps around to the start
        part += db.session.scalars(every.limit(size - len(part)))
    return list(dict.fromkeys([*recent, *part]))


def own_media(shop_id: int, product_id: str) -> dict[str, str | None]:
    """Media and file ids AssetLink made for this product -> the group value each is linked under."""
    return dict(db.session.execute(select(AssetLink.media_key, AssetLink.group_value).where(
        AssetLink.shop_id == shop_id, AssetLink.product_id == product_id, AssetLink.media_key != "")).all())


def own_files(shop_id: int, product_id: str) -> dict[str, tuple[str, str | None]]:
    """File id -> (public ID, group value) of what AssetLink made for this
    product (gallery media and swatch files)."""
    return {media_key: (public_id, group) for media_key, public_id, group in db.session.execute(
        select(AssetLink.media_key, AssetLink.public_id, AssetLink.group_value).where(
            AssetLink.shop_id == shop_id, AssetLink.product_id == product_id, AssetLink.media_key != ""))}
