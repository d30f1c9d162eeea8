"""Which products each value links to: the matcher behind `POST /matches`
(the preview) and the sync's planning.

Shopify's search is fuzzier than the contract's equality (it tokenises,
prefix-matches and ignores punctuation), so it only finds *candidates*;
`normalise` and `node_values` decide on our side: values compare trimmed,
Unicode-NFC and lower-cased, `id` exactly. Lookups are packed into few OR
searches (jobs.matching.search) and paginated; never one per value.

What can't be matched is a `MatchingError` naming the input at fault; the
bridge turns it into a 422, the sync into the batch's error.
"""
from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterator, Literal, Optional

from shopify_app.admin_api import AdminApiClient, queries

from .fields import METAFIELD_PREFIX, STANDARD_BY_KEY, STANDARD_FIELDS, FieldSpec, metafield_definitions, \
    unsearchable_reason
from .search import page_size, product_number, searches

# Shopify's text search returns superstrings too ("Shirt" finds every shirt).
# Comparing more candidates than this would spend minutes of the store's API
# budget on one preview, so such a request is refused instead.
MAX_CANDIDATE_PAGES = 40


class MatchingError(Exception):
    """The input can't be matched: `input` names what is at fault
    (`shopify_field` or `values`), `reason` says why, in words for the caller."""

    input: Literal["shopify_field", "values"]

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FieldNotMatchable(MatchingError):
    """The Shopify field is not one (neither standard nor `metafield:`)."""

    input = "shopify_field"


class FieldNotInStore(FieldNotMatchable):
    """A metafield the store has no product definition for."""


class FieldNotSearchable(FieldNotMatchable):
    """A metafield definition Shopify can't search products by."""


class ValuesTooBroad(MatchingError):
    """Shopify's search finds too many candidates for these values to
    compare them all."""

    input = "values"


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
    """The field spec for `shopify_field`; FieldNotMatchable says why not."""
    if shopify_field in STANDARD_BY_KEY:
        return STANDARD_BY_KEY[shopify_field]
    if not shopify_field.startswith(METAFIELD_PREFIX) or client is None:
        raise FieldNotMatchable(f"is not a Shopify field; use one of {', '.join(f.key for f in STANDARD_FIELDS)} "
                                f"or metafield:<namespace>.<key>")
    spec = next((s for s in metafield_definitions(client) if s.key == shopify_field), None)
    if spec is None:
        raise FieldNotInStore("has no product metafield definition in this store (see GET /fields)")
    reason = unsearchable_reason(spec)
    if reason:
        raise FieldNotSearchable(f"can't be matched: {reason}")
    return spec


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
    """Each value (exact duplicates once, in first-seen order) with the
    products whose field equals it, or among the unmatched; ValuesTooBroad
    when Shopify's search can't narrow them down."""
    exact = spec.key == "id"
    originals = list(dict.fromkeys(values))
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
    pages_before = client.stats.requests
    for _, query in searches(spec.search_filter, list(dict.fromkeys(to_search.values()))):
        for node in _pages(client, spec, query):
            if client.stats.requests - pages_before > MAX_CANDIDATE_PAGES:
                raise ValuesTooBroad(f"too broad for a search on {spec.key}")
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
