"""Read what products look like now, in as few requests as Shopify allows:
one `nodes(ids:)` query per READ_BATCH products (about 1.3 cost points per
product actually charged)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from jobs.planner import ProductState
from jobs.planner.productmedia import ProductMediaEntry, dump_document, parse_document
from shopify_app.admin_api import queries
from shopify_app.admin_api.client import AdminApiClient

from .journal import ROLE_GALLERY, ROLE_REATTACH, Journal

READ_BATCH = 50  # products per request: ~85 requested, ~65 actual points


@dataclass(frozen=True)
class MediaInfo:
    id: str
    alt: str
    status: str            # UPLOADED, PROCESSING, READY, FAILED
    content_type: str      # IMAGE, VIDEO, EXTERNAL_VIDEO, MODEL_3D


@dataclass(frozen=True)
class ReadState(ProductState):
    """The planner's ProductState plus what the executor needs to write
    safely: media statuses, the metafields' compare digests, variants."""

    media: tuple[MediaInfo, ...] = ()
    found: bool = True
    productmedia_digest: str | None = None                               # None: no metafield yet
    swatch_digests: Mapping[str, str | None] = field(default_factory=dict)  # owner -> digest (None: none yet)
    variant_ids: tuple[str, ...] = ()
    gallery_truncated: bool = False
    read_error: str | None = None    # productmedia_v1 was unreadable (it is rebuilt on the next write)
    detached: frozenset[str] = frozenset()  # in `gallery` but off the product: an interrupted run moves them

    def media_info(self, media_id: str) -> MediaInfo | None:
        return next((m for m in self.media if m.id == media_id), None)


def read_product_states(client: AdminApiClient, product_ids: Sequence[str], *,
                        journal: Journal | None = None) -> dict[str, ReadState]:
    """The current state of each product (missing products come back with
    `found=False`). With a journal, media an interrupted run attached but
    never listed in productmedia_v1 are listed as AssetLink's."""
    ids = list(dict.fromkeys(product_ids))
    out: dict[str, ReadState] = {}
    for start in range(0, len(ids), READ_BATCH):
        chunk = ids[start:start + READ_BATCH]
        data = client.execute(queries.PRODUCT_STATES, {"ids": chunk})
        for product_id, node in zip(chunk, data.get("nodes") or []):
            if node and ((node.get("variants") or {}).get("pageInfo") or {}).get("hasNextPage"):
                node = _with_all_variants(client, node)
            out[product_id] = _state(product_id, node)
        for product_id in chunk:
            out.setdefault(product_id, ReadState(product_id, found=False))
    if journal is not None:
        out = _adopt_journalled_media(out, journal)
    return out


def _with_all_variants(client: AdminApiClient, node: Mapping[str, Any]) -> dict[str, Any]:
    """A product with more variants than the batched read returns: page
    through the rest (variant images and swatches must be known for all)."""
    variants = list((node.get("variants") or {}).get("nodes") or [])
    after = ((node.get("variants") or {}).get("pageInfo") or {}).get("endCursor")
    while after:
        data = client.execute(queries.PRODUCT_VARIANTS_PAGE, {"id": node["id"], "after": after})
        page = ((data.get("product") or {}).get("variants")) or {}
        variants += page.get("nodes") or []
        info = page.get("pageInfo") or {}
        after = info.get("endCursor") if info.get("hasNextPage") else None
    return {**node, "variants": {"nodes": variants, "pageInfo": {"hasNextPage": False}}}


def _swatch(node: Mapping[str, Any] | None) -> tuple[str | None, str | None, bool]:
    """(source url, digest, exists) of a swatch metafield."""
    if not node:
        return None, None, False
    reference = node.get("reference") or {}
    url = ((reference.get("originalSource") or {}).get("url")) if reference else None
    return url, node.get("compareDigest"), True


def _state(product_id: str, node: Mapping[str, Any] | None) -> ReadState:
    if not node or not node.get("id"):
        return ReadState(product_id, found=False)
    media_nodes = (node.get("media") or {}).get("nodes") or []
    media = tuple(MediaInfo(m["id"], m.get("alt") or "", m.get("status") or "READY",
                            m.get("mediaContentType") or "IMAGE") for m in media_nodes)
    productmedia_node = node.get("productmedia")
    value = productmedia_node.get("value") if productmedia_node else None
    entries, read_error = parse_document(value)
    swatches: dict[str, str | None] = {}
    digests: dict[str, str | None] = {}
    url, digest, exists = _swatch(node.get("swatch"))
    if exists:
        swatches[product_id], digests[product_id] = url, digest
    variant_media: dict[str, str | None] = {}
    variant_ids = []
    for variant in (node.get("variants") or {}).get("nodes") or []:
        variant_ids.append(variant["id"])
        vm = ((variant.get("media") or {}).get("nodes") or [])
        variant_media[variant["id"]] = vm[0]["id"] if vm else None
        url, digest, exists = _swatch(variant.get("swatch"))
        if exists:
            swatches[variant["id"]], digests[variant["id"]] = url, digest
    return ReadState(
        product_id=product_id, title=node.get("title") or "", gallery=tuple(m.id for m in media),
        productmedia=tuple(entries), productmedia_value=value, variant_media=variant_media, swatches=swatches,
        media=media, found=True, productmedia_digest=productmedia_node.get("compareDigest") if productmedia_node
        else None, swatch_digests=digests, variant_ids=tuple(variant_ids),
        gallery_truncated=bool(((node.get("media") or {}).get("pageInfo") or {}).get("hasNextPage")),
        read_error=read_error)


def _adopt_journalled_media(states: dict[str, ReadState], journal: Journal) -> dict[str, ReadState]:
    """What an interrupted run left half done, made visible to the planner:

    - media the journal says AssetLink made for a product, now in its gallery
      but missing from productmedia_v1, join the document (as the planner
      reads it) so the plan reuses them instead of adding the asset again;
    - media taken off the gallery to be re-attached in order count as still
      there (at the end, where they were going), so they are put back.
    """
    from dataclasses import replace
    by_product: dict[str, list] = {}
    for record in journal.records(list(states)):
        by_product.setdefault(record.product_id, []).append(record)
    for product_id, records in by_product.items():
        state = states[product_id]
        if not state.found:
            continue
        listed = {e.media_id for e in state.productmedia if e.media_id}
        gallery = set(state.gallery)
        extra = []
        for record in records:
            if (record.role == ROLE_GALLERY and record.file_id and record.entry_json
                    and record.file_id in gallery and record.file_id not in listed):
                entry = ProductMediaEntry.model_validate_json(record.entry_json)
                extra.append(entry.model_copy(update={"media_id": record.file_id}))
        away = sorted((r for r in records if r.role == ROLE_REATTACH and r.file_id and r.file_id not in gallery),
                      key=lambda r: (r.position if r.position is not None else 0, r.intended_at))
        changes: dict = {}
        if extra:
            # The raw value stays what Shopify holds, so the planner still sees
            # that the document needs rewriting.
            changes.update(productmedia=tuple(list(state.productmedia) + extra),
                           productmedia_value=state.productmedia_value or dump_document([]))
        if away:
            ids = [r.file_id for r in away]
            changes.update(gallery=state.gallery + tuple(ids), detached=frozenset(ids),
                           media=state.media + tuple(MediaInfo(i, "", "READY", "IMAGE") for i in ids))
        if changes:
            states[product_id] = replace(state, **changes)
    return states
