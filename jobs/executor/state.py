"""Read what products look like now, in as few requests and points as
Shopify allows: through the products' search connection by id, 250 a read
(shopify_app/admin_api/by_ids.py), with the gallery's first MEDIA_FIRST
media (longer galleries are read on) and the variants only when the sync
needs them (ReadNeeds).

About 0.2-0.4 cost points per product for a sync without variant images or
swatches (2 + 11 x (product 1 + media 3..7 + metafield 1) for 250 products).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from jobs.planner import ProductState
from jobs.planner.productmedia import ProductMediaEntry, dump_document, parse_document
from shopify_app.admin_api import queries
from shopify_app.admin_api.by_ids import read_by_ids
from shopify_app.admin_api.client import AdminApiClient

from .journal import ROLE_GALLERY, ROLE_REATTACH, Journal

# The first page of a gallery. A connection is charged for its page size
# only when it comes back empty (2 + 5 for 20, 2 + 11 for 250) and pro rata
# otherwise, so 20 keeps empty galleries cheap and needs a second read only
# for galleries longer than that.
MEDIA_FIRST = 20


@dataclass(frozen=True)
class ReadNeeds:
    """What a state read must include beyond the gallery and productmedia_v1:
    the variants (their media and swatches) and the product's swatch. A sync
    without variant images or swatches reads neither, which makes the read
    several times cheaper."""

    variants: bool = True
    swatches: bool = True


FULL = ReadNeeds()


@dataclass(frozen=True)
class MediaInfo:
    id: str
    alt: str
    status: str            # UPLOADED, PROCESSING, READY, FAILED
    content_type: str      # IMAGE, VIDEO, EXTERNAL_VIDEO, MODEL_3D


@dataclass(frozen=True)
class ReadState(ProductState):
    """The planner's ProductState plus what the executor needs to write
    safely: media statuses, the metafields' compare digests, variants.
    Variant media, variant ids and swatches are empty when the read left
    them out (ReadNeeds)."""

    media: tuple[MediaInfo, ...] = ()
    found: bool = True
    productmedia_digest: str | None = None                               # None: no metafield yet
    swatch_digests: Mapping[str, str | None] = field(default_factory=dict)  # owner -> digest (None: none yet)
    variant_ids: tuple[str, ...] = ()
    read_error: str | None = None    # productmedia_v1 was unreadable (it is rebuilt on the next write)
    detached: frozenset[str] = frozenset()  # in `gallery` but off the product: an interrupted run moves them
    swatch_files: Mapping[str, str] = field(default_factory=dict)  # owner -> file its cloudinary.swatch references

    def media_info(self, media_id: str) -> MediaInfo | None:
        return next((m for m in self.media if m.id == media_id), None)


def read_product_states(client: AdminApiClient, product_ids: Sequence[str], *,
                        journal: Journal | None = None, needs: ReadNeeds = FULL) -> dict[str, ReadState]:
    """The current state of each product (missing products come back with
    `found=False`). With a journal, media an interrupted run attached but
    never listed in productmedia_v1 are listed as AssetLink's."""
    nodes = read_by_ids(client, product_ids, connection=queries.PRODUCT_STATES, root="products",
                        nodes=queries.PRODUCT_STATES_BY_IDS,
                        variables={"mediaFirst": MEDIA_FIRST, "withVariants": needs.variants,
                                   "withSwatches": needs.swatches})
    out: dict[str, ReadState] = {}
    for product_id, node in nodes.items():
        if node is not None:
            node = _with_whole_gallery(client, node)
            if needs.variants and ((node.get("variants") or {}).get("pageInfo") or {}).get("hasNextPage"):
                node = _with_all_variants(client, node)
        out[product_id] = _state(product_id, node)
    if journal is not None:
        out = _adopt_journalled_media(out, journal)
    return out


def read_galleries(client: AdminApiClient, product_ids: Sequence[str]) -> dict[str, list[str]]:
    """The galleries' media ids in order, per product found."""
    nodes = read_by_ids(client, product_ids, connection=queries.GALLERY_ORDER, root="products",
                        nodes=queries.GALLERY_ORDER_BY_IDS, variables={"mediaFirst": MEDIA_FIRST})
    return {product_id: [m["id"] for m in (_with_whole_gallery(client, node).get("media") or {}).get("nodes") or []]
            for product_id, node in nodes.items() if node is not None}


def _with_whole_gallery(client: AdminApiClient, node: Mapping[str, Any]) -> dict[str, Any]:
    """A product whose gallery is longer than the first page: the rest of it."""
    media = node.get("media") or {}
    info = media.get("pageInfo") or {}
    if not info.get("hasNextPage"):
        return dict(node)
    items = list(media.get("nodes") or [])
    after = info.get("endCursor")
    while after:
        data = client.execute(queries.PRODUCT_MEDIA_PAGE, {"id": node["id"], "after": after})
        page = ((data.get("product") or {}).get("media")) or {}
        items += page.get("nodes") or []
        page_info = page.get("pageInfo") or {}
        after = page_info.get("endCursor") if page_info.get("hasNextPage") else None
    return {**node, "media": {"nodes": items, "pageInfo": {"hasNextPage": False}}}


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


def _swatch(node: Mapping[str, Any] | None) -> tuple[str | None, str | None, bool, str | None]:
    """(source url, digest, exists, file id) of a swatch metafield."""
    if not node:
        return None, None, False, None
    reference = node.get("reference") or {}
    url = ((reference.get("originalSource") or {}).get("url")) if reference else None
    return url, node.get("compareDigest"), True, reference.get("id") if reference else None


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
    files: dict[str, str] = {}
    url, digest, exists, file_id = _swatch(node.get("swatch"))
    if exists:
        swatches[product_id], digests[product_id] = url, digest
    if file_id:
        files[product_id] = file_id
    variant_media: dict[str, str | None] = {}
    variant_ids = []
    for variant in (node.get("variants") or {}).get("nodes") or []:
        variant_ids.append(variant["id"])
        vm = ((variant.get("media") or {}).get("nodes") or [])
        variant_media[variant["id"]] = vm[0]["id"] if vm else None
        url, digest, exists, file_id = _swatch(variant.get("swatch"))
        if exists:
            swatches[variant["id"]], digests[variant["id"]] = url, digest
        if file_id:
            files[variant["id"]] = file_id
    return ReadState(
        product_id=product_id, title=node.get("title") or "", gallery=tuple(m.id for m in media),
        productmedia=tuple(entries), productmedia_value=value, variant_media=variant_media, swatches=swatches,
        media=media, found=True, productmedia_digest=productmedia_node.get("compareDigest") if productmedia_node
        else None, swatch_digests=digests, variant_ids=tuple(variant_ids),
        read_error=read_error, swatch_files=files)


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
