"""Many stores at once: is every store served, fairly, and does it scale with workers? (not a test)

    .venv/bin/python bench/fairness.py                                   # 50 stores x 100 products, 2 then 4 workers
    .venv/bin/python bench/fairness.py --stores 10 --products 20 --workers 1 2
    .venv/bin/python bench/fairness.py --json bench/results/fairness-50x100.json

The merchant's path with bench/merchant_path.py's pieces (the same processes,
settings and install): the Shopify simulator in real time (files take
--processing-delay to process, images are downloaded from the stand-in
delivery host), the app (`flask run`, the bridge), PostgreSQL (a database of
the run's own) and Redis (a key prefix of its own), and --workers real
`python -m jobs.worker` processes, default configuration. For each worker
count everything starts afresh: --stores stores are installed (each with
--products products) and then, all at the same moment, every store's Cloudinary
side posts --syncs-per-store `POST /bridge/v1/syncs` back to back (its products
split between them, --images assets per product, matched by SKU, appended).

Reported per worker count, from the batches' own timestamps (created_at,
started_at, finished_at of `GET /bridge/v1/syncs/{id}`) and the simulator's
request log:
- every sync finished (its status) and how many products it linked;
- start delay: how long each store's first sync waited in the queue (accepted
  -> running), and each later one after its predecessor ended;
- queue wait: how long each sync's job waited in RQ's queue (enqueued -> a
  worker started it);
- overtakes: a sync whose job was enqueued more than --tolerance seconds before
  another store's, yet started more than --tolerance seconds after it (RQ's
  timestamps; without them, the batch's: ready = accepted or the store's
  previous sync ended). A fair queue has none: no store's work waits behind
  work that arrived after it;
- order: each store's syncs started and finished in the order they were posted,
  each starting only after the previous one ended;
- total wall time (first POST to last sync finished) against two lower bounds:
  the work-conserving bound (the sum of the syncs' run times / workers) and the
  per-store bound (the longest store's syncs run one after another, so no worker
  count makes the total shorter; Shopify's per-store rate-limit floor, (cost -
  bucket) / restore rate, is part of it);
- the machine's load (1-minute load average, sampled every second), since the
  2-CPU machine these figures come from is shared.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import redis
import requests
import sqlalchemy as sa
from rq.exceptions import NoSuchJobError
from rq.job import Job

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.merchant_path import (  # noqa: E402
    UNLIMITED,
    UNLIMITED_AS,
    _ok,
    assets,
    drop_database,
    environment,
    forget_redis_keys,
    install,
    make_database,
    products_spec,
    say,
    stop_worker,
)
from cloudinary_bridge.client import BridgeClient  # noqa: E402
from demo.processes import ProcessGroup, free_port, wait_for_http  # noqa: E402
from shopify_app.batch_status import FINISHED, UNFINISHED  # noqa: E402
from shopify_sim.throttle import PLANS  # noqa: E402

INSTALLS_AT_ONCE = 8


def shop_domain(index: int) -> str:
    return f"fair-{index:03d}.myshopify.com"


# -- the processes -----------------------------------------------------------------------------------
class Deployment:
    """The simulator, its delivery stand-in, the app and `workers` worker
    processes on a fresh database and Redis prefix; stopped and cleaned up
    by close()."""

    def __init__(self, workers: int, args: argparse.Namespace) -> None:
        self.workdir = tempfile.mkdtemp(prefix="assetlink-fairness-")
        self.database = f"assetlink_fair_{secrets.token_hex(4)}"
        self.redis_url = args.redis_url
        sim_port, app_port, delivery_port = free_port(), free_port(), free_port()
        self.sim, self.app_url = f"http://127.0.0.1:{sim_port}", f"http://127.0.0.1:{app_port}"
        self.database_url = make_database(self.database)
        self.env = environment(self.database_url, args.redis_url, sim_port, app_port)
        self.group = ProcessGroup(self.workdir)
        self.workers: list[Any] = []
        try:
            subprocess.run([sys.executable, "-m", "flask", "--app", "shopify_app", "db", "upgrade"], env=self.env,
                           cwd=ROOT, check=True, capture_output=True)
            self.group.start("delivery", ["-m", "shopify_sim.standin", "--port", str(delivery_port)], self.env)
            sim_config = {"SIM_PROCESSING_DELAY": args.processing_delay, "SIM_PLANS": {UNLIMITED_AS: UNLIMITED},
                          "SIM_FETCH_ORIGINS": {"https://res.cloudinary.com": f"http://127.0.0.1:{delivery_port}"}}
            self.group.start("simulator", [str(ROOT / "bench" / "fairness_sim.py"), "--port", str(sim_port),
                                           "--latency", str(args.shopify_latency), "--config", json.dumps(sim_config)],
                             self.env)
            self.group.start("app", ["-m", "flask", "--app", "shopify_app", "run", "--port", str(app_port),
                                     "--no-reload"], self.env)
            self.workers = [self.group.start(f"worker-{n}", ["-m", "jobs.worker"], self.env) for n in range(workers)]
            wait_for_http(f"{self.sim}/_sim/webhooks", self.group)
            wait_for_http(f"http://127.0.0.1:{delivery_port}/", self.group)
            wait_for_http(f"{self.app_url}/bridge/v1/openapi.json", self.group)
        except BaseException:
            self.close()
            raise

    def stop_workers(self) -> list[dict[str, float]]:
        return [stop_worker(worker) for worker in self.workers if worker.poll() is None]

    def close(self) -> None:
        self.group.stop()
        drop_database(self.database)
        forget_redis_keys(self.redis_url, self.env["REDIS_KEY_PREFIX"])


# -- the run -----------------------------------------------------------------------------------------
def sync_bodies(products: int, images: int, syncs: int) -> list[dict[str, Any]]:
    """A store's products split into `syncs` consecutive parts, one sync each."""
    items = assets(products, images)
    size = -(-products // syncs)
    return [{"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append",
             "order_by": "sequence_number", "assets": items[start * images:(start + size) * images]}
            for start in range(0, products, size)]


def post_all_at_once(bridges: dict[str, BridgeClient], bodies: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Every store's Cloudinary side posts its syncs back to back, all stores
    starting at the same moment (a barrier); the sync ids per store."""
    barrier = threading.Barrier(len(bridges))

    def post(bridge: BridgeClient) -> list[str]:
        barrier.wait()
        return [bridge.create_sync(body)["id"] for body in bodies]

    with ThreadPoolExecutor(max_workers=len(bridges)) as pool:
        futures = {shop: pool.submit(post, bridge) for shop, bridge in bridges.items()}
        return {shop: future.result() for shop, future in futures.items()}


def wait_until_finished(database_url: str, timeout: float) -> int:
    """Watch the batches table (cheaper on a 2-CPU machine than polling every
    sync over HTTP; the results are read through the bridge afterwards); the
    most PostgreSQL connections the app and workers held at once meanwhile."""
    engine = sa.create_engine(database_url)
    unfinished = sa.text("SELECT count(*) FROM syncs WHERE kind = 'sync' AND status = ANY(:statuses)")
    # Every connection to the run's database but this watcher's own.
    connections = sa.text("SELECT count(*) - 1 FROM pg_stat_activity WHERE datname = current_database()")
    deadline, peak = time.monotonic() + timeout, 0
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                peak = max(peak, conn.execute(connections).scalar() or 0)
                if not conn.execute(unfinished, {"statuses": [s.value for s in UNFINISHED]}).scalar():
                    return peak
            time.sleep(0.5)
        return peak
    finally:
        engine.dispose()


def add_queue_times(syncs: dict[str, list[dict[str, Any]]], redis_url: str) -> None:
    """When each sync's job joined the queue and when a worker started it
    (RQ's own timestamps, job `sync-<id>`: the first hand-over): the queue's
    order, without the time between a batch's row and its enqueue, or between
    a work horse's start and the batch's."""
    connection = redis.Redis.from_url(redis_url)
    try:
        for sequence in syncs.values():
            for sync in sequence:
                try:
                    job = Job.fetch(f"sync-{sync['id']}", connection=connection)
                except NoSuchJobError:
                    continue
                if job.enqueued_at and job.started_at:
                    sync["queue"] = {"enqueued_at": _utc(job.enqueued_at), "started_at": _utc(job.started_at)}
    finally:
        connection.close()


def _utc(moment: datetime) -> float:
    # RQ stores naive UTC datetimes.
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


class LoadSampler:
    """The machine's 1-minute load average, once a second, in a thread."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> "LoadSampler":
        self.samples.append(os.getloadavg()[0])
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()

    def figures(self) -> dict[str, float]:
        return {"mean": round(statistics.fmean(self.samples), 2), "max": round(max(self.samples), 2)}


def run_once(workers: int, args: argparse.Namespace, limits: dict[str, float]) -> dict[str, Any]:
    deployment = Deployment(workers, args)
    try:
        plan = UNLIMITED_AS if args.plan == "unlimited" else args.plan
        shops = [shop_domain(i) for i in range(args.stores)]
        catalog = products_spec(args.products, 0)
        installed_at = time.monotonic()
        with ThreadPoolExecutor(max_workers=INSTALLS_AT_ONCE) as pool:
            clients = list(pool.map(lambda shop: install(deployment.sim, deployment.app_url,
                                                         deployment.env["SHOPIFY_API_SECRET"], catalog, plan, shop),
                                    shops))
        bridges = dict(zip(shops, clients))
        say(f"  {len(shops)} stores installed in {time.monotonic() - installed_at:.0f} s")
        for shop in shops:
            _ok(requests.post(f"{deployment.sim}/_sim/shops/{shop}/requests/clear", timeout=60))
        bodies = sync_bodies(args.products, args.images, args.syncs_per_store)
        with LoadSampler() as load:
            started = time.time()
            ids = post_all_at_once(bridges, bodies)
            peak_connections = wait_until_finished(deployment.database_url, args.timeout)
            ended = time.time()
        syncs = {shop: [bridges[shop].get_sync(sync_id) for sync_id in ids[shop]] for shop in shops}
        add_queue_times(syncs, args.redis_url)
        logs = {shop: _ok(requests.get(f"{deployment.sim}/_sim/shops/{shop}/requests", timeout=600))
                for shop in shops}
        worker_usage = deployment.stop_workers()
    finally:
        deployment.close()
    result = figures(syncs, logs, limits, workers=workers, tolerance=args.tolerance)
    result.update(posted_to_done_s=round(ended - started, 2), load_average=load.figures(),
                  peak_database_connections=peak_connections,
                  worker_cpu_s=round(sum(u["cpu_s"] for u in worker_usage), 1),
                  worker_peak_rss_mb=max((u["peak_rss_mb"] for u in worker_usage), default=None))
    return result


# -- the figures (pure) ------------------------------------------------------------------------------
def _at(value: str | None) -> float | None:
    return datetime.fromisoformat(value).timestamp() if value else None


def timeline(syncs: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One row per sync: its store, place in the store's sequence, when it
    became ready to run (accepted, or the store's previous sync ended),
    started and finished."""
    rows = []
    for shop, sequence in syncs.items():
        previous_end: float | None = None
        for place, sync in enumerate(sequence):
            created, started, finished = (_at(sync.get(k)) for k in ("created_at", "started_at", "finished_at"))
            ready = created if previous_end is None or created is None else max(created, previous_end)
            queue = sync.get("queue") or {}
            rows.append({"shop": shop, "place": place, "status": sync["status"], "created": created,
                         "ready": ready, "started": started, "finished": finished,
                         "enqueued": queue.get("enqueued_at"), "dequeued": queue.get("started_at"),
                         "linked": sync["progress"]["assets_linked"]})
            previous_end = finished
    return rows


def overtakes(rows: list[dict[str, Any]], tolerance: float) -> int:
    """Syncs that another store's later-ready sync started ahead of: by the
    queue's own times where every row has them (when the job was enqueued and
    a worker started it), else by the batch's (ready, started)."""
    ran = [r for r in rows if r["ready"] is not None and r["started"] is not None]
    queued = all(r.get("enqueued") is not None and r.get("dequeued") is not None for r in ran)
    ready, start = ("enqueued", "dequeued") if queued else ("ready", "started")
    return sum(1 for a in ran if any(
        b["shop"] != a["shop"] and b[ready] > a[ready] + tolerance and b[start] < a[start] - tolerance
        for b in ran))


def order_held(sequence: list[dict[str, Any]]) -> bool:
    """The store's syncs ran one at a time in the order they were posted."""
    for before, after in zip(sequence, sequence[1:]):
        if None in (before["finished"], after["started"], after["finished"]):
            return False
        if not (before["created"] <= after["created"] and before["finished"] <= after["started"]):
            return False
    return True


def _spread(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    return {"median": round(statistics.median(ordered), 2),
            "p90": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 2),
            "max": round(ordered[-1], 2)}


def figures(syncs: dict[str, list[dict[str, Any]]], logs: dict[str, list[dict[str, Any]]],
            limits: dict[str, float], *, workers: int, tolerance: float) -> dict[str, Any]:
    rows = timeline(syncs)
    by_shop: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_shop.setdefault(row["shop"], []).append(row)
    done = [r for r in rows if r["started"] is not None and r["finished"] is not None]
    run_times = [r["finished"] - r["started"] for r in done]
    first_posted = min(r["created"] for r in rows if r["created"] is not None)
    last_finished = max((r["finished"] for r in done), default=first_posted)
    store_serial = {shop: sum(r["finished"] - r["started"] for r in seq if r in done) for shop, seq in by_shop.items()}
    cost = {shop: sum(e.get("actualCost") or 0 for e in log) for shop, log in logs.items()}
    bucket, rate = limits["maximumAvailable"], limits["restoreRate"]
    wall = last_finished - first_posted
    return {
        "workers": workers, "stores": len(by_shop), "syncs": len(rows),
        "statuses": {s: sum(1 for r in rows if r["status"] == s) for s in sorted({r["status"] for r in rows})},
        "all_finished": all(r["status"] in {s.value for s in FINISHED} for r in rows),
        "all_succeeded": all(r["status"] == "succeeded" for r in rows),
        "assets_linked": sum(r["linked"] for r in rows),
        "wall_s": round(wall, 2),
        "start_delay_first_s": _spread([r["started"] - r["ready"] for r in done if r["place"] == 0]),
        "start_delay_later_s": _spread([r["started"] - r["ready"] for r in done if r["place"] > 0]),
        "store_done_s": _spread([max(r["finished"] for r in seq) - first_posted
                                 for seq in by_shop.values() if all(r in done for r in seq)]),
        "sync_run_s": _spread(run_times),
        "queue_wait_s": _spread([r["dequeued"] - r["enqueued"] for r in done
                                 if r.get("enqueued") is not None and r.get("dequeued") is not None]),
        "overtakes_measured_by": "queue" if done and all(r.get("enqueued") is not None for r in done) else "batch",
        "overtakes": overtakes(rows, tolerance), "tolerance_s": tolerance,
        "order_held_stores": sum(1 for seq in by_shop.values() if order_held(seq)),
        "work_conserving_bound_s": round(sum(run_times) / workers, 2),
        "per_store_bound_s": round(max(store_serial.values(), default=0.0), 2),
        "rate_limit_floor_s": round(max((max(0.0, c - bucket) / rate for c in cost.values()), default=0.0), 2),
        "cost_per_store": round(statistics.fmean(cost.values()), 1) if cost else 0,
        "requests": sum(len(log) for log in logs.values()),
        "throttled": sum(1 for log in logs.values() for e in log if e.get("throttled")),
        "stores_per_worker_hour": round(len(by_shop) / wall * 3600 / workers) if wall > 0 else None,
        "timeline": [{k: (round(v - first_posted, 3) if isinstance(v, float) else v) for k, v in r.items()}
                     for r in sorted(rows, key=lambda r: (r["ready"] or 0.0))],
    }


def report(f: dict[str, Any]) -> None:
    say(f"== {f['workers']} worker processes: {f['stores']} stores, {f['syncs']} syncs")
    say(f"syncs                {f['statuses']}   all finished: {f['all_finished']}   assets linked:"
        f" {f['assets_linked']}")
    say(f"wall                 {f['wall_s']} s (first POST to last sync finished)   bounds: work-conserving"
        f" {f['work_conserving_bound_s']} s, per store {f['per_store_bound_s']} s (rate-limit floor"
        f" {f['rate_limit_floor_s']} s)")
    say(f"sync run time        {f['sync_run_s']}")
    say(f"start delay, first   {f['start_delay_first_s']}")
    say(f"start delay, later   {f['start_delay_later_s']}  (after the store's previous sync ended)")
    say(f"store done after     {f['store_done_s']}")
    say(f"queue wait           {f['queue_wait_s']}  (RQ: enqueued -> a worker started the job)")
    say(f"overtakes            {f['overtakes']} (by the {f['overtakes_measured_by']}'s times, tolerance"
        f" {f['tolerance_s']} s)   order held in"
        f" {f['order_held_stores']}/{f['stores']} stores")
    say(f"Shopify              {f['requests']} requests, {f['cost_per_store']} points per store,"
        f" THROTTLED {f['throttled']}")
    say(f"PostgreSQL           at most {f['peak_database_connections']} connections of the app and workers at once")
    say(f"machine              load average {f['load_average']} on {os.cpu_count()} CPUs;"
        f" workers' CPU {f['worker_cpu_s']} s, peak RSS {f['worker_peak_rss_mb']} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=50)
    parser.add_argument("--products", type=int, default=100, help="products per store")
    parser.add_argument("--images", type=int, default=2, help="assets per product")
    parser.add_argument("--syncs-per-store", type=int, default=2, help="syncs each store posts back to back")
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4], help="worker process counts to run")
    parser.add_argument("--plan", default="standard", choices=[*PLANS, "unlimited"])
    parser.add_argument("--processing-delay", type=float, default=0.5, help="seconds Shopify takes to process a file")
    parser.add_argument("--shopify-latency", type=float, default=0.0,
                        help="seconds each Admin API request takes on the way (bench/fairness_sim.py)")
    parser.add_argument("--tolerance", type=float, default=0.25,
                        help="seconds of ready/start difference not counted as an overtake")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args(argv)

    limits = UNLIMITED if args.plan == "unlimited" else PLANS[args.plan]
    results: dict[str, Any] = {
        "stores": args.stores, "products_per_store": args.products, "images_per_product": args.images,
        "syncs_per_store": args.syncs_per_store, "plan": args.plan, "limits": limits,
        "processing_delay": args.processing_delay, "shopify_latency": args.shopify_latency,
        "cpus": os.cpu_count(), "runs": []}
    say(f"{args.stores} stores x {args.products} products x {args.images} images, {args.syncs_per_store} syncs per"
        f" store, {args.plan} plan, files processed in {args.processing_delay} s, Admin API latency"
        f" {args.shopify_latency} s; {os.cpu_count()} CPUs, load"
        f" average now {os.getloadavg()[0]:.2f}")
    for workers in args.workers:
        say(f"\n-- {workers} worker processes")
        result = run_once(workers, args, limits)
        results["runs"].append(result)
        report(result)
    runs = results["runs"]
    if len(runs) > 1:
        results["speedup"] = {f"{r['workers']}_vs_{runs[0]['workers']}": round(runs[0]["wall_s"] / r["wall_s"], 2)
                              for r in runs[1:] if r["wall_s"] > 0}
        say(f"\nspeed-up             {results['speedup']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return 0 if all(r["all_finished"] and r["overtakes"] == 0 and r["order_held_stores"] == r["stores"]
                    for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
