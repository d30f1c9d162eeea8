"""Reading many objects by id, through the query shape Shopify prices lowest.

A connection costs 2 plus a page factor times one node, the factor growing
with `first` far slower than the page (11 for 250 nodes, fitted to Shopify's
recorded costs), and a short page is refunded. `nodes(ids:)` is priced as one
object only in the recorded reads of up to 4 ids; for more, nothing
documents its price and the simulator charges each further id as a read of
its own (shopify_sim/COST.md). So objects are read through their search
connection, `id:1 OR id:2 ...` with `first: 250`, a page of up to 250 ids
for about 2 + 11 nodes' worth; only what the search does not return (an
object created moments ago, before Shopify's search index has it, or one
that no longer exists) is read through `nodes(ids:)`, at most 4 ids a read.

Each caller gives two documents with the same selection: a connection read
taking `$query` and `$first`, and a `nodes(ids: $ids)` read.
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

from .client import AdminApiClient

MAX_PAGE = 250            # Shopify's largest page
NODES_PER_READ = 4        # the most ids a recorded nodes(ids:) read was charged as one
# Shopify documents no maximum search length or OR count. Like the bridge's
# match searches (cloudinary_bridge/batching.py), a search stays within 250
# terms and 5,000 characters.
MAX_SEARCH_CHARS = 5000
CONNECTIVE = " OR "


def id_number(gid: str) -> str:
    """The numeric part of a GID (`gid://shopify/Product/12` -> `12`)."""
    return gid.rsplit("/", 1)[-1].split("?", 1)[0]


def id_searches(ids: Sequence[str], *, max_terms: int = MAX_PAGE,
                max_chars: int = MAX_SEARCH_CHARS) -> Iterator[tuple[list[str], str]]:
    """(ids, search) pairs: `id:N OR id:M ...`, within the limits above."""
    chunk: list[str] = []
    length = 0
    for gid in ids:
        term = f"id:{id_number(gid)}"
        added = len(term) + (len(CONNECTIVE) if chunk else 0)
        if chunk and (len(chunk) >= max_terms or length + added > max_chars):
            yield chunk, CONNECTIVE.join(f"id:{id_number(i)}" for i in chunk)
            chunk, length, added = [], 0, len(term)
        chunk.append(gid)
        length += added
    if chunk:
        yield chunk, CONNECTIVE.join(f"id:{id_number(i)}" for i in chunk)


def read_by_ids(client: AdminApiClient, ids: Sequence[str], *, connection: str, root: str, nodes: str,
                variables: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any] | None]:
    """Each id -> its node as the documents select it (None: Shopify has no
    such object). `root` is the connection field (`products`, `files`...);
    both documents must select `id`."""
    wanted = list(dict.fromkeys(ids))
    extra = dict(variables or {})
    found: dict[str, dict[str, Any] | None] = {}
    for chunk, search in id_searches(wanted):
        asked = set(chunk)
        after = None
        while True:
            data = client.execute(connection, {**extra, "query": search, "first": MAX_PAGE, "after": after})
            page = data.get(root) or {}
            for node in page.get("nodes") or []:
                if node and node.get("id") in asked:
                    found[node["id"]] = node
            info = page.get("pageInfo") or {}
            after = info.get("endCursor") if info.get("hasNextPage") else None
            if after is None:
                break
    rest = [i for i in wanted if i not in found]
    for start in range(0, len(rest), NODES_PER_READ):
        chunk = rest[start:start + NODES_PER_READ]
        data = client.execute(nodes, {**extra, "ids": chunk})
        for gid, node in zip(chunk, data.get("nodes") or []):
            found[gid] = node if node and node.get("id") else None
    return {gid: found.get(gid) for gid in wanted}
