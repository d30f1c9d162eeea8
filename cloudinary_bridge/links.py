"""Managing links: `GET /links` (a product's AssetLink assets, read live
from Shopify) and `POST /unlinks` (a batch like a sync: its status, abort
and report are under /syncs/{id}; the work is jobs.unlink_job)."""
from __future__ import annotations

import re
from typing import Annotated, Any, Optional

from flask import g, jsonify, request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from jobs.executor import read_product_states
from jobs.planner.request import MAX_ASSETS
from shopify_app.admin_api import REQUEST_MAX_WAIT, for_shop
from shopify_app.problems import Problem
from shopify_app.query_params import reject_unknown_params

from . import batch_requests, bp, openapi
from .errors import invalid_body, json_body, validation_problem
from .syncs import SyncAccepted, accepted_response

PRODUCT_GID = re.compile(r"^gid://shopify/Product/[1-9][0-9]{0,19}$")
MAX_PRODUCTS = 1000


class LinkedAsset(BaseModel):
    """One entry of the product's productmedia_v1, with what Shopify shows now."""

    model_config = ConfigDict(extra="allow")

    public_id: str
    resource_type: str
    type: str
    alt: str
    media_id: Optional[str] = Field(description="The media's Shopify GID, null when it is no longer on the product "
                                                "(or nothing was uploaded)")
    position: Optional[int] = Field(description="1-based place in the product's gallery, null when not in it")
    media_status: Optional[str] = Field(description="Shopify's media status: UPLOADED, PROCESSING, READY, FAILED")
    listed_media_id: Optional[str] = Field(description="The media id productmedia_v1 records")
    on_product: bool


class Links(BaseModel):
    product_id: str
    product_title: str
    media_count: int
    assets: list[LinkedAsset]
    productmedia_error: Optional[str] = Field(None, description="Why productmedia_v1 could not be read, if so")


def _product_gid(value: str) -> str:
    if not PRODUCT_GID.match(value):
        raise ValueError("must be a product GID such as gid://shopify/Product/123")
    return value


def _public_id(value: str) -> str:
    if any(ord(ch) < 0x20 for ch in value):
        raise ValueError("must not contain control characters")
    return value


# The pattern is in the schema too (the validator only gives the friendlier message).
ProductGid = Annotated[str, Field(json_schema_extra={"pattern": PRODUCT_GID.pattern}), AfterValidator(_product_gid)]
PublicId = Annotated[str, Field(min_length=1, max_length=1024, json_schema_extra={"pattern": "^[^\\x00-\\x1f]+$"}),
                     AfterValidator(_public_id)]


class UnlinkRequest(BaseModel):
    """POST /unlinks body."""

    model_config = ConfigDict(extra="forbid", strict=True)

    # Repeats are refused (each names itself in `errors`): uniqueItems says so.
    product_ids: list[ProductGid] = Field(min_length=1, max_length=MAX_PRODUCTS,
                                          json_schema_extra={"uniqueItems": True})
    public_ids: list[PublicId] = Field(min_length=1, max_length=MAX_ASSETS, json_schema_extra={"uniqueItems": True})


def _repeats(values: list[str], name: str) -> list[dict[str, str]]:
    seen: dict[str, int] = {}
    errors = []
    for index, value in enumerate(values):
        if value in seen:
            errors.append({"field": f"{name}[{index}]", "message": f"repeats {name}[{seen[value]}]"})
        seen.setdefault(value, index)
    return errors


@bp.get("/links")
@openapi.operation("A product's AssetLink assets, read live from Shopify", tag="Links", responses={200: Links},
                   upstream=True, problems={404: "No such product in this store."},
                   parameters=[{"name": "product_id", "in": "query", "required": True,
                                "schema": {"type": "string", "pattern": PRODUCT_GID.pattern}}])
def get_links():
    reject_unknown_params("product_id")
    product_id = request.args.get("product_id", "")
    if not PRODUCT_GID.match(product_id):
        raise Problem(400, "product_id must be a product GID such as gid://shopify/Product/123.",
                      title="Bad Request", errors=[{"field": "product_id", "message": "must be a product GID"}])
    state = read_product_states(for_shop(g.shop, max_wait=REQUEST_MAX_WAIT), [product_id])[product_id]
    if not state.found:
        raise Problem(404, "No such product in this store.", title="Not Found")
    position = {media_id: index for index, media_id in enumerate(state.gallery, start=1)}
    assets = []
    for entry in state.productmedia:
        on_product = entry.media_id is not None and entry.media_id in position
        info = state.media_info(entry.media_id) if on_product and entry.media_id else None
        assets.append(LinkedAsset(**{**entry.model_dump(mode="json"),
                                     "media_id": entry.media_id if on_product else None,
                                     "listed_media_id": entry.media_id,
                                     "position": position.get(entry.media_id) if on_product else None,  # type: ignore[arg-type]
                                     "media_status": info.status if info else None, "on_product": on_product}))
    body: dict[str, Any] = Links(product_id=product_id, product_title=state.title, media_count=len(state.gallery),
                                 assets=assets, productmedia_error=state.read_error).model_dump(mode="json")
    return jsonify(body)


@bp.post("/unlinks")
@openapi.operation("Take assets off products", tag="Links", request=UnlinkRequest, responses={202: SyncAccepted},
                   parameters=[batch_requests.IDEMPOTENCY_PARAMETER],
                   problems={409: "Idempotency-Key reused with another body."},
                   description="Queues an unlink: a batch like a sync (GET /syncs/{id}, its abort and report). "
                               "Removes the assets AssetLink linked from those products' galleries and "
                               "productmedia_v1; media AssetLink did not create are never touched.")
def create_unlink():
    reject_unknown_params()
    key = batch_requests.idempotency_key()
    data = json_body()
    digest = batch_requests.body_hash(data)
    if (earlier := batch_requests.replay("unlink", key, digest, accepted_response)) is not None:
        return earlier
    try:
        body = UnlinkRequest.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(exc) from None
    errors = _repeats(body.product_ids, "product_ids") + _repeats(body.public_ids, "public_ids")
    if errors:
        raise invalid_body(errors)
    return batch_requests.accept("unlink", data, key, digest, accepted_response,
                                 products_total=len(body.product_ids),
                                 assets_total=len(body.product_ids) * len(body.public_ids))

