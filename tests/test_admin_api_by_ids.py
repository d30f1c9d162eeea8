"""Reading by id through the search connection, nodes(ids:) only for the rest
(shopify_app/admin_api/by_ids.py)."""
from __future__ import annotations

from jobs.executor import read_product_states
from shopify_app.admin_api import queries
from shopify_app.admin_api.by_ids import MAX_SEARCH_CHARS, NODES_PER_READ, id_searches, read_by_ids
from tests.simulator_fixture import start_sim


def gids(n: int, start: int = 10_000_000_000_000) -> list[str]:
    return [f"gid://shopify/Product/{start + i}" for i in range(n)]


def test_searches_stay_within_250_terms_and_5000_characters():
    ids = gids(600)
    searches = list(id_searches(ids))
    assert [i for chunk, _ in searches for i in chunk] == ids
    for chunk, search in searches:
        assert len(chunk) <= 250 and len(search) <= MAX_SEARCH_CHARS
        assert search == " OR ".join(f"id:{g.rsplit('/', 1)[1]}" for g in chunk)


class FakeClient:
    """The search returns only `indexed`; nodes(ids:) knows `existing`."""

    def __init__(self, indexed, existing):
        self.indexed, self.existing = set(indexed), set(existing)
        self.calls = []

    def execute(self, document, variables=None, **kwargs):
        self.calls.append((document, dict(variables or {})))
        if "$ids" in document:
            return {"nodes": [{"id": i} if i in self.existing else None for i in variables["ids"]]}
        wanted = {f"gid://shopify/Product/{t.split(':')[1]}" for t in variables["query"].split(" OR ")}
        return {"products": {"nodes": [{"id": i} for i in sorted(wanted & self.indexed)],
                             "pageInfo": {"hasNextPage": False}}}


def test_what_the_search_misses_is_read_four_ids_at_a_time():
    ids = gids(12)
    client = FakeClient(indexed=ids[:3], existing=ids[:10])
    found = read_by_ids(client, ids, connection=queries.PRODUCT_STATES, root="products",
                        nodes=queries.PRODUCT_STATES_BY_IDS, variables={"mediaFirst": 20})
    assert list(found) == ids
    assert [gid for gid, node in found.items() if node] == ids[:10]
    searches = [v for d, v in client.calls if "$ids" not in d]
    reads = [v["ids"] for d, v in client.calls if "$ids" in d]
    assert len(searches) == 1 and searches[0]["first"] == 250 and searches[0]["mediaFirst"] == 20
    assert reads == [ids[3:7], ids[7:11], ids[11:12]] and all(len(r) <= NODES_PER_READ for r in reads)


def test_products_the_search_index_does_not_have_yet_are_still_read():
    # Shopify's search lags writes (a new product was findable only ~12 s
    # later in the captures); the simulator models it with SIM_SEARCH_LAG.
    sim = start_sim(domain="lag.myshopify.com", TESTING=True, SIM_SEARCH_LAG=60)
    try:
        sim.create_shop(products=[{"title": f"P{i}", "variants": [{"sku": f"S{i}"}],
                                   "media": [{"src": f"https://img.example.com/{i}.jpg"}]} for i in range(6)])
        ids = [p["id"] for p in sim.shop()["products"]]
        sim.clear_requests()
        states = read_product_states(sim.client(), ids + ["gid://shopify/Product/999999999"])
        assert [states[i].found for i in ids] == [True] * 6 and len(states[ids[0]].gallery) == 1
        assert not states["gid://shopify/Product/999999999"].found
        log = [(e["operationName"], e["requestedCost"]) for e in sim.requests()]
        assert [name for name, _ in log] == ["ProductStates", "ProductStatesByIds", "ProductStatesByIds"]
    finally:
        sim.stop()
