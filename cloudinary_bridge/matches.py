"""`POST /matches`: which products would each value link to.

Thin HTTP over the engine's matcher (jobs.matching): the body is checked
here, the matching is the sync's own, and what can't be matched
(jobs.matching.MatchingError) is a problem naming the field at fault: 422
for the request's shape, 404/409 for a metafield the store lacks or can't
search.
"""
from __future__ import annotations

from typing import Annotated, Optional, Union

from flask import g, jsonify
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr

from jobs.matching import (FieldNotInStore, FieldNotSearchable, MatchingError, ValuesTooBroad, find_matches,
                           resolve_field)
from jobs.planner.request import SHOPIFY_FIELD_PATTERN, JsonInt, shopify_field
from shopify_app.admin_api import REQUEST_MAX_WAIT, for_shop
from shopify_app.problems import Problem

from . import bp, openapi
from .errors import MAX_ASSETS, parse_body

MAX_VALUE_LENGTH = 1024
Value = Union[JsonInt, Annotated[StrictStr, Field(max_length=MAX_VALUE_LENGTH)]]
# A well-formed field the store lacks, or can't search, is about the store's
# state, not the request's shape: 404 and 409, so the schema's pattern is the
# whole rule for a 422.
FIELD_STATUS = {FieldNotInStore: 404, FieldNotSearchable: 409}
TOO_BROAD = ("These values match too many products in Shopify's search to compare them all; match on a more "
             "specific field such as sku or handle.")


class MatchRequest(BaseModel):
    model_config = ConfigDict(strict=True)

    shopify_field: Annotated[StrictStr, Field(min_length=1, max_length=330,
                                              json_schema_extra={"pattern": SHOPIFY_FIELD_PATTERN},
                                              description="`sku`, `handle`, ... or `metafield:<ns>.<key>`"),
                             AfterValidator(shopify_field)]
    values: Annotated[list[Value], Field(max_length=MAX_ASSETS)]


class MatchedProduct(BaseModel):
    id: str
    title: str
    handle: str
    media_count: Optional[int]
    variant_id: Optional[str] = Field(description="The matched variant, for variant-level fields.")


class Match(BaseModel):
    value: Union[int, str]
    products: list[MatchedProduct]


class MatchResponse(BaseModel):
    matched_products: int = Field(description="Distinct products matched by any value.")
    matches: list[Match]
    unmatched: list[Union[int, str]]


def matching_problem(error: MatchingError) -> Problem:
    """The problem for input the matcher refused, naming the field at fault."""
    errors = [{"field": error.input, "message": error.reason}]
    if isinstance(error, ValuesTooBroad):
        return Problem(422, TOO_BROAD, title="Unprocessable Content", errors=errors)
    return Problem(FIELD_STATUS.get(type(error), 422), "The field can't be matched against.", errors=errors)


@bp.post("/matches")
@openapi.operation("Preview which products values match", tag="Matching", request=MatchRequest,
                   responses={200: MatchResponse}, upstream=True,
                   problems={404: "The store has no product metafield definition by that name.",
                             409: "The store's metafield definition can't be searched (see GET /fields)."},
                   description="Values compare trimmed and case-insensitively (`id` exactly). At most 1000 values.")
def post_matches():
    body = parse_body(MatchRequest)
    client = for_shop(g.shop, max_wait=REQUEST_MAX_WAIT)
    try:
        spec = resolve_field(client, body.shopify_field)
        result = find_matches(client, spec, list(body.values))
    except MatchingError as error:
        raise matching_problem(error) from None
    response = MatchResponse(
        matched_products=result.matched_products,
        matches=[Match(value=v, products=[MatchedProduct(**p) for p in products]) for v, products in result.matches],
        unmatched=result.unmatched)
    return jsonify(response.model_dump())
