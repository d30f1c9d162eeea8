"""Benchmark what a merchant gets: the whole path, default configuration, no tuning flags (not a test).

    .venv/bin/python bench/merchant_path.py                          # 250 products x 4 images, Standard
    .venv/bin/python bench/merchant_path.py --products 10000         # 40 syncs of 1,000 assets, back to back
    .venv/bin/python bench/merchant_path.py --plan plus              # Advanced / Plus rate limits
    .venv/bin/python bench/merchant_path.py --plan unlimited --profile worker.txt   # the app alone

Processes, as in production: the Shopify simulator (bench/sim_server.py, real
time: files take --processing-delay to process, and every image is downloaded
over HTTP from the stand-in delivery host, `shopify_sim.standin`, that
SIM_FETCH_ORIGINS puts in place of res.cloudinary.com), the app (`flask run`, the
bridge), one worker (`python -m jobs.worker`), PostgreSQL (a database of the
run's own, dropped afterwards) and Redis (a key prefix of its own). The store
is installed the way Shopify's admin does it and Cloudinary is connected with
the Settings page's code. Then the Cloudinary side's calls: one
`POST /bridge/v1/syncs` per 1,000 assets (the contract's limit), all queued
back to back, matched by SKU, appended (--mode); and the identical syncs again.

Reported per run, from the simulator's request log (deterministic: the same
on any machine) and from the clock (noisy on a busy machine): requests, the
actual cost Shopify charged (matching included), points per image, wall time
from the first POST to the last sync finished, products per minute, THROTTLED
answers, and the rate-limit floor: (cost - bucket) / restore rate, the least
time Shopify's leaky bucket allows for that cost (a full bucket is spent at
once; the rest arrives at the restore rate). Peak RSS of the worker (its
largest process, work horses included) comes from the kernel's accounting
when the worker exits. With --profile, py-spy samples the worker and its
work horses (wall clock, idle included) and the report says where the time
went.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import sqlalchemy as sa
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cloudinary_bridge.client import BridgeClient  # noqa: E402
from demo.processes import ProcessGroup, free_port, wait_for_http  # noqa: E402
from shopify_sim.throttle import PLANS  # noqa: E402

SHOP = "bench-store.myshopify.com"
CLIENT_ID = "assetlink-bench"
MAX_ASSETS_PER_SYNC = 1000   # the contract's per-request limit
UNLIMITED = {"maximumAvailable": 1e12, "restoreRate": 1e12}
UNLIMITED_AS = "enterprise"
ADMIN_DB_URL = os.environ.get("BENCH_DATABASE_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def say(text: str = "") -> None:
    print(text, flush=True)


# -- setting up ------------------------------------------------------------------------------------
def make_database(name: str) -> str:
    admin = sa.create_engine(ADMIN_DB_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.engine.make_url(ADMIN_DB_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(name: str) -> None:
    admin = sa.create_engine(ADMIN_DB_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def environment(database_url: str, redis_url: str, sim_port: int, app_port: int) -> dict[str, str]:
    """The app's and worker's settings: only what a deployment must set;
    every tuning setting keeps its default."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOPIFY_", "SYNC_", "UPLOAD_", "SIM_"))}
    env.update({
        "SHOPIFY_API_KEY": CLIENT_ID, "SHOPIFY_API_SECRET": secrets.token_hex(24),
        "APP_URL": f"http://127.0.0.1:{app_port}", "SECRET_KEY": secrets.token_hex(24),
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(), "DATABASE_URL": database_url,
        "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": f"assetlink-bench-{secrets.token_hex(4)}",
        "SHOPIFY_SHOP_ORIGIN": f"http://127.0.0.1:{sim_port}/{{shop}}",
        "ASSETLINK_DEVELOPMENT": "1", "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "WARNING",
    })
    return env


def products_spec(count: int, merchant_media: int) -> list[dict[str, Any]]:
    return [{"title": f"Product {i:05d}", "variants": [{"sku": f"SKU-{i:05d}"}],
             "media": [{"src": f"https://img.example.com/p{i}-{m}.jpg", "alt": f"p{i} {m}"}
                       for m in range(merchant_media)]} for i in range(count)]


def assets(count: int, per_product: int) -> list[dict[str, Any]]:
    return [{"public_id": f"catalog/sku-{i:05d}_{n}", "resource_type": "image", "type": "upload", "format": "jpg",
             "version": 1711111111, "display_name": f"Product {i:05d} {n}",
             "metadata": {"sku": f"SKU-{i:05d}", "sequence_number": n}}
            for i in range(count) for n in range(per_product)]


