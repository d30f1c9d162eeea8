"""GraphQL views of catalogue objects.

A view is a dict from schema field name to a value or to a callable
`(info, **args)`; a field the view lacks answers a "not implemented" error
naming it (never a silent null). `__typename` picks the object type when the
schema returns an interface or union.
"""
from __future__ import annotations

import importlib
from typing import Any, Optional

from graphql import GraphQLError

from .. import processing
from ..state import shop_number
from ..catalog import (EXTERNAL_VIDEO, GENERIC_FILE, MEDIA_IMAGE, MODEL_3D, VIDEO, File, Product, Variant,
                       gid, iso)
from .. import search
from .. import search_filters
from .common import connection, count, cursor_value, error

CONTENT_TYPES = {MEDIA_IMAGE: "IMAGE", VIDEO: "VIDEO", EXTERNAL_VIDEO: "EXTERNAL_VIDEO", MODEL_3D: "MODEL_3D"}


def _metafields_module() -> Any:
    try:
        return importlib.import_module("shopify_sim.resolvers.metafields")
    except ModuleNotFoundError:
        return None


def metafield_fields(ctx: Any, owner_gid: str) -> dict[str, Any]:
    """`metafield(namespace, key)` and `metafields(...)` of an owner,
    delegated to the metafields module."""
    def metafield(info: Any, key: str, namespace: Optional[str] = None) -> Any:
        module = _metafields_module()
        if module is None:
            raise error("Metafields are not available in this simulator build", "NOT_IMPLEMENTED")
        return module.owner_metafield(ctx, owner_gid, namespace, key)

    def metafields(info: Any, **args: Any) -> Any:
        module = _metafields_module()
        if module is None:
            raise error("Metafields are not available in this simulator build", "NOT_IMPLEMENTED")
        return module.owner_metafields(ctx, owner_gid, **args)

    return {"metafield": metafield, "metafields": metafields}


# -- files and media -------------------------------------------------------
def _delay(ctx: Any) -> float:
    return float(ctx.config.get("SIM_PROCESSING_DELAY", 0.5))


def image_view(f: File, url: str, alt: str) -> dict[str, Any]:
    return {
        "__typename": "Image",
        "id": gid("ImageSource", f.id),
        "url": lambda info, transform=None: url,
        "src": url, "originalSrc": url, "transformedSrc": lambda info, **a: url,
        "altText": alt or None,
        "width": f.width or 1024, "height": f.height or 1024,
        "thumbhash": None,
    }


def file_view(ctx: Any, f: File) -> dict[str, Any]:
    now, delay = ctx.now, _delay(ctx)
    status = processing.status(f, now, delay)
    errors = processing.errors(f, now, delay)
    media_errors = processing.errors(f, now, delay, "MediaErrorCode")
    url = processing.current_url(ctx.shop, f, now, delay)
    processed = processing.is_processed(f, now, delay) and not f.fail_code
    # An image previews itself; videos and 3D models get a poster frame; generic files none.
    if f.kind == MEDIA_IMAGE:
        preview_url = url
    else:
        preview_url = url + ".preview.jpg" if url and f.kind != GENERIC_FILE else None
    preview_image = image_view(f, preview_url, f.alt) if preview_url else None
    view: dict[str, Any] = {
        "__typename": f.kind,
        "id": f.gid,
        "alt": f.alt,
        "createdAt": iso(f.created_at),
        # Finishing processing updates the file (captured: updatedAt moves on READY).
        "updatedAt": iso(max(f.updated_at, f.processing_started_at + processing.delay_for(f, delay))
                         if processing.is_processed(f, now, delay) else f.updated_at),
        "fileStatus": status,
        "fileErrors": errors,
        "preview": {"__typename": "MediaPreviewImage", "image": preview_image, "status": status},
    }
    if f.kind in CONTENT_TYPES:
        view.update({
            "mediaContentType": CONTENT_TYPES[f.kind],
            "status": status,
            "mediaErrors": media_errors,
            "mediaWarnings": [],
        })
    if f.kind == MEDIA_IMAGE:
        view.update({
            # While a replaced source is processed the image is null (observed).
            "image": image_view(f, url, f.alt) if processed else None,
            # Shopify reports the MIME type once it has read the file.
            "mimeType": f.mime_type if processed else None,
            "originalSource": {"url": f.original_source, "fileSize": f.original_file_size},
            "translations": lambda info, **a: [],
        })
        view.update(metafield_fields(ctx, f.gid))
    elif f.kind == VIDEO:
        source = {"url": url, "mimeType": f.mime_type, "format": f.filename.rsplit(".", 1)[-1].lower(),
                  "width": f.width or 1920, "height": f.height or 1080, "fileSize": f.original_file_size}
        view.update({
            "filename": f.filename,
            "duration": (f.duration_ms or 10000) if processed else None,
            "sources": [source] if processed else [],
            "originalSource": {**source, "url": f.original_source} if processed else None,
        })
    elif f.kind == EXTERNAL_VIDEO:
        view.update({
            "originUrl": _origin_url(f.original_source),
            "embedUrl": _embed_url(f.original_source),
            "embeddedUrl": _embed_url(f.original_source),
            "host": "VIMEO" if "vimeo" in f.original_source else "YOUTUBE",
        })
    elif f.kind == MODEL_3D:
        view.update({"filename": f.filename, "sources": [], "originalSource": None, "boundingBox": None})
    elif f.kind == GENERIC_FILE:
        view.update({
            # The served URL: none before the first processing, the previous
            # rendition while a replaced source is processed (captured).
            "url": url,
            "mimeType": f.mime_type if processed else None,
            "originalFileSize": f.original_file_size,
        })
    return view


