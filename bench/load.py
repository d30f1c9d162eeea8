"""Load: the web process under concurrent requests, as deployed (not a test).

    .venv/bin/python bench/load.py                    # 4 endpoints x 1, 4, 16, 64 users; 500 requests each
    .venv/bin/python bench/load.py --requests 2000 --users 8 32 --json bench/results/load.json
    .venv/bin/python bench/load.py --endpoints store sync --requests 200

gunicorn with the production settings (`gunicorn.conf.py`: sync workers,
WEB_CONCURRENCY or 2 x CPUs + 1 of them, preloaded app, JSON access lines at
LOG_LEVEL INFO), bound to loopback only, in front of PostgreSQL and Redis;
bench/merchant_path.py's pieces set up the rest: the Shopify simulator with one
installed store (--products products, on the plan --plan, "unlimited" by
default so that the app is what is measured, not the store's bucket) connected
to Cloudinary, and one worker that runs one finished sync for `GET
/syncs/{id}` to read. Then locust (bench/load_locustfile.py, headless, every
user sending back to back) sends exactly --requests requests to one endpoint
at each --users level and stops by itself:

    store       GET  /bridge/v1/store           the bridge token, the store row
    matches     POST /bridge/v1/matches         --values SKUs (one of them unknown), a Shopify search each
    sync        GET  /bridge/v1/syncs/{id}      a finished sync's status
    connection  GET  /app/api/connection        the admin's Settings data, a fresh session token per minute

Reported per endpoint and level: requests/s, p50/p99 latency (locust's,
milliseconds), failures (any non-2xx answer or transport error) and the 5xx
answers the app's access log shows. Locust runs on the same 2 CPUs as
gunicorn, PostgreSQL, Redis and the simulator, and the load average during
each run is recorded beside it.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fairness import LoadSampler  # noqa: E402
from bench.merchant_path import (  # noqa: E402
    CLIENT_ID,
    SHOP,
    UNLIMITED,
    UNLIMITED_AS,
    assets,
    drop_database,
    environment,
    forget_redis_keys,
    install,
    make_database,
    products_spec,
    say,
)
from demo.processes import ProcessGroup, free_port, wait_for_http  # noqa: E402
from shopify_sim.throttle import PLANS  # noqa: E402

ENDPOINTS = ("store", "matches", "sync", "connection")
LOCUSTFILE = ROOT / "bench" / "load_locustfile.py"


def start_web(group: ProcessGroup, env: dict[str, str], port: int) -> None:
    """The Procfile's web command, bound to loopback only (the command line
    wins over gunicorn.conf.py's bind)."""
    web_env = {**env, "LOG_LEVEL": "INFO", "PORT": str(port)}
    group.start("web", ["-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py"),
                        "--bind", f"127.0.0.1:{port}", "shopify_app:create_app()"], web_env)


def run_locust(app_url: str, endpoint: str, users: int, requests_total: int, target: dict[str, str],
               workdir: str, time_limit: int) -> dict[str, Any]:
    result_file = os.path.join(workdir, f"locust-{endpoint}-{users}.json")
    env = {**os.environ, **target, "LOAD_ENDPOINT": endpoint, "LOAD_REQUESTS": str(requests_total),
           "LOAD_RESULT_FILE": result_file}
    command = [str(Path(sys.executable).with_name("locust")), "-f", str(LOCUSTFILE), "--headless",
               "-u", str(users), "-r", str(users), "--host", app_url, "--only-summary",
               "--run-time", f"{time_limit}s", "--loglevel", "WARNING"]
    started = time.monotonic()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=time_limit + 120)
    elapsed = time.monotonic() - started
    if not os.path.exists(result_file):
        raise RuntimeError(f"locust wrote no figures (exit {done.returncode}): {done.stderr[-2000:]}")
    figures = json.loads(Path(result_file).read_text())
    if not figures["requests"]:
        raise RuntimeError(f"locust sent nothing (exit {done.returncode}): {done.stderr[-2000:]}")
    return {
        "endpoint": endpoint, "users": users, "requests": figures["requests"], "failures": figures["failures"],
        "failure_kinds": figures["failure_kinds"], "requests_per_s": round(figures["requests_per_s"], 1),
        "p50_ms": _number(figures["p50_ms"]), "p99_ms": _number(figures["p99_ms"]),
        "max_ms": _number(figures["max_ms"]), "locust_s": round(elapsed, 1), "locust_exit": done.returncode,
    }


def _number(value: Any) -> float | None:
    try:
        return round(float(value), 1)
    except (TypeError, ValueError):
        return None


def access_statuses(log_path: str) -> Counter[int]:
    """The statuses of the web process's JSON access lines so far."""
    statuses: Counter[int] = Counter()
    for line in Path(log_path).read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        http = entry.get("http") if isinstance(entry, dict) and entry.get("logger") == "shopify_app.access" else None
        if isinstance(http, dict) and isinstance(http.get("status"), int):
            statuses[http["status"]] += 1
    return statuses


def error_lines(log_path: str) -> list[str]:
    lines = []
    for line in Path(log_path).read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            if "Traceback" in line:
                lines.append(line[:300])
            continue
        if isinstance(entry, dict) and entry.get("level") in ("ERROR", "CRITICAL"):
            lines.append(str(entry.get("message"))[:300])
    return lines


