"""Is a 100,000-product store usable in the simulator? (not a test)

    .venv/bin/python bench/sim_large_store.py                 # 100,000 products x 3 variants x 1 image
    .venv/bin/python bench/sim_large_store.py --products 20000

Seeds the store through the control API (`generate`), then does what the app
does to a big store, through the app's own Admin API client: a match lookup
of 50 SKUs, reading 250 products' states, linking 1,000 images to 250 of them
(fileCreate into a library that already holds one file per product, status
polls, fileUpdate references, metafieldsSet), and paging through the whole
catalogue 250 products at a time. For each it prints the wall time and the
simulator's own time per request (the request log's durationMs), which must
follow the size of the answer, not of the store. Plus plan (restore 1,000/s),
so the leaky bucket does not dominate the figures.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests
from link_benchmark import DOMAIN, run_sync, start_simulator

from jobs.executor import ExecutorOptions, MemoryJournal, read_product_states
from shopify_app.admin_api.client import AdminApiClient

PAGE = ("query Page($after: String) { products(first: 250, after: $after) { nodes { id } "
        "pageInfo { hasNextPage endCursor } } }")
BY_SKU = ("query BySku($q: String!) { products(first: 50, query: $q) { nodes { id "
          "variants(first: 10) { nodes { id sku } } } } }")


def server_ms(base: str, operation: str) -> list[float]:
    log = requests.get(f"{base}/_sim/shops/{DOMAIN}/requests", timeout=600).json()
    return [e["durationMs"] for e in log if e.get("operationName") == operation and e.get("durationMs") is not None]


def line(label: str, wall: float, ms: list[float]) -> None:
    extra = (f"   simulator per request: mean {statistics.mean(ms):.1f} ms, max {max(ms):.1f} ms, n={len(ms)}"
             if ms else "")
    print(f"{label:<44} {wall:7.2f} s{extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=100_000)
    args = parser.parse_args()
    import logging
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app, server, base, _ = start_simulator(0.5, 0.3)
    try:
        started = time.monotonic()
        response = requests.post(f"{base}/_sim/shops", json={
            "domain": DOMAIN, "plan": "plus",
            "generate": {"products": args.products, "variants_per_product": 3, "media_per_product": 1}}, timeout=900)
        response.raise_for_status()
        print(f"{args.products} products x 3 variants x 1 image, Plus plan")
        line("seed (control API generate)", time.monotonic() - started, [])
        token = app.extensions["sim_state"].issue_token(DOMAIN, "assetlink", [
            "read_products", "write_products", "read_files", "write_files"], expiring=False).token
        client = AdminApiClient(DOMAIN, origin=f"{base}/{DOMAIN}", token_provider=lambda: token)
        client.execute("query Warm { shop { id } }")  # loads the schema once

        started = time.monotonic()
        skus = " OR ".join(f"sku:SKU-1-{n:05d}-2" for n in range(1, 51))
        found = client.execute(BY_SKU, {"q": skus})["products"]["nodes"]
        line(f"match 50 SKUs ({len(found)} products found)", time.monotonic() - started, server_ms(base, "BySku"))

        started = time.monotonic()
        ids, after, pages = [], None, 0
        while True:
            page = client.execute(PAGE, {"after": after})["products"]
            ids.extend(n["id"] for n in page["nodes"])
            pages += 1
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert len(ids) == args.products, len(ids)
        line(f"page the whole catalogue ({pages} pages)", time.monotonic() - started, server_ms(base, "Page"))

        chosen = ids[:: max(1, len(ids) // 250)][:250]
        started = time.monotonic()
        read_product_states(client, chosen, journal=MemoryJournal())
        line("read 250 products' states", time.monotonic() - started, server_ms(base, "ProductStates"))

        state = [{"id": pid, "title": pid, "variants": [{"id": pid.replace("Product", "ProductVariant"),
                                                          "sku": f"LINK-{n}"}]} for n, pid in enumerate(chosen)]
        figures = run_sync(client, state, 4, "append", 250, MemoryJournal(), ExecutorOptions(), base)
        log = requests.get(f"{base}/_sim/shops/{DOMAIN}/requests", timeout=600).json()
        line(f"link 1,000 images to 250 products ({figures['images_linked']} linked, "
             f"{figures['products_failed']} failed)", figures["wall_s"], [e["durationMs"] for e in log])
        for op in ("FileCreate", "FileStatus", "FileUpdate"):
            ms = [e["durationMs"] for e in log if (e.get("operationName") or "").startswith(op)]
            if ms:
                print(f"  {op:<42} simulator per request: mean {statistics.mean(ms):.1f} ms, max {max(ms):.1f} ms")
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
