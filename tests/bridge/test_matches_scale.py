"""1,000 SKUs matched in a 10,000-product catalogue: few searches, bounded cost.

Measured on the simulator's Standard plan (bucket 2,000 points, 100 points/s),
printed with -s and asserted as upper bounds.
"""
from __future__ import annotations

import time

from tests.support import bearer, connect

PRODUCTS = 10_000
VALUES = 1_000
MAX_REQUESTS = 6       # 1,000 SKUs pack into 5 OR-searches of <= 5,000 characters
# Measured 2026-11-22: 5 requests, actual cost 598 (requested 670), 1.2 s.
MAX_ACTUAL_COST = 1_000
MAX_SECONDS = 20


def test_1000_skus_in_10000_products(client, sim_shop, sim):
    shop = sim_shop(generate={"products": PRODUCTS, "seed": 7, "media_per_product": 0}, plan="standard")
    token = connect(client, shop.domain)["token"]
    # Every 10th product, half of them in another case and padded: all must match.
    wanted = [f"SKU-7-{n:05d}-1" for n in range(1, PRODUCTS + 1, PRODUCTS // VALUES)]
    values = [v if i % 2 else f"  {v.lower()} " for i, v in enumerate(wanted)]
    assert len(values) == VALUES
    sim.clear_requests(shop.domain)

    started = time.monotonic()
    response = client.post("/bridge/v1/matches", headers=bearer(token),
                           json={"shopify_field": "sku", "values": values})
    seconds = time.monotonic() - started

    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["unmatched"] == [] and body["matched_products"] == VALUES
    assert all(len(m["products"]) == 1 for m in body["matches"])
    log = [r for r in sim.requests(shop.domain) if "productVariants" in (r.get("rootFields") or [])]
    requests_made = len(log)
    actual = sum(r.get("actualCost") or 0 for r in log)
    requested = sum(r.get("requestedCost") or 0 for r in log)
    throttled = sum(1 for r in log if r.get("throttled"))
    print(f"\n/matches: {VALUES} SKUs in {PRODUCTS} products: {requests_made} Admin API requests, "
          f"actual cost {actual}, requested cost {requested}, throttled {throttled}, {seconds:.1f} s")
    assert requests_made <= MAX_REQUESTS
    assert actual <= MAX_ACTUAL_COST
    assert throttled == 0
    assert seconds <= MAX_SECONDS
