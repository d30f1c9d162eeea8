"""`POST /matches`: which products would each value link to.

Shopify's search is fuzzier than the contract's equality (it tokenises,
prefix-matches and ignores punctuation), so it only finds *candidates*;
`normalise` and `node_values` decide on our side: values compare trimmed,
Unicode-NFC and lower-cased, `id` exactly. Lookups are packed into few OR
searches (cloudinary_bridge.batching) and paginated; never one per value.
"""
from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from typing import Annotated, Any, Iterator, Optional, Union

from flask import g, jsonify
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from shopify_app.admin_api import AdminApiClient, for_shop, queries
from shopify_app.problems import Problem

from . import bp, openapi
from .batching import batches, page_size, product_number
from .errors import MAX_ASSETS, parse_body
from .fields import METAFIELD_PREFIX, STANDARD_BY_KEY, STANDARD_FIELDS, FieldSpec, metafield_definitions, \
    unsearchable_reason

MAX_VALUE_LENGTH = 1024
# Shopify's text search returns superstrings too ("Shirt" finds every shirt).
# Comparing more candidates than this would spend minutes of the store's API
# budget on one preview, so such a request is refused instead.
MAX_CANDIDATE_PAGES = 40
Value = Union[StrictInt, Annotated[StrictStr, Field(max_length=MAX_VALUE_LENGTH)]]


class MatchRequest(BaseModel):
    model_config = ConfigDict(strict=True)

    shopify_field: Annotated[StrictStr, Field(min_length=1, max_length=300,
                                              description="`sku`, `handle`, ... or `metafield:<ns>.<key>`")]
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


# -- pure decisions ----------------------------------------------------------

def normalise(value: str, *, exact: bool) -> str:
    if exact:
        return value
    # lower(), not casefold(): Shopify's search folds case the simple way
    # ("ß" stays "ß"), and a value must not match only when a sibling value
    # happened to bring its product back.
    return unicodedata.normalize("NFC", value).strip().lower()


def search_text(value: str, *, exact: bool) -> str | None:
    """What to send to Shopify's search for `value`; None if nothing can match."""
    if exact:
        return product_number(value)
    text = unicodedata.normalize("NFC", value).strip()
    return text or None


def node_values(spec: FieldSpec, node: dict[str, Any]) -> list[str]:
    """The field's values on a node Shopify returned."""
    key = spec.key
    if key in ("sku", "barcode"):
        return [node[key]] if node.get(key) else []
    if key == "id":
        return [node["id"], str(node.get("legacyResourceId") or "")]
    if key == "tag":
        return list(node.get("tags") or [])
    if key in ("handle", "title", "vendor"):
        return [node.get(key) or ""]
    if key == "product_type":
        return [node.get("productType") or ""]
    raw = (node.get("metafield") or {}).get("value")
    if raw is None:
        return []
    if (spec.metafield_type or "").startswith("list."):
        try:
            items = json.loads(raw)
        except ValueError:
            return [raw]
        return [str(i) for i in items] if isinstance(items, list) else [raw]
    return [raw]


def matched_product(spec: FieldSpec, node: dict[str, Any]) -> dict[str, Any]:
    if spec.level == "variant":
        product = node["product"]
        variant_id = node["id"]
    else:
        product, variant_id = node, None
    return {"id": product["id"], "title": product.get("title") or "", "handle": product.get("handle") or "",
            "media_count": (product.get("mediaCount") or {}).get("count"), "variant_id": variant_id}


@dataclass
class MatchResult:
    matches: list[tuple[Any, list[dict[str, Any]]]] = field(default_factory=list)
    unmatched: list[Any] = field(default_factory=list)

    @property
    def matched_products(self) -> int:
        return len({p["id"] for _, products in self.matches for p in products})


# -- I/O ----------------------------------------------------------------------

def resolve_field(client: AdminApiClient | None, shopify_field: str) -> FieldSpec:
    """The field spec for `shopify_field`, or a 422 that says why not."""
    if shopify_field in STANDARD_BY_KEY:
        return STANDARD_BY_KEY[shopify_field]
    if not shopify_field.startswith(METAFIELD_PREFIX) or client is None:
        raise _field_problem(f"is not a Shopify field; use one of {', '.join(f.key for f in STANDARD_FIELDS)} or "
                             f"metafield:<namespace>.<key>")
    spec = next((s for s in metafield_definitions(client) if s.key == shopify_field), None)
    if spec is None:
        raise _field_problem("has no product metafield definition in this store (see GET /fields)")
    reason = unsearchable_reason(spec)
    if reason:
        raise _field_problem(f"can't be matched: {reason}")
    return spec


