"""Test helpers: build requests and carry plans out on an in-memory product,
the way the executor will (new media for uploads, then `resolve`)."""
from __future__ import annotations

import itertools
from typing import Any, Iterable

from jobs.planner import ProductState, Settings, SyncRequest, dump_document, resolve
from jobs.planner.plan import ProductPlan

_ids = itertools.count(1)


def new_media_id() -> str:
    return f"gid://shopify/MediaImage/{next(_ids)}"


def merchant_gallery(n: int) -> tuple[str, ...]:
    return tuple(f"gid://shopify/MediaImage/m{next(_ids)}" for _ in range(n))


def asset(public_id: str, sku: Any = "ABC-1", **extra: Any) -> dict[str, Any]:
    metadata = {"sku": sku}
    metadata.update(extra.pop("metadata", {}))
    return {"public_id": public_id, "resource_type": extra.pop("resource_type", "image"), "type": "upload",
            "format": extra.pop("format", "jpg"), "version": extra.pop("version", 1711111111),
            "display_name": extra.pop("display_name", None), "alt": extra.pop("alt", None),
            "tags": extra.pop("tags", []), "context": extra.pop("context", {}), "metadata": metadata, **extra}


def request(assets: Iterable[dict[str, Any]], mode: str = "append", position: int | None = None,
            **body: Any) -> SyncRequest:
    data: dict[str, Any] = {"match": {"cloudinary_field": body.pop("field", "sku"), "shopify_field": "sku"},
                            "link_mode": mode, "position": position, "order_by": body.pop("order_by", None),
                            "assets": list(assets), **body}
    return SyncRequest.model_validate(data)


def apply(state: ProductState, plan: ProductPlan) -> ProductState:
    """The product after the executor has carried `plan` out."""
    if plan.status != "planned":
        return state
    new_media = {a.asset.key: new_media_id() for a in plan.actions
                 if a.needs_upload and a.swatch_owner is None and a.asset is not None}
    gallery, document = resolve(plan, new_media)
    variant_media = dict(state.variant_media)
    for image in plan.variant_images:
        variant_media[image.variant_id] = image.media_id or new_media[image.key]
    swatches = dict(state.swatches)
    for row in plan.actions:
        if row.swatch_owner and row.action == "created" and row.asset is not None:
            swatches[row.swatch_owner] = row.asset.delivery.url
    value = dump_document(document) if plan.productmedia_changed else state.productmedia_value
    return ProductState(state.product_id, state.title, tuple(gallery), tuple(document), value,
                        variant_media, swatches)


DEFAULT_SETTINGS = Settings()
