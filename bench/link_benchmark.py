"""EXECUTOR ONLY: benchmark the Link to Products executor alone on a simulated store (not a test).

This is not what a merchant gets: it skips the bridge, the job, the worker
process, matching and the database. bench/merchant_path.py measures the whole
path; this one isolates the executor's requests and cost.

    .venv/bin/python bench/link_benchmark.py                       # 250 products x 4 images
    .venv/bin/python bench/link_benchmark.py --products 10000      # 10,000 x 4 = 40,000 images
    .venv/bin/python bench/link_benchmark.py --merchant-media 2 --mode prepend [--reattach]

Runs the simulator over HTTP in a thread (Standard plan: bucket 2,000 points,
restore 100/s), reads the products' states through the app's Admin API
client, plans with the planner and executes, in batches of --batch products
(one execute() call each, as the sync job would). Then runs the identical sync
again. For each run it reports wall time, requests, the actual cost Shopify
charged, points per linked image, products per minute, THROTTLED answers, and
pacing against the floor the rate limit allows: floor = max(0, total cost -
bucket size) / restore rate (a full bucket is spent at once; the rest arrives
at the restore rate), pacing = wall / floor.

Product matching (the bridge's MATCH_* queries) is not part of the figures:
the planner gets the matches directly.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests
from werkzeug.serving import make_server

from jobs.executor import ExecutorOptions, MemoryJournal, execute, read_product_states
from jobs.planner import ProductMatch, Settings, SyncRequest, plan_sync
from shopify_app.admin_api.client import AdminApiClient
from shopify_sim import create_app, standin
from shopify_sim.throttle import PLANS

DOMAIN = "bench.myshopify.com"
CLOUD = "bench-cloud"


def start_delivery() -> str:
    """A local stand-in for res.cloudinary.com (shopify_sim.standin): the
    simulator downloads every source, as Shopify does, and reaches only
    the origins SIM_FETCH_ORIGINS maps."""
    server = standin.make_server()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def start_simulator(processing_delay: float, job_delay: float) -> tuple[Any, Any, str, threading.Thread]:
    app = create_app({"SIM_PROCESSING_DELAY": processing_delay, "SIM_JOB_DELAY": job_delay,
                      "SIM_WEBHOOK_THREAD": False,
                      "SIM_FETCH_ORIGINS": {"https://res.cloudinary.com": start_delivery()}})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["SIM_BASE_URL"] = base
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return app, server, base, thread


def seed(base: str, products: int, merchant_media: int, plan: str) -> list[dict]:
    specs = [{"title": f"Product {i:05d}", "variants": [{"sku": f"SKU-{i:05d}"}],
              "media": [{"src": f"https://img.example.com/p{i}-{m}.jpg", "alt": f"p{i} {m}"}
                        for m in range(merchant_media)]} for i in range(products)]
    response = requests.post(f"{base}/_sim/shops", json={"domain": DOMAIN, "plan": plan, "products": specs},
                             timeout=600)
    response.raise_for_status()
    state = requests.get(f"{base}/_sim/shops/{DOMAIN}", timeout=600).json()
    return state["products"]


def assets_for(products: list[dict], per_product: int) -> list[dict]:
    return [{"public_id": f"catalog/{p['variants'][0]['sku'].lower()}_{n}", "resource_type": "image",
             "type": "upload", "format": "jpg", "version": 1711111111, "display_name": f"{p['title']} {n}",
             "metadata": {"sku": p["variants"][0]["sku"], "sequence_number": n}}
            for p in products for n in range(per_product)]


def run_sync(client: AdminApiClient, products: list[dict], per_product: int, mode: str, batch: int,
             journal: MemoryJournal, options: ExecutorOptions, base: str) -> dict[str, Any]:
    requests.post(f"{base}/_sim/shops/{DOMAIN}/requests/clear", timeout=60)
    before = (client.stats.requests, client.stats.actual_cost, client.stats.throttled,
              dict(client.stats.by_operation))
    started = time.monotonic()
    linked = failed = changed = 0
    for start in range(0, len(products), batch):
        chunk = products[start:start + batch]
        matches = {p["variants"][0]["sku"]: [ProductMatch(p["id"], p["title"], p["variants"][0]["id"])]
                   for p in chunk}
        request = _request(chunk, per_product, mode)
        states = read_product_states(client, [p["id"] for p in chunk], journal=journal)
        plan = plan_sync(request, Settings(), CLOUD, 1_800_000_000, matches, states)
        results = execute(client, plan.products, states=states, journal=journal, options=options)
        for result in results:
            linked += result.assets_linked if result.status != "unchanged" else 0
            failed += result.status in ("failed", "partially_succeeded")
            changed += result.status != "unchanged"
    wall = time.monotonic() - started
    by_op = {k: v - before[3].get(k, 0) for k, v in client.stats.by_operation.items() if v - before[3].get(k, 0)}
    log = requests.get(f"{base}/_sim/shops/{DOMAIN}/requests", timeout=600).json()
    cost_by_op: dict[str, float] = {}
    server_s = sum(entry.get("durationMs") or 0 for entry in log) / 1000
    for entry in log:
        name = re.sub(r"x\d+$", "", entry.get("operationName") or "?")  # aliased batches
        cost_by_op[name] = cost_by_op.get(name, 0) + (entry.get("actualCost") or 0)
    return {"wall_s": wall, "requests": client.stats.requests - before[0],
            "cost_by_operation": cost_by_op if len(log) < 5000 else "log truncated",
            "server_s": server_s if len(log) < 5000 else None,
            "actual_cost": client.stats.actual_cost - before[1], "throttled": client.stats.throttled - before[2],
            "images_linked": linked, "products_changed": changed, "products_failed": failed,
            "requests_by_operation": by_op}


def _request(products: list[dict], per_product: int, mode: str) -> SyncRequest:
    """The sync request for one batch. The contract caps a request at 1,000
    assets; a bigger batch stands for several requests' worth, so the assets
    are validated one by one and the cap is not applied."""
    from jobs.planner.request import Asset, Match
    from jobs.planner.settings import SettingsOverride
    return SyncRequest.model_construct(
        dry_run=False, match=Match(cloudinary_field="sku", shopify_field="sku"), link_mode=mode, position=None,
        order_by="sequence_number", settings=SettingsOverride(), variant_images=False, excluded_groups=[],
        assets=[Asset.model_validate(a) for a in assets_for(products, per_product)])


def report(label: str, figures: dict[str, Any], products: int, images: int, bucket: float, rate: float) -> None:
    cost = figures["actual_cost"]
    floor = max(0.0, cost - bucket) / rate
    simple_floor = cost / rate
    print(f"\n== EXECUTOR ONLY (no bridge, job, worker, matching or database): {label}")
    server = figures.get("server_s")
    print(f"wall time            {figures['wall_s']:.1f} s"
          + (f"   (of which the simulator computing answers: {server:.1f} s)" if server is not None else ""))
    print(f"requests             {figures['requests']}   by operation: {json.dumps(figures['requests_by_operation'])}")
    print(f"actual cost          {cost:.0f} points   by operation: {json.dumps(figures['cost_by_operation'])}")
    print(f"points / image       {cost / images:.3f}   (images linked this run: {figures['images_linked']})")
    print(f"products / minute    {products / figures['wall_s'] * 60:.0f}")
    print(f"THROTTLED answers    {figures['throttled']}   products failed: {figures['products_failed']}")
    print(f"pacing vs floor      wall / (cost / restore) = {figures['wall_s']:.1f} / {simple_floor:.1f} s"
          f" = {figures['wall_s'] / simple_floor if simple_floor else float('inf'):.2f}x;"
          f"  floor after the bucket (cost - {bucket:.0f}) / {rate:.0f} = {floor:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=250)
    parser.add_argument("--images", type=int, default=4, help="images per product")
    parser.add_argument("--merchant-media", type=int, default=0, help="media each product has already")
    parser.add_argument("--mode", default="append")
    parser.add_argument("--batch", type=int, default=250, help="products per execute() call")
    parser.add_argument("--plan", default="standard")
    parser.add_argument("--processing-delay", type=float, default=0.5, help="simulated seconds to process a file")
    parser.add_argument("--job-delay", type=float, default=0.3)
    parser.add_argument("--reattach", action="store_true",
                        help="ExecutorOptions.move_by_reattaching (order galleries without productReorderMedia)")
    args = parser.parse_args()
    import logging
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    app, server, base, thread = start_simulator(args.processing_delay, args.job_delay)
    try:
        products = seed(base, args.products, args.merchant_media, args.plan)
        token = app.extensions["sim_state"].issue_token(DOMAIN, "assetlink", [
            "read_products", "write_products", "read_files", "write_files"], expiring=False).token
        client = AdminApiClient(DOMAIN, origin=f"{base}/{DOMAIN}", token_provider=lambda: token)
        journal = MemoryJournal()
        options = ExecutorOptions(move_by_reattaching=args.reattach)
        limits = PLANS[args.plan]
        images = args.products * args.images
        print(f"{args.products} products x {args.images} images = {images} images, mode {args.mode}, "
              f"{args.merchant_media} merchant media each, {args.plan} plan "
              f"(bucket {limits['maximumAvailable']:.0f}, restore {limits['restoreRate']:.0f}/s), "
              f"batch {args.batch} products, processing delay {args.processing_delay}s"
              + (", move_by_reattaching" if args.reattach else ""))
        first = run_sync(client, products, args.images, args.mode, args.batch, journal, options, base)
        report("first run", first, args.products, images, limits["maximumAvailable"], limits["restoreRate"])
        second = run_sync(client, products, args.images, args.mode, args.batch, journal, options, base)
        report("identical repeat run", second, args.products, images, limits["maximumAvailable"],
               limits["restoreRate"])
        writes = {k: v for k, v in second["requests_by_operation"].items() if not k.startswith(("ProductStates",))}
        print(f"\nrepeat run requests other than reads: {writes or 'none'}")
    finally:
        server.shutdown()
        thread.join(5)


if __name__ == "__main__":
    main()