def _youtube_id(origin: str) -> Optional[str]:
    for marker in ("watch?v=", "youtu.be/", "/embed/"):
        if marker in origin:
            return origin.split(marker, 1)[1].split("&", 1)[0].split("?", 1)[0]
    return None


def _origin_url(origin: str) -> str:
    """Shopify normalises YouTube links to https://youtu.be/<id> (captured)."""
    video_id = _youtube_id(origin) if "youtu" in origin else None
    return f"https://youtu.be/{video_id}" if video_id else origin


def _embed_url(origin: str) -> str:
    video_id = _youtube_id(origin) if "youtu" in origin else None
    if video_id:
        return f"https://www.youtube.com/embed/{video_id}"
    if "vimeo.com/" in origin:
        return "https://player.vimeo.com/video/" + origin.rstrip("/").rsplit("/", 1)[-1]
    return origin


# -- products and variants -------------------------------------------------
MEDIA_FIELDS = {
    "media_type": search.Field(search.KEYWORD, lambda f: [CONTENT_TYPES.get(f.kind, "FILE")]),
    "id": search.Field(search.NUMBER, lambda f: [f.id]),
}
_MEDIA_MATCHER = search.Matcher(MEDIA_FIELDS, default_fields=())


def product_view(ctx: Any, p: Product) -> dict[str, Any]:
    catalog = ctx.catalog

    def media(info: Any, **args: Any) -> dict[str, Any]:
        items = catalog.product_media(p)
        # The gallery position (1-based) a POSITION cursor carries, in the
        # database's form (common.cursor_value; captured `"last_value":"1"`).
        positions = {f.id: n for n, f in enumerate(items, 1)}
        expr = search_filters.prepare(ctx, info, "Product", "media", args.get("query"))
        if expr is not None:
            items = [f for f in items if _MEDIA_MATCHER.matches(expr, f)]
        by_id = args.get("sortKey") == "ID"
        if by_id:
            items = sorted(items, key=lambda f: f.id)
        if args.get("reverse"):
            items = list(reversed(items))
        return connection(items, args, key=lambda f: f.id, node=lambda f: file_view(ctx, f),
                          sort_value=lambda f: cursor_value(f.id if by_id else positions[f.id], indexed=False))

    def variants(info: Any, **args: Any) -> dict[str, Any]:
        items = catalog.product_variants(p)
        by_id = args.get("sortKey") == "ID"
        if by_id:
            items = sorted(items, key=lambda v: v.id)
        if args.get("reverse"):
            items = list(reversed(items))
        return connection(items, args, key=lambda v: v.id, node=lambda v: variant_view(ctx, v),
                          sort_value=lambda v: cursor_value(v.id if by_id else v.position, indexed=False))

    def featured_media(info: Any) -> Any:
        gallery = catalog.product_media(p)
        return file_view(ctx, gallery[0]) if gallery else None

    def images(info: Any, **args: Any) -> dict[str, Any]:
        # The legacy image list: READY images of the gallery, in gallery order.
        items = [f for f in catalog.product_media(p)
                 if f.kind == MEDIA_IMAGE and processing.status(f, ctx.now, _delay(ctx)) == processing.READY]
        return connection(items, args, key=lambda f: f.id, node=lambda f: _legacy_image(ctx, f, p.id))

    def featured_image(info: Any) -> Any:
        gallery = [f for f in catalog.product_media(p) if f.kind == MEDIA_IMAGE
                   and processing.status(f, ctx.now, _delay(ctx)) == processing.READY]
        return _legacy_image(ctx, gallery[0], p.id) if gallery else None

    variant_list = catalog.product_variants(p)
    view = {
        "__typename": "Product",
        "id": p.gid,
        "legacyResourceId": str(p.id),
        "title": p.title,
        "handle": p.handle,
        "vendor": p.vendor,
        "productType": p.product_type,
        "tags": list(p.tags),
        "status": p.status,
        "descriptionHtml": p.description_html,
        "description": lambda info, truncateAt=None: p.description_html,
        "createdAt": iso(p.created_at),
        "updatedAt": iso(p.updated_at),
        # "The quantity of inventory that's in stock" / "Whether inventory
        # tracking has been enabled for the product" (schema): the variants'.
        "totalInventory": sum(v.inventory_quantity for v in variant_list),
        "tracksInventory": any(v.tracked for v in variant_list),
        "collections": lambda info, **args: _product_collections(ctx, p, args),
        "hasOnlyDefaultVariant": len(variant_list) == 1 and variant_list[0].title == "Default Title",
        "onlineStoreUrl": None,
        "onlineStorePreviewUrl": f"https://{ctx.shop.domain}/products/{p.handle}",
        "variants": variants,
        "variantsCount": count(len(variant_list)),
        "media": media,
        "mediaCount": count(len(p.media_ids)),
        "featuredMedia": featured_media,
        "images": images,
        "featuredImage": featured_image,
    }
    view.update(metafield_fields(ctx, p.gid))
    return view