def install(sim: str, app_url: str, secret: str, products: list[dict[str, Any]], plan: str,
            shop: str = SHOP) -> BridgeClient:
    """Register the app, create the store, open the app from the admin
    (managed install, token exchange), connect Cloudinary with the code.
    (bench/fairness.py installs many stores with it.)"""
    toml = (ROOT / "shopify.app.toml").read_text()
    _ok(requests.post(f"{sim}/_sim/apps", json={
        "toml": toml, "client_id": CLIENT_ID, "client_secret": secret, "application_url": app_url,
        "redirect_urls": [f"{app_url}/auth/callback"]}, timeout=30))
    _ok(requests.post(f"{sim}/_sim/shops", json={"domain": shop, "name": "Bench Store", "plan": plan,
                                                  "products": products}, timeout=1800))
    opened = requests.get(f"{sim}/_sim/shops/{shop}/apps/{CLIENT_ID}/open", params={"path": "/settings"},
                          allow_redirects=False, timeout=30)
    location = opened.headers["Location"]
    if requests.get(location, timeout=60).status_code != 200:
        raise RuntimeError("the app did not load")
    id_token = parse_qs(urlsplit(location).query)["id_token"][0]
    code = _ok(requests.get(f"{app_url}/app/api/connection", headers={"Authorization": f"Bearer {id_token}"},
                            timeout=30))["code"]
    bridge = BridgeClient(app_url, timeout=120)
    bridge.connect(code, cloud_name="bench-cloud")
    # The install's follow-up job (shop details, metafield definitions) is
    # done before the runs are measured.
    deadline = time.time() + 120
    while not bridge.store().get("name") and time.time() < deadline:
        time.sleep(0.3)
    seen, quiet_since = -1, time.time()
    while time.time() - quiet_since < 1.5 and time.time() < deadline:
        count = len(_ok(requests.get(f"{sim}/_sim/shops/{shop}/requests", timeout=60)))
        if count != seen:
            seen, quiet_since = count, time.time()
        time.sleep(0.3)
    return bridge


def _ok(response: requests.Response) -> Any:
    if response.status_code >= 400:
        raise RuntimeError(f"{response.request.method} {response.url}: {response.status_code} {response.text[:300]}")
    return response.json() if response.content else None


# -- one run: syncs queued back to back --------------------------------------------------------------
def run_syncs(bridge: BridgeClient, sim: str, items: list[dict[str, Any]], timeout: float,
              limits: dict[str, float], mode: str = "append") -> dict[str, Any]:
    # The floor assumes a full bucket at the start: give it time to refill
    # after what ran before (the install, or the previous run).
    log = _ok(requests.get(f"{sim}/_sim/shops/{SHOP}/requests", timeout=600))
    if log:
        refill = limits["maximumAvailable"] / limits["restoreRate"] - (time.time() - log[-1]["at"])
        time.sleep(max(0.0, min(refill, 60.0)))
    _ok(requests.post(f"{sim}/_sim/shops/{SHOP}/requests/clear", timeout=60))
    started = time.monotonic()
    ids = []
    for start in range(0, len(items), MAX_ASSETS_PER_SYNC):
        body = {"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": mode,
                "order_by": "sequence_number", "assets": items[start:start + MAX_ASSETS_PER_SYNC]}
        ids.append(bridge.create_sync(body)["id"])
    syncs = [bridge.wait_for_sync(sync_id, timeout=timeout, interval=0.2) for sync_id in ids]
    wall = time.monotonic() - started
    log = _ok(requests.get(f"{sim}/_sim/shops/{SHOP}/requests", timeout=600))
    return {"wall_s": wall, "syncs": syncs, "log": log}


def figures(run: dict[str, Any], products: int, images: int, limits: dict[str, float]) -> dict[str, Any]:
    log = run["log"]
    cost = sum(e.get("actualCost") or 0 for e in log)
    by_op: Counter[str] = Counter()
    cost_by_op: Counter[str] = Counter()
    for entry in log:
        name = (entry.get("operationName") or "?").rstrip("0123456789").removesuffix("x")
        by_op[name] += 1
        cost_by_op[name] += entry.get("actualCost") or 0
    statuses = Counter(s["status"] for s in run["syncs"])
    linked = sum(s["progress"]["assets_linked"] for s in run["syncs"])
    bucket, rate = limits["maximumAvailable"], limits["restoreRate"]
    floor = max(0.0, cost - bucket) / rate
    return {
        "wall_s": round(run["wall_s"], 2), "requests": len(log), "writes": sum(1 for e in log if e.get("mutation")),
        "actual_cost": cost, "points_per_image": round(cost / images, 3),
        "points_per_product": round(cost / products, 3), "products_per_min": round(products / run["wall_s"] * 60),
        "throttled": sum(1 for e in log if e.get("throttled")),
        "simulator_s": round(sum(e.get("durationMs") or 0 for e in log) / 1000, 2),
        "floor_s": round(floor, 1), "vs_floor": round(run["wall_s"] / floor, 3) if floor else None,
        "assets_linked": linked, "sync_statuses": dict(statuses), "requests_by_operation": dict(by_op),
        "cost_by_operation": dict(cost_by_op), "log_complete": len(log) < 5000,
    }


