"""Shopify's Liquid objects for one product, from what the Admin API says
about it (the store is the truth: the same product a theme would render).

Shapes follow the Liquid reference: `product` (id, title, handle, url, media,
variants, metafields, selected_or_first_available_variant), `media` (id,
media_type, alt, position, aspect_ratio, preview_image, and `sources` for
videos), `image` (src "files/<name>", width, height, alt, aspect_ratio),
`variant` (id, title, url, sku, metafields) and metafields whose `value` is
the parsed JSON for `json` and the referenced `media_image` for
`file_reference` (https://shopify.dev/docs/api/liquid/objects/metafield).
"""
from __future__ import annotations

import json
from typing import Any, Mapping

from .liquid_env import version_of

_IMAGE = "... on MediaImage { id alt image { url width height } }"
PRODUCT_QUERY = """query($id: ID!) { product(id: $id) { id title handle
  media(first: 250) { nodes { id alt mediaContentType
    preview { image { url width height } }
    ... on MediaImage { image { url width height } }
    ... on Video { sources { url mimeType format width height } } } }
  productmedia: metafield(namespace: "cloudinary", key: "productmedia_v1") { type value }
  swatch: metafield(namespace: "cloudinary", key: "swatch") { type reference { %s } }
  variants(first: 100) { nodes { id title sku
    swatch: metafield(namespace: "cloudinary", key: "swatch") { type reference { %s } } } } } }""" % (_IMAGE, _IMAGE)

MEDIA_TYPES = {"IMAGE": "image", "VIDEO": "video", "EXTERNAL_VIDEO": "external_video", "MODEL_3D": "model"}


def number(gid: str) -> int:
    return int(gid.rsplit("/", 1)[-1])


def image_object(image: Mapping[str, Any] | None, alt: str | None = None) -> dict[str, Any] | None:
    if not image or not image.get("url"):
        return None
    width, height = image.get("width"), image.get("height")
    filename = image["url"].split("?", 1)[0].rsplit("/", 1)[-1]
    return {"src": f"files/{filename}", "version": version_of(image["url"]), "width": width, "height": height,
            "alt": alt or "", "aspect_ratio": round(width / height, 4) if width and height else None}


def media_object(node: Mapping[str, Any], position: int) -> dict[str, Any]:
    kind = MEDIA_TYPES.get(node.get("mediaContentType") or "", "image")
    preview = image_object((node.get("preview") or {}).get("image") or node.get("image"), node.get("alt"))
    media: dict[str, Any] = {"id": number(node["id"]), "media_type": kind, "alt": node.get("alt") or "",
                             "position": position, "preview_image": preview,
                             "aspect_ratio": preview["aspect_ratio"] if preview else None}
    if kind == "image" and preview:
        media.update(src=preview["src"], version=preview["version"], width=preview["width"], height=preview["height"])
    if kind == "video":
        media["sources"] = [{"url": s["url"], "mime_type": s.get("mimeType"), "format": s.get("format"),
                             "width": s.get("width"), "height": s.get("height")} for s in node.get("sources") or []]
    return media


def metafield(field: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not field:
        return None
    if field.get("type") == "json":
        return {"type": "json", "value": json.loads(field["value"])}
    if field.get("type") == "file_reference":
        reference = field.get("reference") or {}
        image = image_object(reference.get("image"), reference.get("alt"))
        value = None
        if image:
            value = {**image, "id": number(reference["id"]), "media_type": "image", "preview_image": image}
        return {"type": "file_reference", "value": value}
    return {"type": field.get("type"), "value": field.get("value")}


def liquid_product(data: Mapping[str, Any]) -> dict[str, Any]:
    """`product` as Liquid sees it, from the Admin API's answer to PRODUCT_QUERY."""
    handle = data["handle"]
    variants = []
    for node in data["variants"]["nodes"]:
        variant_id = number(node["id"])
        variants.append({"id": variant_id, "title": node["title"], "sku": node.get("sku"),
                         "url": f"/products/{handle}?variant={variant_id}",
                         "metafields": {"cloudinary": _namespace(swatch=node.get("swatch"))}})
    return {
        "id": number(data["id"]), "title": data["title"], "handle": handle, "url": f"/products/{handle}",
        "media": [media_object(node, i) for i, node in enumerate(data["media"]["nodes"], start=1)],
        "variants": variants,
        "selected_or_first_available_variant": variants[0] if variants else None,
        "metafields": {"cloudinary": _namespace(productmedia_v1=data.get("productmedia"), swatch=data.get("swatch"))},
    }


def _namespace(**fields: Mapping[str, Any] | None) -> dict[str, Any]:
    return {key: value for key, value in ((k, metafield(f)) for k, f in fields.items()) if value is not None}
