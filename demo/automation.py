"""The demo's automation walk-through: after the dialog-style syncs, the store
follows the local Cloudinary (python -m cloudinary_sim) by itself.

An asset uploaded with a SKU appears in its product's gallery, a deleted one
disappears, and a product created in the store later receives its images.
Notifications come from the local Cloudinary's triggers, signed as
Cloudinary signs them; the products/create webhook is delivered the way
Shopify delivers it (the Shopify simulator doesn't send product topics), signed
with the app's client secret.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import secrets
import time
import uuid
from typing import Any, Callable

import cloudinary.api
import cloudinary.uploader
import requests

from cloudinary_bridge.client import BridgeClient

CLOUD = "demo"
API_KEY = "614235761234567"
RULE = {"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append",
        "order_by": "sequence_number", "position": None, "filter": {"folder": None, "tags": []},
        "on_delete": "unlink"}


def image(color: str) -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (800, 800), color).save(out, "PNG")
    return out.getvalue()


class AutomationDemo:
    def __init__(self, say: Callable[[str], None], *, sim: str, shop: str, cloudinary_origin: str,
                 bridge: BridgeClient, app_url: str, shopify_secret: str, timeout: float) -> None:
        self.say, self.sim, self.shop, self.origin = say, sim, shop, cloudinary_origin
        self.bridge, self.app_url, self.shopify_secret, self.timeout = bridge, app_url, shopify_secret, timeout
        self.api_secret = secrets.token_hex(16)

    @property
    def opts(self) -> dict[str, Any]:
        return {"cloud_name": CLOUD, "api_key": API_KEY, "api_secret": self.api_secret, "upload_prefix": self.origin}

    # -- the store, as the simulator has it ---------------------------------------------------------

    def linked(self, handle: str) -> list[str]:
        state = requests.get(f"{self.sim}/_sim/shops/{self.shop}", timeout=30).json()
        product = next((p for p in state["products"] if p["handle"] == handle), None)
        if product is None:
            return []
        for m in state["metafields"]:
            if m["ownerId"] == product["id"] and (m["namespace"], m["key"]) == ("cloudinary", "productmedia_v1"):
                return [e["public_id"] for e in json.loads(m["value"])]
        return []

    def wait(self, what: str, check: Callable[[], bool]) -> float:
        started = time.monotonic()
        while not check():
            if time.monotonic() - started > self.timeout:
                raise RuntimeError(f"automation: timed out waiting until {what}")
            time.sleep(0.3)
        return time.monotonic() - started

    # -- the walk-through ----------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        say = self.say
        requests.post(f"{self.origin}/_sim/environments", json={
            "cloud_name": CLOUD, "api_key": API_KEY, "api_secret": self.api_secret}, timeout=10).raise_for_status()
        cloudinary.api.add_metadata_field({"external_id": "sku", "label": "SKU", "type": "string"}, **self.opts)
        cloudinary.api.add_metadata_field({"external_id": "sequence_number", "label": "Sequence",
                                           "type": "integer"}, **self.opts)
        automation = self.bridge.put_automation({
            "enabled": True, "cloudinary": {"api_key": API_KEY, "api_secret": self.api_secret},
            "rules": [RULE], "schedule": "daily", "register_triggers": True})
        say(f"   Automation is {automation['status']} for the Cloudinary environment '{CLOUD}' (the local "
            f"Cloudinary at {self.origin});\n   AssetLink registered Cloudinary triggers that notify "
            f"{automation['notification_url'][:60]}…")

        cloudinary.uploader.upload(image("navy"), public_id="shoes/trail-runner/back", display_name="back",
                                   metadata={"sku": "TR-BLK-10", "sequence_number": 4}, **self.opts)
        took = self.wait("the uploaded asset is linked",
                         lambda: "shoes/trail-runner/back" in self.linked("trail-runner"))
        say(f"   Uploaded shoes/trail-runner/back (SKU TR-BLK-10) to Cloudinary: in Trail Runner's gallery "
            f"by itself after {took:.1f} s")

        cloudinary.uploader.destroy("shoes/trail-runner/back", **self.opts)
        took = self.wait("the deleted asset is unlinked",
                         lambda: "shoes/trail-runner/back" not in self.linked("trail-runner"))
        say(f"   Deleted it in Cloudinary: gone from Trail Runner's gallery after {took:.1f} s")

        for n, color in ((1, "green"), (2, "olive")):
            cloudinary.uploader.upload(image(color), public_id=f"hats/trail-cap/{n}", display_name=f"cap {n}",
                                       metadata={"sku": "CAP-GRN", "sequence_number": n}, **self.opts)
        self.wait("the cap's uploads are taken up", self._settled)
        requests.post(f"{self.sim}/_sim/shops/{self.shop}/products", timeout=30, json={"products": [
            {"title": "Trail Cap", "handle": "trail-cap", "vendor": "Northwind", "product_type": "Hats",
             "variants": [{"sku": "CAP-GRN"}]}]}).raise_for_status()
        self.products_create("trail-cap")
        took = self.wait("the new product has its images",
                         lambda: self.linked("trail-cap") == ["hats/trail-cap/1", "hats/trail-cap/2"])
        say(f"   Created the product Trail Cap (SKU CAP-GRN) in the store: it received its 2 images from "
            f"Cloudinary after {took:.1f} s")
        # Its gallery is in place before the run has written its last metafield and finished.
        self.wait("the automation runs have finished", self._settled)
        runs = [s for s in self.bridge.list_syncs()["syncs"] if s.get("source") == "automation"]
        say("   Automation runs: " + ", ".join(f"{s['kind']} ({s['trigger']}) {s['status']}" for s in reversed(runs)))
        return {"trail-runner": self.linked("trail-runner"), "trail-cap": self.linked("trail-cap"),
                "runs": [{k: s[k] for k in ("kind", "trigger", "status", "source")} for s in runs],
                "events": self.bridge.automation_events(50)}

    def _settled(self) -> bool:
        events = self.bridge.automation_events(50)
        runs = [s for s in self.bridge.list_syncs()["syncs"] if s.get("source") == "automation"]
        return bool(events) and not any(e["pending"] for e in events) and all(
            s["status"] not in ("queued", "running") for s in runs)

    def products_create(self, handle: str) -> None:
        """Shopify's products/create delivery for the product just created."""
        state = requests.get(f"{self.sim}/_sim/shops/{self.shop}", timeout=30).json()
        product = next(p for p in state["products"] if p["handle"] == handle)
        body = json.dumps({"id": int(product["id"].rsplit("/", 1)[1]), "admin_graphql_api_id": product["id"],
                           "title": product["title"], "handle": handle, "vendor": product.get("vendor"),
                           "product_type": product.get("productType"), "tags": "",
                           "variants": [{"sku": v.get("sku"), "barcode": v.get("barcode")}
                                        for v in product["variants"]]}).encode()
        signature = base64.b64encode(hmac.new(self.shopify_secret.encode(), body, hashlib.sha256).digest()).decode()
        requests.post(f"{self.app_url}/webhooks/products", data=body, timeout=30, headers={
            "Content-Type": "application/json", "X-Shopify-Topic": "products/create",
            "X-Shopify-Shop-Domain": self.shop, "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-Hmac-Sha256": signature, "X-Shopify-API-Version": "2026-10"}).raise_for_status()
