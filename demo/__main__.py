"""The end-to-end demo: `bin/demo` (or `python -m demo`).

Starts the Shopify simulator, the local Cloudinary, the app, a worker and
the scheduler (which resumes a batch whose worker died); seeds a store; installs
the app the way Shopify's admin does; connects Cloudinary with the code from
the Settings page; links sample assets in every link mode; prints what
changed; turns automation on and shows the store following Cloudinary by
itself (an upload appears, a deletion disappears, a product created later
receives its images); then keeps running for a person to open the pages.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests
from cryptography.fernet import Fernet

from cloudinary_bridge.client import BridgeClient, BridgeError
from shopify_app.batch_status import BatchStatus

from .catalogue import PRODUCTS, SYNCS
from .processes import ProcessGroup, free_port, redis_available, wait_for_http

ROOT = Path(__file__).resolve().parent.parent
SHOP = "northwind-outfitters.myshopify.com"
CLIENT_ID = "assetlink-demo"


def say(text: str = "") -> None:
    print(text, flush=True)


def environment(args, sim_port: int, app_port: int, workdir: str, use_redis: bool,
                cloudinary_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "SHOPIFY_API_KEY": CLIENT_ID,
        "SHOPIFY_API_SECRET": secrets.token_hex(24),
        "APP_URL": f"http://127.0.0.1:{app_port}",
        "SECRET_KEY": secrets.token_hex(24),
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "DATABASE_URL": args.database_url or f"sqlite:///{workdir}/assetlink-demo.sqlite3",
        "REDIS_URL": args.redis_url,
        "REDIS_KEY_PREFIX": f"assetlink-demo-{secrets.token_hex(4)}",
        "SHOPIFY_SHOP_ORIGIN": f"http://127.0.0.1:{sim_port}/{{shop}}",
        # The local Cloudinary (python -m cloudinary_sim): automation's Admin and Search API calls go there.
        "CLOUDINARY_API_ORIGIN": f"http://127.0.0.1:{cloudinary_port}",
        "AUTOMATION_DEBOUNCE_SECONDS": "1",
        # Lets the completion webhook and other outbound calls reach loopback.
        "ASSETLINK_DEVELOPMENT": "1",
        "RQ_IS_ASYNC": "1" if use_redis else "0",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def run(args) -> int:
    workdir = args.workdir or tempfile.mkdtemp(prefix="assetlink-demo-")
    os.makedirs(workdir, exist_ok=True)
    sim_port, app_port = args.sim_port or free_port(), args.app_port or free_port()
    sim, app_url = f"http://127.0.0.1:{sim_port}", f"http://127.0.0.1:{app_port}"
    use_redis = redis_available(args.redis_url)
    cloudinary_port = free_port()
    cloudinary_origin = f"http://127.0.0.1:{cloudinary_port}"
    env = environment(args, sim_port, app_port, workdir, use_redis, cloudinary_port)
    group = ProcessGroup(workdir)
    try:
        say(f"AssetLink demo (logs and database in {workdir})")
        say("1. Database: applying migrations")
        import subprocess
        subprocess.run([sys.executable, "-m", "flask", "--app", "shopify_app", "db", "upgrade"], env=env,
                       check=True, cwd=ROOT, capture_output=True)

        say(f"2. Starting the Shopify simulator on {sim}, the local Cloudinary on {cloudinary_origin}, the app on "
            f"{app_url}" + (", an RQ worker and the scheduler" if use_redis else ""))
        # Shopify downloads every image it is given; the demo's Cloudinary
        # delivery host is a local stand-in serving generated images.
        delivery_port = free_port()
        group.start("delivery", ["-m", "shopify_sim.standin", "--port", str(delivery_port)], env)
        group.start("simulator", ["-m", "shopify_sim", "--port", str(sim_port), "--processing-delay", "0.5",
                                  "--webhook-retry-scale", "0.001",
                                  "--fetch-origin", f"https://res.cloudinary.com=http://127.0.0.1:{delivery_port}"],
                    env)
        group.start("cloudinary", ["-m", "cloudinary_sim", "--port", str(cloudinary_port),
                                   "--notification-retry-scale", "0.001"], env)
        group.start("app", ["-m", "flask", "--app", "shopify_app", "run", "--port", str(app_port),
                            "--no-reload"], env)
        if use_redis:
            group.start("worker", ["-m", "jobs.worker"], env)
            group.start("scheduler", ["-m", "jobs.scheduler"], env)
        else:
            say(f"   No Redis at {args.redis_url}: jobs run inside the app process instead of a worker.")
        wait_for_http(f"{sim}/_sim/webhooks", group)
        wait_for_http(f"http://127.0.0.1:{delivery_port}/", group)
        wait_for_http(f"{cloudinary_origin}/_sim/environments", group)
        wait_for_http(f"{app_url}/bridge/v1/openapi.json", group)

        say("3. Registering the app with the simulator (from shopify.app.toml) and creating the store")
        toml = (ROOT / "shopify.app.toml").read_text()
        _ok(requests.post(f"{sim}/_sim/apps", json={
            "toml": toml, "client_id": CLIENT_ID, "client_secret": env["SHOPIFY_API_SECRET"],
            "application_url": app_url, "redirect_urls": [f"{app_url}/auth/callback"]}, timeout=10))
        _ok(requests.post(f"{sim}/_sim/shops", json={
            "domain": SHOP, "name": "Northwind Outfitters", "plan": "standard", "products": PRODUCTS},
            timeout=30))

        say("4. Opening the app in the admin: Shopify-managed install, then token exchange")
        id_token = open_app(sim, app_url, "/settings")
        code = _ok(requests.get(f"{app_url}/app/api/connection",
                                headers={"Authorization": f"Bearer {id_token}"}, timeout=10))["code"]
        say(f"   Settings shows the connection code {code[:8]}… (copied it)")

        say("5. Connecting Cloudinary with that code (what the Setup tab does)")
        bridge = BridgeClient(app_url)
        connection = bridge.connect(code, cloud_name="demo", label="Demo environment")
        store = wait_for_store_details(bridge)
        say(f"   Connected to {store['name'] or 'the store'} ({store['domain']}, {store.get('currency')}),"
            f" connection {connection['connection_id'][:8]}…")
        bridge.put_settings({
            "default_transformation": "c_pad,w_1200,h_1200,b_white", "alt_text_source": "display_name",
            "filename_format": "public_id", "video_behavior": "placeholder", "asset_type_field": "asset_type",
            "sync_completed_webhook_url": None, "cache_busting": False})
        skus = sorted({a["metadata"]["sku"] for s in SYNCS for a in s["assets"]})
        preview = bridge.matches("sku", skus)
        say(f"   Match preview: {len(skus)} SKUs match {preview['matched_products']} products;"
            f" unmatched: {preview['unmatched'] or 'none'}")

        say("6. Linking assets, one sync per link mode")
        before = shop_state(sim)
        for spec in SYNCS:
            body = {"dry_run": False, "match": {"cloudinary_field": "sku", "shopify_field": "sku"},
                    "link_mode": spec["link_mode"], "position": spec.get("position"),
                    "order_by": "sequence_number", "settings": {}, "assets": spec["assets"]}
            sync = bridge.wait_for_sync(bridge.create_sync(body)["id"], timeout=args.timeout)
            progress = sync["progress"]
            say(f"   [{sync['status']}] {spec['title']}: {progress['assets_linked']} assets linked to "
                f"{progress['products_done']}/{progress['products_total']} products"
                + (f", errors: {sync['errors']}" if sync["errors"] else ""))
            if sync["status"] != BatchStatus.SUCCEEDED:
                raise RuntimeError(f"sync {sync['id']} ended {sync['status']}")

        say("7. Running the first sync again: nothing to do, so no write requests")
        mutations_before = count_mutations(sim)
        first = SYNCS[0]
        again = bridge.wait_for_sync(bridge.create_sync({
            "match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": first["link_mode"],
            "order_by": "sequence_number", "assets": first["assets"]})["id"], timeout=args.timeout)
        say(f"   [{again['status']}] write requests made: {count_mutations(sim) - mutations_before}")

        say("8. What changed in the store")
        after = shop_state(sim)
        print_changes(before, after)
        # For the demo's own test (and for a curious reader): the whole store.
        Path(workdir, "final-state.json").write_text(json.dumps(after, indent=1))
        say("9. Automation: Cloudinary changes reach the store by themselves")
        from .automation import AutomationDemo
        followed = AutomationDemo(say, sim=sim, shop=SHOP, cloudinary_origin=cloudinary_origin, bridge=bridge,
                                  app_url=app_url, shopify_secret=env["SHOPIFY_API_SECRET"],
                                  timeout=args.timeout).run()
        Path(workdir, "automation-state.json").write_text(json.dumps(followed, indent=1))
        say("10. Storefront previews: the Cloudinary gallery block over each product")
        from storefront_preview.demo_pages import write_previews
        for title, page, count in write_previews(sim, SHOP, CLIENT_ID, Path(workdir, "storefront")):
            say(f"   {title + ':':<16} {page.as_uri()}" + ("" if count else "  (no AssetLink assets)"))
        say()
        say("Open the app as the merchant would (each link opens it in the simulated admin):")
        say(f"   Settings:     {sim}/_sim/shops/{SHOP}/apps/{CLIENT_ID}/open?path=/settings")
        say(f"   Sync history: {sim}/_sim/shops/{SHOP}/apps/{CLIENT_ID}/open?path=/history")
        say(f"   Store state:  {sim}/_sim/shops/{SHOP}")
        say(f"   Bridge API:   {app_url}/bridge/v1/openapi.json")
        if args.exit:
            return 0
        say("Running; press Ctrl-C to stop.")
        while True:
            group.check()
            time.sleep(1)
    except KeyboardInterrupt:
        return 0
    finally:
        group.stop()


def open_app(sim: str, app_url: str, path: str) -> str:
    """Play the admin: get the signed first-load URL and load it in the app."""
    opened = requests.get(f"{sim}/_sim/shops/{SHOP}/apps/{CLIENT_ID}/open", params={"path": path},
                          allow_redirects=False, timeout=10)
    location = opened.headers["Location"]
    page = requests.get(location, timeout=30)
    if page.status_code != 200:
        raise RuntimeError(f"the app answered the first load with {page.status_code}")
    return parse_qs(urlsplit(location).query)["id_token"][0]


def wait_for_store_details(bridge: BridgeClient, timeout: float = 15) -> dict:
    """The install's follow-up job fills in the shop's name; give it a moment."""
    deadline = time.time() + timeout
    store = bridge.store()
    while not store.get("name") and time.time() < deadline:
        time.sleep(0.3)
        store = bridge.store()
    return store


def shop_state(sim: str) -> dict:
    return _ok(requests.get(f"{sim}/_sim/shops/{SHOP}", timeout=30))


def count_mutations(sim: str) -> int:
    log = shop_state(sim).get("request_log") or shop_state(sim).get("requests") or []
    return sum(1 for entry in log if entry.get("mutation") or entry.get("is_mutation"))


def print_changes(before: dict, after: dict) -> None:
    old = {p["handle"]: p for p in before["products"]}
    for product in after["products"]:
        was = [m.get("alt") or "" for m in old.get(product["handle"], {}).get("media", [])]
        now = [m.get("alt") or "" for m in product.get("media", [])]
        if was == now and not product.get("metafields"):
            continue
        say(f"   {product['title']}:")
        say(f"      before: {was or '(no media)'}")
        say(f"      after:  {now or '(no media)'}")


def _ok(response: requests.Response):
    if response.status_code >= 400:
        raise RuntimeError(f"{response.request.method} {response.url} → {response.status_code}: {response.text[:300]}")
    return response.json() if response.content else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bin/demo", description=__doc__.splitlines()[0])
    parser.add_argument("--exit", action="store_true", help="stop after the walk-through (CI)")
    parser.add_argument("--workdir", help="where logs and the SQLite database go (default: a new temp dir)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--sim-port", type=int, default=int(os.environ.get("SIM_PORT", 0)) or None)
    parser.add_argument("--app-port", type=int, default=int(os.environ.get("APP_PORT", 0)) or None)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for each sync")
    args = parser.parse_args(argv)
    try:
        return run(args)
    except (RuntimeError, BridgeError) as exc:
        say(f"demo failed: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