def _legacy_image(ctx: Any, f: File, product_id: int) -> dict[str, Any]:
    url = processing.current_url(ctx.shop, f, ctx.now, _delay(ctx))
    img = image_view(f, url, f.alt)
    img["id"] = gid("ProductImage", ctx.catalog.product_image_id(f, product_id))
    return img


def variant_view(ctx: Any, v: Variant) -> dict[str, Any]:
    catalog = ctx.catalog

    def media(info: Any, **args: Any) -> dict[str, Any]:
        items = [catalog.files[v.media_id]] if v.media_id in catalog.files else []
        return connection(items, args, key=lambda f: f.id, node=lambda f: file_view(ctx, f))

    def image(info: Any) -> Any:
        f = catalog.files.get(v.media_id) if v.media_id else None
        if f is None or f.kind != MEDIA_IMAGE:
            return None
        return _legacy_image(ctx, f, v.product_id)

    view = {
        "__typename": "ProductVariant",
        "id": v.gid,
        "legacyResourceId": str(v.id),
        "title": v.title,
        "displayName": lambda info: f"{catalog.products[v.product_id].title} - {v.title}",
        "sku": v.sku or None,
        "barcode": v.barcode or None,
        "price": v.price,
        "compareAtPrice": v.compare_at_price,
        "taxable": v.taxable,
        "inventoryPolicy": v.inventory_policy,
        "inventoryQuantity": v.inventory_quantity,
        "inventoryItem": lambda info: inventory_item_view(ctx, v),
        "position": v.position,
        # Products here have the one option Shopify gives a product created
        # without options (captured: [{"name": "Title", "value": "Default Title"}]).
        "selectedOptions": [{"__typename": "SelectedOption", "name": "Title", "value": v.title}],
        "createdAt": iso(v.created_at),
        "updatedAt": iso(v.updated_at),
        "product": lambda info: product_view(ctx, catalog.products[v.product_id]),
        "media": media,
        "image": image,
    }
    view.update(metafield_fields(ctx, v.gid))
    return view