def _field_problem(message: str) -> Problem:
    return Problem(422, "The field can't be matched against.", title="Unprocessable Content",
                   errors=[{"field": "shopify_field", "message": message}])


def _pages(client: AdminApiClient, spec: FieldSpec, query: str) -> Iterator[dict[str, Any]]:
    if spec.level == "variant":
        document, node_cost, root = queries.MATCH_VARIANTS, queries.MATCH_VARIANTS_NODE_COST, "productVariants"
    elif spec.namespace is not None:
        document, node_cost, root = (queries.MATCH_PRODUCTS_BY_METAFIELD,
                                     queries.MATCH_PRODUCTS_BY_METAFIELD_NODE_COST, "products")
    else:
        document, node_cost, root = queries.MATCH_PRODUCTS, queries.MATCH_PRODUCTS_NODE_COST, "products"
    first = page_size(client.capacity(), node_cost)
    variables: dict[str, Any] = {"query": query, "first": first, "after": None}
    if spec.namespace is not None:
        variables.update(namespace=spec.namespace, key=spec.metafield_key)
    while True:
        data = client.execute(document, variables, expected_cost=queries.CONNECTION_OVERHEAD + first * node_cost)
        connection = data[root]
        yield from connection["nodes"]
        if not connection["pageInfo"]["hasNextPage"]:
            return
        variables["after"] = connection["pageInfo"]["endCursor"]


def find_matches(client: AdminApiClient, spec: FieldSpec, values: list[Any]) -> MatchResult:
    exact = spec.key == "id"
    originals = list(dict.fromkeys(values))  # exact duplicates once, first-seen order
    by_key: dict[str, list[Any]] = {}
    to_search: dict[str, str] = {}
    for original in originals:
        text = str(original)
        query_text = search_text(text, exact=exact)
        if query_text is None:
            continue
        key = normalise(text, exact=exact)
        by_key.setdefault(key, []).append(original)
        to_search.setdefault(key, query_text)

    found: dict[str, dict[tuple[str, Optional[str]], dict[str, Any]]] = {}
    search_filter = spec.search_filter
    pages_before = client.stats.requests
    for _, query in batches(search_filter, list(dict.fromkeys(to_search.values()))):
        for node in _pages(client, spec, query):
            if client.stats.requests - pages_before > MAX_CANDIDATE_PAGES:
                raise Problem(422, "These values match too many products in Shopify's search to compare them all; "
                                   "match on a more specific field such as sku or handle.",
                              title="Unprocessable Content",
                              errors=[{"field": "values", "message": "too broad for a search on "
                                                                     f"{spec.key}"}])
            for raw in node_values(spec, node):
                key = normalise(raw, exact=exact)
                if key in by_key:
                    product = matched_product(spec, node)
                    found.setdefault(key, {})[(product["id"], product["variant_id"])] = product

    result = MatchResult()
    for original in originals:
        text = str(original)
        key = normalise(text, exact=exact)
        products = list(found.get(key, {}).values()) if search_text(text, exact=exact) is not None else []
        if products:
            result.matches.append((original, products))
        else:
            result.unmatched.append(original)
    return result


@bp.post("/matches")
@openapi.operation("Preview which products values match", tag="Matching", request=MatchRequest,
                   responses={200: MatchResponse}, upstream=True,
                   description="Values compare trimmed and case-insensitively (`id` exactly). At most 1000 values.")
def post_matches():
    body = parse_body(MatchRequest)
    client = for_shop(g.shop)
    spec = resolve_field(client, body.shopify_field)
    result = find_matches(client, spec, list(body.values))
    response = MatchResponse(
        matched_products=result.matched_products,
        matches=[Match(value=v, products=[MatchedProduct(**p) for p in products]) for v, products in result.matches],
        unmatched=result.unmatched)
    return jsonify(response.model_dump())