def report(label: str, f: dict[str, Any]) -> None:
    say(f"\n== {label}")
    say(f"syncs                {f['sync_statuses']}   assets linked: {f['assets_linked']}")
    say(f"requests             {f['requests']} ({f['writes']} writes)   THROTTLED answers: {f['throttled']}"
        + ("" if f["log_complete"] else "   (simulator log truncated at 5,000: counts are a floor)"))
    say(f"actual cost          {f['actual_cost']} points = {f['points_per_image']} per image,"
        f" {f['points_per_product']} per product")
    say(f"  by operation       {json.dumps(f['cost_by_operation'], sort_keys=True)}")
    say(f"  requests           {json.dumps(f['requests_by_operation'], sort_keys=True)}")
    say(f"wall                 {f['wall_s']} s = {f['products_per_min']} products/min"
        f"   (time inside the simulator: {f['simulator_s']} s)")
    if f["vs_floor"] is not None:
        say(f"rate-limit floor     {f['floor_s']} s; wall / floor = {f['vs_floor']}x")
    else:
        say("rate-limit floor     none (the cost fits in one bucket)")


# -- the worker: peak memory and a profile ------------------------------------------------------------
def stop_worker(worker: subprocess.Popen) -> dict[str, float]:
    """Warm shutdown, then the kernel's account of the worker and every work
    horse it reaped: ru_maxrss is the largest of their peak RSS."""
    worker.send_signal(signal.SIGTERM)
    _, status, usage = os.wait4(worker.pid, 0)
    worker.returncode = os.waitstatus_to_exitcode(status)
    return {"peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1)}


def start_profiler(pid: int, out: str) -> subprocess.Popen:
    return subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid),
                             "--subprocesses", "--idle", "--rate", "50", "--format", "raw", "--output", out],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


WHERE = (  # (what, where a sampled stack is when it is doing that), first match wins
    ("waiting on Shopify (HTTP to the simulator)", ("requests/sessions.py", "urllib3/")),
    ("sleeping (pacing, processing waits)", ("time.sleep", "_wait (shopify_app/admin_api/client.py")),
    ("database (SQLAlchemy, psycopg)", ("sqlalchemy/", "psycopg/")),
    ("planning (jobs/planner)", ("jobs/planner/",)),
    ("executor and job code", ("jobs/",)),
    ("RQ and Redis", ("rq/", "redis/")),
)


def summarize_profile(path: str) -> list[tuple[str, float]]:
    """py-spy's raw output (folded stacks and counts): the share of samples
    of the work horses (stacks through `perform_job`) per activity."""
    counts: Counter[str] = Counter()
    total = 0
    for line in Path(path).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if "perform_job" not in stack or not count.isdigit():
            continue
        total += int(count)
        frames = stack.split(";")
        what = next((label for label, marks in WHERE for frame in reversed(frames) if any(m in frame for m in marks)),
                    "other")
        counts[what] += int(count)
    return [(what, round(100 * n / total, 1)) for what, n in counts.most_common()] if total else []