def inventory_item_view(ctx: Any, v: Variant) -> dict[str, Any]:
    """A variant's inventory item ("The inventory item, which is used to query
    for inventory information"): its SKU is the variant's."""
    return {"__typename": "InventoryItem", "id": v.inventory_item_gid,
            "legacyResourceId": v.inventory_item_gid.rsplit("/", 1)[1], "tracked": v.tracked,
            "requiresShipping": v.requires_shipping, "sku": v.sku or None,
            "createdAt": iso(v.created_at), "updatedAt": iso(v.updated_at),
            "variant": lambda info: variant_view(ctx, v)}


def _product_collections(ctx: Any, p: Product, args: dict[str, Any]) -> dict[str, Any]:
    """"A list of collections that include the product", by id."""
    from .owners import collection_view, in_collection
    catalog = ctx.catalog
    items = [c for c in catalog.in_id_order(catalog.collections) if in_collection(ctx, c, p)]
    if args.get("reverse"):
        items = items[::-1]
    return connection(items, args, key=lambda c: c.id, node=lambda c: collection_view(ctx, c),
                      keys_sorted=not args.get("reverse"))


def node_view(ctx: Any, value: Any) -> Any:
    """Any catalogue object by gid, as the `node`/`nodes` queries answer."""
    from ..catalog import parse_gid
    parsed = parse_gid(value)
    if parsed is None:
        raise GraphQLError(f"Invalid global id '{value}'", extensions={"code": "argumentLiteralsIncompatible"})
    kind, num = parsed
    catalog = ctx.catalog
    if kind == "Product":
        p = catalog.product_by_gid(value)
        return product_view(ctx, p) if p else None
    if kind == "ProductVariant":
        v = catalog.variant_by_gid(value)
        return variant_view(ctx, v) if v else None
    if kind in (MEDIA_IMAGE, VIDEO, EXTERNAL_VIDEO, MODEL_3D, GENERIC_FILE):
        f = catalog.file_by_gid(value)
        return file_view(ctx, f) if f else None
    if kind == "InventoryItem":
        variant = catalog.variants.get(catalog.inventory_items.get(int(num), 0)) if num.isdigit() else None
        return inventory_item_view(ctx, variant) if variant else None
    if kind == "Job":
        job = catalog.jobs.get(num)
        return job_view(ctx, job) if job else None
    if kind in ("Metafield", "MetafieldDefinition"):
        module = _metafields_module()
        if module is not None and hasattr(module, "node"):
            return module.node(ctx, value)
        return None
    if kind == "Shop":
        return shop_view(ctx) if num == str(shop_id(ctx.shop)) else None
    if kind in ("Metaobject", "MetaobjectDefinition"):
        from .metaobjects import node as metaobject_node
        return metaobject_node(ctx, value)
    if kind == "BulkOperation":
        from .bulk_operations import node as bulk_operation_node
        return bulk_operation_node(ctx, value)
    from .owners import OTHER_OWNER_KINDS, node as owner_node
    if kind == "Collection" or kind in OTHER_OWNER_KINDS:
        return owner_node(ctx, value)
    return None


def job_view(ctx: Any, job: Any) -> dict[str, Any]:
    done = processing.settle_job(job, ctx.now)
    return {"__typename": "Job", "id": job.gid, "done": done,
            "query": lambda info: ctx.notes.get("root") if done else None}


def shop_id(shop: Any) -> int:
    """The number in the shop's gid."""
    return shop.number


def shop_view(ctx: Any) -> dict[str, Any]:
    shop = ctx.shop
    view = {
        "__typename": "Shop",
        "id": gid("Shop", shop_id(shop)),
        "name": shop.name,
        "myshopifyDomain": shop.domain,
        "email": shop.email,
        "contactEmail": shop.email,
        "currencyCode": shop.currency,
        "primaryDomain": {"__typename": "Domain", "id": gid("Domain", shop_number(shop.domain)),
                          "host": shop.domain, "url": f"https://{shop.domain}", "sslEnabled": True},
        "plan": {"__typename": "ShopPlan", "displayName": shop.plan.title(), "partnerDevelopment": False,
                 "shopifyPlus": shop.plan in ("plus", "enterprise"), "publicDisplayName": shop.plan.title()},
        "ianaTimezone": "UTC",
        "timezoneAbbreviation": "UTC",
        "url": f"https://{shop.domain}",
    }
    view.update(metafield_fields(ctx, view["id"]))
    return view
