"""Step 3b, galleries: `fileUpdate` rows, 250 per call across products, in
two rounds. First what leaves galleries (displaced media: `referencesToRemove`
names only this product, so media another product shares stay there; media
taken off to be re-attached in order) and alt-only changes; then the new
files and the re-attached media (`referencesToAdd`), in target order.
`productDeleteMedia` and `productUpdateMedia` are deprecated ("Use fileUpdate
instead").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .file_update import Change, send_file_updates
from .files import MAX_FILES_PER_CALL, READY, shopify_alt
from .journal import ROLE_REATTACH, JournalRecord
from .record import ProductWork, Work


@dataclass(frozen=True)
class Row:
    """One product's part of a fileUpdate row."""

    media_id: str
    change: Change
    field: str            # referencesToRemove, referencesToAdd or alt
    value: Any = None     # the alt text


def update_galleries(work: Work) -> None:
    reattach = reattach_sets(work)
    now = work.options.wall_clock()
    leaving = {p.product_id: _leaving_rows(work, p, reattach.get(p.product_id, [])) for p in work.active()}
    products = work.writers(p for p in work.active() if leaving[p.product_id])
    intents = [JournalRecord(p.product_id, ("reattach", "", row.media_id), ROLE_REATTACH, "", "", row.media_id,
                             row.media_id, None, now, p.gallery.index(row.media_id))
               for p in products for row in leaving[p.product_id] if row.change.kind == "detach"]
    if intents:
        # Media off a gallery only for a moment: a worker killed now puts
        # them back on the next run (read_product_states, journal).
        work.journal.intend(intents)
        work.journal.created(intents)
    # Removals first: an overwrite frees its slot before the new media
    # arrives, so a full gallery never goes over 250 on the way.
    _send(work, [(p, row) for p in products for row in leaving[p.product_id]], alt_last=True)

    joining = {p.product_id: _joining_rows(p) for p in work.active()}
    products = work.writers(p for p in work.active() if joining[p.product_id])
    _send(work, [(p, row) for p in products for row in joining[p.product_id]], alt_last=False)
    # Media back on their gallery are no longer the journal's business (a
    # record without file id is never acted on), even if the product has
    # other errors and its records stay.
    back = [JournalRecord(p.product_id, ("reattach", "", m), ROLE_REATTACH, "", "", m, None, None, now)
            for p in work.products for m in p.reattached]
    if back:
        work.journal.created(back)


def _leaving_rows(work: Work, product: ProductWork, reattach: list[str]) -> list[Row]:
    rows: list[Row] = []
    target = set(product.gallery)
    attached = set(product.state.gallery) - product.state.detached
    for media_id in product.plan.removals:
        if media_id not in attached or media_id in target:
            continue
        if media_id not in work.ready:
            product.removal_errors[media_id] = (f"Shopify only updates READY media: "
                                                f"{work.not_ready.get(media_id, 'not ready')}")
            continue
        rows.append(Row(media_id, Change(product, "remove", media_id), "referencesToRemove"))
    for media_id in reattach:
        rows.append(Row(media_id, Change(product, "detach", media_id), "referencesToRemove"))
    for action in product.plan.actions:
        if (action.action == "replaced" and action.media_id and action.replaces is None
                and action.asset is not None and action.media_id in target):
            if action.media_id not in work.ready:
                product.alt_errors[action.media_id] = "Shopify only updates READY media"
                continue
            rows.append(Row(action.media_id, Change(product, "alt", action.media_id), "alt",
                            shopify_alt(action.asset.alt)))
    return rows


def _joining_rows(product: ProductWork) -> list[Row]:
    key_of = {file_id: key for key, file_id in product.new_media.items()}
    attached = set(product.state.gallery) - product.state.detached
    detached_now = product.detached | product.state.detached
    rows: list[Row] = []
    for media_id in product.gallery:   # target order: Shopify appends in the order it is given
        if media_id in key_of and media_id not in attached:
            rows.append(Row(media_id, Change(product, "add", key_of[media_id]), "referencesToAdd"))
        elif media_id in detached_now:
            rows.append(Row(media_id, Change(product, "reattach", media_id), "referencesToAdd"))
    return rows


def _send(work: Work, rows: list[tuple[ProductWork, Row]], *, alt_last: bool) -> None:
    """Merge the products' rows into one fileUpdate input per file (a file
    several products share gets one row naming them all) and send them."""
    inputs: dict[str, dict[str, Any]] = {}
    changes: dict[str, list[Change]] = {}
    for product, row in rows:
        item = inputs.setdefault(row.media_id, {"id": row.media_id})
        if row.field == "alt":
            item["alt"] = row.value
        else:
            item.setdefault(row.field, []).append(product.product_id)
        changes.setdefault(row.media_id, []).append(row.change)
    order = sorted(inputs, key=lambda i: "alt" in inputs[i]) if alt_last else list(inputs)
    for start in range(0, len(order), MAX_FILES_PER_CALL):
        send_file_updates(work, [inputs[i] for i in order[start:start + MAX_FILES_PER_CALL]], changes)


def reattach_sets(work: Work) -> dict[str, list[str]]:
    """With `move_by_reattaching`, the media to take off and put back after
    the new ones so a gallery comes out in order without productReorderMedia
    (10 points per product): the attached media that are not already a
    prefix of the target. Not for media that are a variant's image (detaching
    clears it), not READY, or in several galleries of this chunk; those
    products are reordered instead."""
    if not work.options.move_by_reattaching:
        return {}
    seen: dict[str, int] = {}
    for product in work.active():
        for media_id in product.state.gallery:
            seen[media_id] = seen.get(media_id, 0) + 1
    out: dict[str, list[str]] = {}
    for product in work.active():
        moving = _moving(product)
        if not moving:
            continue
        variant_media = {m for m in product.state.variant_media.values() if m}
        if any(m in variant_media or seen.get(m, 0) > 1
               or getattr(product.state.media_info(m), "status", None) != READY for m in moving):
            continue
        out[product.product_id] = moving
    return out


def _moving(product: ProductWork) -> list[str]:
    """The attached media after the longest prefix of the target they already form."""
    removals = set(product.plan.removals)
    attached = [m for m in product.state.gallery if m not in product.state.detached and m not in removals]
    place = {m: i for i, m in enumerate(attached)}
    k, last = 0, -1
    while k < len(product.gallery) and product.gallery[k] in place and place[product.gallery[k]] > last:
        last = place[product.gallery[k]]
        k += 1
    prefix = set(product.gallery[:k])
    target = set(product.gallery)
    return [m for m in attached if m not in prefix and m in target]