# -- main ---------------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=250)
    parser.add_argument("--images", type=int, default=4, help="images per product")
    parser.add_argument("--merchant-media", type=int, default=0, help="media each product has already")
    parser.add_argument("--mode", default="append", choices=["append", "prepend", "overwrite", "reset"],
                        help="the syncs' link_mode (what the Cloudinary side asks for)")
    parser.add_argument("--plan", default="standard", choices=[*PLANS, "unlimited"])
    parser.add_argument("--processing-delay", type=float, default=0.5, help="seconds Shopify takes to process a file")
    parser.add_argument("--no-repeat", action="store_true", help="skip the identical second run")
    parser.add_argument("--profile", help="py-spy the worker during the first run; raw samples to this file")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                        help="an app setting for the app and worker (tuning: not the default configuration; "
                             "for experiments only, never in the README's figures)")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="assetlink-bench-")
    database = f"assetlink_bench_{secrets.token_hex(4)}"
    sim_port, app_port = free_port(), free_port()
    sim, app_url = f"http://127.0.0.1:{sim_port}", f"http://127.0.0.1:{app_port}"
    env = environment(make_database(database), args.redis_url, sim_port, app_port)
    env.update(setting.split("=", 1) for setting in args.setting)
    group = ProcessGroup(workdir)
    limits = UNLIMITED if args.plan == "unlimited" else PLANS[args.plan]
    images = args.products * args.images
    results: dict[str, Any] = {"products": args.products, "images": images, "plan": args.plan, "mode": args.mode,
                               "merchant_media": args.merchant_media,
                               "processing_delay": args.processing_delay, "limits": limits,
                               "settings": args.setting}
    try:
        subprocess.run([sys.executable, "-m", "flask", "--app", "shopify_app", "db", "upgrade"], env=env, cwd=ROOT,
                       check=True, capture_output=True)
        # Shopify downloads every image it is given: Cloudinary's delivery
        # host is the simulator's stand-in, serving generated images (as the
        # demo does).
        delivery_port = free_port()
        group.start("delivery", ["-m", "shopify_sim.standin", "--port", str(delivery_port)], env)
        # The simulator's shops take only Shopify's plan names: for "unlimited"
        # the enterprise plan's bucket is replaced by one that never runs dry.
        sim_config = {"SIM_PROCESSING_DELAY": args.processing_delay, "SIM_PLANS": {UNLIMITED_AS: UNLIMITED},
                      "SIM_FETCH_ORIGINS": {"https://res.cloudinary.com": f"http://127.0.0.1:{delivery_port}"}}
        group.start("simulator", [str(ROOT / "bench" / "sim_server.py"), "--port", str(sim_port),
                                  "--config", json.dumps(sim_config)], env)
        group.start("app", ["-m", "flask", "--app", "shopify_app", "run", "--port", str(app_port), "--no-reload"],
                    env)
        worker = group.start("worker", ["-m", "jobs.worker"], env)
        wait_for_http(f"{sim}/_sim/webhooks", group)
        wait_for_http(f"http://127.0.0.1:{delivery_port}/", group)
        wait_for_http(f"{app_url}/bridge/v1/openapi.json", group)
        say(f"{args.products} products x {args.images} images = {images} images, {args.mode}, "
            f"{args.merchant_media} merchant media each, {args.plan} plan (bucket {limits['maximumAvailable']:.0f}, "
            f"restore {limits['restoreRate']:.0f}/s), files processed in {args.processing_delay} s; "
            f"logs in {workdir}" + (f"; NOT the default configuration: {args.setting}" if args.setting else ""))
        bridge = install(sim, app_url, env["SHOPIFY_API_SECRET"], products_spec(args.products, args.merchant_media),
                         UNLIMITED_AS if args.plan == "unlimited" else args.plan)
        items = assets(args.products, args.images)
        profiler = start_profiler(worker.pid, args.profile) if args.profile else None
        first = run_syncs(bridge, sim, items, args.timeout, limits, args.mode)
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(120)
        results["first"] = figures(first, args.products, images, limits)
        report("first run", results["first"])
        if not args.no_repeat:
            again = run_syncs(bridge, sim, items, args.timeout, limits, args.mode)
            results["repeat"] = figures(again, args.products, images, limits)
            report("the same syncs again", results["repeat"])
        results["worker"] = stop_worker(worker)
        say(f"\nworker               peak RSS {results['worker']['peak_rss_mb']} MB (largest of the worker and its "
            f"work horses), CPU {results['worker']['cpu_s']} s")
        if args.profile:
            results["profile"] = summarize_profile(args.profile)
            say("where the work horses' time went (py-spy, wall clock):")
            for what, share in results["profile"]:
                say(f"  {share:5.1f}%  {what}")
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
        return 0
    finally:
        group.stop()
        drop_database(database)
        forget_redis_keys(args.redis_url, env["REDIS_KEY_PREFIX"])


def forget_redis_keys(url: str, prefix: str) -> None:
    """The run's queues and their registries (RQ names them after the queue)."""
    import redis
    connection = redis.Redis.from_url(url)
    for pattern in (f"{prefix}*", f"rq:*{prefix}*"):
        for key in connection.scan_iter(match=pattern, count=1000):
            connection.delete(key)


if __name__ == "__main__":
    sys.exit(main())