def prepare(group: ProcessGroup, args: argparse.Namespace, env: dict[str, str], sim: str, app_url: str
            ) -> dict[str, str]:
    """Install the store, connect Cloudinary, run one sync to completion;
    what the locust users need."""
    plan = UNLIMITED_AS if args.plan == "unlimited" else args.plan
    bridge = install(sim, app_url, env["SHOPIFY_API_SECRET"], products_spec(args.products, 0), plan)
    items = assets(min(args.products, 50), 2)
    sync = bridge.create_sync({"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append",
                               "order_by": "sequence_number", "assets": items})
    finished = bridge.wait_for_sync(sync["id"], timeout=300, interval=0.3)
    values = [f"SKU-{i:05d}" for i in range(min(args.values - 1, args.products))] + ["SKU-NOT-IN-STORE"]
    return {"LOAD_BRIDGE_TOKEN": bridge.token or "", "LOAD_SYNC_ID": finished["id"], "LOAD_SHOP": SHOP,
            "LOAD_CLIENT_ID": CLIENT_ID, "LOAD_CLIENT_SECRET": env["SHOPIFY_API_SECRET"],
            "LOAD_MATCH_VALUES": json.dumps(values)}


def report_row(r: dict[str, Any]) -> None:
    say(f"{r['endpoint']:<11} {r['users']:>5} users  {r['requests']:>6} requests  {r['requests_per_s']:>7} req/s"
        f"  p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  failures {r['failures']}  5xx {r['server_errors']}"
        f"  load {r['load_average']['mean']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoints", nargs="+", default=list(ENDPOINTS), choices=ENDPOINTS)
    parser.add_argument("--users", type=int, nargs="+", default=[1, 4, 16, 64], help="concurrency levels")
    parser.add_argument("--requests", type=int, default=500, help="requests per endpoint and level")
    parser.add_argument("--products", type=int, default=1000, help="products in the store")
    parser.add_argument("--values", type=int, default=20, help="SKUs per POST /matches")
    parser.add_argument("--plan", default="unlimited", choices=[*PLANS, "unlimited"])
    parser.add_argument("--time-limit", type=int, default=300, help="seconds a locust run may take at most")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = parser.parse_args(argv)

    workdir = tempfile.mkdtemp(prefix="assetlink-load-")
    database = f"assetlink_load_{secrets.token_hex(4)}"
    sim_port, app_port, delivery_port = free_port(), free_port(), free_port()
    sim, app_url = f"http://127.0.0.1:{sim_port}", f"http://127.0.0.1:{app_port}"
    env = environment(make_database(database), args.redis_url, sim_port, app_port)
    group = ProcessGroup(workdir)
    results: dict[str, Any] = {"cpus": os.cpu_count(), "plan": args.plan, "products": args.products,
                               "values_per_match": args.values, "requests_per_run": args.requests,
                               "web_concurrency": int(os.environ.get("WEB_CONCURRENCY", (os.cpu_count() or 1) * 2 + 1)),
                               "runs": []}
    try:
        subprocess.run([sys.executable, "-m", "flask", "--app", "shopify_app", "db", "upgrade"], env=env, cwd=ROOT,
                       check=True, capture_output=True)
        group.start("delivery", ["-m", "shopify_sim.standin", "--port", str(delivery_port)], env)
        sim_config = {"SIM_PROCESSING_DELAY": 0.5, "SIM_PLANS": {UNLIMITED_AS: UNLIMITED},
                      "SIM_FETCH_ORIGINS": {"https://res.cloudinary.com": f"http://127.0.0.1:{delivery_port}"}}
        group.start("simulator", [str(ROOT / "bench" / "sim_server.py"), "--port", str(sim_port),
                                  "--config", json.dumps(sim_config)], env)
        start_web(group, env, app_port)
        group.start("worker", ["-m", "jobs.worker"], env)
        wait_for_http(f"{sim}/_sim/webhooks", group)
        wait_for_http(f"http://127.0.0.1:{delivery_port}/", group)
        wait_for_http(f"{app_url}/healthz", group, timeout=60)
        target = prepare(group, args, env, sim, app_url)
        web_log = os.path.join(workdir, "web.log")
        say(f"gunicorn (gunicorn.conf.py, {results['web_concurrency']} sync workers) on {app_url}; {args.requests}"
            f" requests per run; {os.cpu_count()} CPUs, load average now {os.getloadavg()[0]:.2f}; logs in {workdir}")
        for endpoint in args.endpoints:
            for users in args.users:
                before = access_statuses(web_log)
                with LoadSampler() as load:
                    run = run_locust(app_url, endpoint, users, args.requests, target, workdir, args.time_limit)
                after = access_statuses(web_log) - before
                group.check()
                run.update(statuses={str(k): v for k, v in sorted(after.items())},
                           server_errors=sum(v for k, v in after.items() if k >= 500), load_average=load.figures())
                results["runs"].append(run)
                report_row(run)
        results["error_log_lines"] = error_lines(web_log)[:20]
        if results["error_log_lines"]:
            say("errors the web process logged:\n  " + "\n  ".join(results["error_log_lines"]))
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
        return 0 if all(r["failures"] == 0 and r["server_errors"] == 0 for r in results["runs"]) else 1
    finally:
        group.stop()
        drop_database(database)
        forget_redis_keys(args.redis_url, env["REDIS_KEY_PREFIX"])


if __name__ == "__main__":
    sys.exit(main())
