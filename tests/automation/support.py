"""Helpers of the automation tests: a store with automation on, signed
Cloudinary notifications, waiting for the store to follow."""
from __future__ import annotations

import hashlib
import json
import time
from typing import Any, Callable

from tests.support import bearer, connect
from tests.syncs.e2e_store import Product, Store

SKU_RULE = {"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append",
            "order_by": "sequence_number", "position": None, "filter": {"folder": None, "tags": []},
            "on_delete": "unlink"}


def automation_body(cld: Any, *, rules: list[dict[str, Any]] | None = None, secret: str | None = None,
                    **extra: Any) -> dict[str, Any]:
    return {"enabled": True, "cloudinary": {"api_key": cld.api_key, "api_secret": secret or cld.api_secret},
            "rules": rules if rules is not None else [SKU_RULE], "schedule": "daily", **extra}


def sign(body: bytes, timestamp: int | str, secret: str, algorithm: str = "sha1") -> str:
    """Cloudinary's notification signature, computed independently of the app."""
    return getattr(hashlib, algorithm)(body + str(timestamp).encode() + secret.encode()).hexdigest()


def notification(kind: str = "upload", **fields: Any) -> bytes:
    body = {"notification_type": kind, "timestamp": "2026-12-03T12:00:00+00:00", **fields}
    return json.dumps(body).encode()


class AutomatedStore(Store):
    """A Store (tests/syncs/e2e_store.py) with automation on for a local Cloudinary environment."""

    cld: Any
    automation: dict[str, Any]

    @classmethod
    def create(cls, app: Any, client: Any, sim: Any, sim_shop: Any, cld: Any, products: list[dict[str, Any]],
               plan: str = "standard", **automation: Any) -> "AutomatedStore":
        shop = sim_shop(products=products, plan=plan)
        fields = {f["external_id"] for f in cld.sim.control("GET", f"/_sim/environments/{cld.cloud_name}")
                  .get("fields", [])}
        if "sku" not in fields:
            cld.add_field("sku")
            cld.add_field("sequence_number", "integer")
        store = cls(client, sim, shop, connect(client, shop.domain, cloud_name=cld.cloud_name)["token"])
        store.cld = cld
        store.app = app
        response = client.put("/bridge/v1/automation", json=automation_body(cld, **automation),
                              headers=bearer(store.token))
        assert response.status_code == 200, response.get_data(as_text=True)
        store.automation = response.get_json()
        return store

    @property
    def path(self) -> str:
        from urllib.parse import urlsplit
        return urlsplit(self.automation["notification_url"]).path

    def notify(self, body: bytes, *, timestamp: int | None = None, secret: str | None = None,
               algorithm: str = "sha1", headers: dict[str, str] | None = None) -> Any:
        ts = int(time.time()) if timestamp is None else timestamp
        sent = {"X-Cld-Timestamp": str(ts), "X-Cld-Signature": sign(body, ts, secret or self.cld.api_secret,
                                                                      algorithm),
                "Content-Type": "application/json"}
        if headers is not None:
            sent = headers
        return self.client.post(self.path, data=body, headers=sent)

    def shopify_cost(self) -> int:
        """Cost points Shopify charged this store so far."""
        return sum(e.get("actualCost") or 0 for e in self.sim.control("GET", f"/_sim/shops/{self.domain}/requests"))

    def add_product(self, title: str, sku: str) -> str:
        """A product created in the store later (as the merchant would); its GID."""
        self.sim.control("POST", f"/_sim/shops/{self.domain}/products",
                         json={"products": [{"title": title, "variants": [{"sku": sku}]}]})
        return str(self.products()[title].data["id"])

    def product_webhook(self, topic: str, gid: str, title: str, skus: list[str]) -> Any:
        """Shopify's products/create or products/update delivery, signed with the app's secret."""
        import base64
        import hmac
        import uuid

        from tests.support import API_SECRET
        body = json.dumps({"id": int(gid.rsplit("/", 1)[1]), "admin_graphql_api_id": gid, "title": title,
                           "handle": title.lower().replace(" ", "-"), "tags": "", "vendor": "Acme",
                           "product_type": "", "variants": [{"sku": sku, "barcode": None} for sku in skus]}).encode()
        signature = base64.b64encode(hmac.new(API_SECRET.encode(), body, hashlib.sha256).digest()).decode()
        return self.client.post("/webhooks/products", data=body, headers={
            "Content-Type": "application/json", "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": self.domain,
            "X-Shopify-Webhook-Id": str(uuid.uuid4()), "X-Shopify-Hmac-Sha256": signature,
            "X-Shopify-API-Version": "2026-10"})

    def events(self, limit: int = 200) -> list[dict[str, Any]]:
        response = self.client.get(f"/bridge/v1/automation/events?limit={limit}", headers=bearer(self.token))
        assert response.status_code == 200, response.get_data(as_text=True)
        return list(response.get_json()["events"])

    def syncs(self) -> list[dict[str, Any]]:
        response = self.client.get("/bridge/v1/syncs?limit=100", headers=bearer(self.token))
        return list(response.get_json()["syncs"])

    def upload(self, public_id: str, sku: str | None, *, seq: int | None = None, **options: Any) -> dict[str, Any]:
        """An asset uploaded to the local Cloudinary with the automation's notification_url."""
        import cloudinary.uploader
        from tests.cloudinary_sim.support import image_bytes
        metadata = {k: v for k, v in (("sku", sku), ("sequence_number", seq)) if v is not None}
        return dict(cloudinary.uploader.upload(image_bytes(), public_id=public_id, metadata=metadata,
                                               notification_url=self.automation["notification_url"],
                                               **options, **self.cld.opts))


def wait_until(check: Callable[[], Any], timeout: float = 60.0, interval: float = 0.25, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what or check}: last {last!r}")


__all__ = ["AutomatedStore", "Product", "SKU_RULE", "automation_body", "notification", "sign", "wait_until"]
