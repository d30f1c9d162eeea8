"""What a merchant does in the Shopify admin between a sync and its undo,
sent straight to the simulator with the store's token (never through the app),
and what the store holds, read from the simulator's control API."""
from __future__ import annotations

import json
from typing import Any

from shopify_app import crypto
from shopify_app.extensions import db
from shopify_app.models import Shop
from tests.syncs.e2e_store import Store

FILE_UPDATE = """mutation($files: [FileUpdateInput!]!) { fileUpdate(files: $files) { userErrors { message code } } }"""


def admin(app: Any, store: Store, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    with app.app_context():
        token = crypto.decrypt(db.session.get(Shop, store.shop.shop_id).access_token_enc)
    return store.sim.graphql(store.domain, token, query, variables)


def take_off(app: Any, store: Store, product_id: str, media_id: str) -> None:
    data = admin(app, store, FILE_UPDATE, {"files": [{"id": media_id, "referencesToRemove": [product_id]}]})
    assert not data["fileUpdate"]["userErrors"], data


def looks(store: Store) -> dict[str, dict[str, Any]]:
    """Per product title: its gallery, productmedia_v1 (parsed), swatches of
    product and variants (owner -> file), variant images (sku -> media)."""
    state = store.state()
    metafields = {(m["ownerId"], m["key"]): m["value"] for m in state["metafields"] if m["namespace"] == "cloudinary"}
    out = {}
    for p in state["products"]:
        owners = [p["id"], *(v["id"] for v in p["variants"])]
        document = metafields.get((p["id"], "productmedia_v1"))
        out[p["title"]] = {"id": p["id"], "gallery": [m["id"] for m in p["media"]],
                           "productmedia": json.loads(document) if document else None,
                           "swatches": {o: metafields[(o, "swatch")] for o in owners if (o, "swatch") in metafields},
                           "variant_media": {v["sku"]: v["media"] for v in p["variants"]}}
    return out


def file_ids(store: Store) -> set[str]:
    return {f["id"] for f in store.state()["files"]}


FILE_DELETE = """mutation($ids: [ID!]!) { fileDelete(fileIds: $ids) { userErrors { message } } }"""


def delete_file(app: Any, store: Store, file_id: str) -> None:
    data = admin(app, store, FILE_DELETE, {"ids": [file_id]})
    assert not data["fileDelete"]["userErrors"], data


APPEND_VARIANT_MEDIA = """mutation($p: ID!, $vm: [ProductVariantAppendMediaInput!]!) {
  productVariantAppendMedia(productId: $p, variantMedia: $vm) { userErrors { message } } }"""


def set_variant_image(app: Any, store: Store, product_id: str, variant_id: str, media_id: str) -> None:
    data = admin(app, store, APPEND_VARIANT_MEDIA, {"p": product_id, "vm": [{"variantId": variant_id,
                                                                           "mediaIds": [media_id]}]})
    assert not data["productVariantAppendMedia"]["userErrors"], data
