"""Packing many lookups into few Shopify searches (pure functions).

The matcher (jobs.matching.matcher) and the field lister use these; a search
finds candidates, the matcher decides.

Sizing, with the reasons:

- Page size. A connection costs 2 + first x (cost of one node), and one
  query may ask for at most 1000 points (Shopify's single-query maximum), and
  never more than the bucket holds (a query bigger than the bucket would wait
  forever). `first` is also capped at 250 (Shopify's page maximum). For the
  variant lookup (3 points a node) that is 250 nodes = 752 points on a store
  whose bucket holds >= 752, and proportionally fewer on a smaller bucket.
- Terms per search. Shopify documents no maximum search length or OR count.
  We stay at <= 250 terms (the bound Shopify puts on every list input) and
  <= 5,000 characters per query string: long enough that 1,000 typical SKUs
  need 4-5 searches, short enough to stay clear of URL/query-size limits of
  search backends. Terms per search are deliberately *not* tied to the page
  size: a search with more hits than a page is paginated, and bigger searches
  waste fewer partly-filled last pages.
"""
from __future__ import annotations

import re
from typing import Iterable, Iterator

from shopify_app.query_params import whole_number

MAX_PAGE = 250
MAX_QUERY_COST = 1000
CONNECTION_OVERHEAD = 2
MAX_TERMS_PER_SEARCH = 250
MAX_SEARCH_CHARS = 5000
CONNECTIVE = " OR "

PRODUCT_GID = re.compile(r"^gid://shopify/Product/(\d+)$")


def page_size(capacity: float, node_cost: int, *, max_page: int = MAX_PAGE) -> int:
    """Largest `first` whose requested cost fits one query and the bucket."""
    budget = min(float(capacity), MAX_QUERY_COST) - CONNECTION_OVERHEAD
    return max(1, min(max_page, int(budget // node_cost)))


def quote(value: str) -> str:
    """A value as one quoted search token: spaces, colons and parentheses stay
    inside the quotes; backslashes and double quotes are escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def search_term(search_filter: str, value: str) -> str:
    if search_filter == "id":
        # Shopify filters ids by number (`id:123`), not by quoted text.
        return f"id:{value}"
    return f"{search_filter}:{quote(value)}"


def product_number(value: str) -> str | None:
    """The numeric id of `gid://shopify/Product/N` or `N`; None otherwise."""
    match = PRODUCT_GID.match(value)
    if match:
        return match.group(1)
    return value if whole_number(value) is not None and len(value) <= 20 else None


def searches(search_filter: str, values: Iterable[str], *, max_terms: int = MAX_TERMS_PER_SEARCH,
             max_chars: int = MAX_SEARCH_CHARS) -> Iterator[tuple[list[str], str]]:
    """(values, query) pairs: each query ORs as many terms as the limits allow.

    A single term longer than `max_chars` still gets a search of its own.
    """
    chunk: list[str] = []
    terms: list[str] = []
    length = 0
    for value in values:
        term = search_term(search_filter, value)
        added = len(term) + (len(CONNECTIVE) if terms else 0)
        if terms and (len(terms) >= max_terms or length + added > max_chars):
            yield chunk, CONNECTIVE.join(terms)
            chunk, terms, length = [], [], 0
            added = len(term)
        chunk.append(value)
        terms.append(term)
        length += added
    if terms:
        yield chunk, CONNECTIVE.join(terms)

