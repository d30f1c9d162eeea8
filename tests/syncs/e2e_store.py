"""A simulator store connected to the bridge, as the Cloudinary dialog sees
it, for the end-to-end sync tests (their fixtures `make_store` and `work` are
in conftest.py)."""
from __future__ import annotations

import json
from typing import Any

from tests.support import bearer

SKU = {"cloudinary_field": "sku", "shopify_field": "sku"}
VERSION = 1711111111


def asset(public_id: str, *, resource_type: str = "image", fmt: str = "jpg", version: int = VERSION,
          tags: list[str] | None = None, **metadata: Any) -> dict[str, Any]:
    return {"public_id": public_id, "resource_type": resource_type, "type": "upload", "format": fmt,
            "version": version, "display_name": public_id, "tags": tags or [], "context": {}, "metadata": metadata}


class Store:
    """One simulator store connected to the bridge, as the Cloudinary dialog sees it."""

    def __init__(self, client: Any, sim: Any, shop: Any, token: str) -> None:
        self.client, self.sim, self.shop, self.token = client, sim, shop, token
        self.domain = shop.domain

    def post(self, assets: list[dict[str, Any]], *, match: dict[str, str] = SKU, link_mode: str = "append",
             **body: Any) -> str:
        data = {"dry_run": False, "match": match, "link_mode": link_mode, "assets": assets, **body}
        response = self.client.post("/bridge/v1/syncs", json=data, headers=bearer(self.token))
        assert response.status_code == 202, response.get_data(as_text=True)
        return response.get_json()["id"]

    def status(self, sync_id: str) -> dict[str, Any]:
        response = self.client.get(f"/bridge/v1/syncs/{sync_id}", headers=bearer(self.token))
        assert response.status_code == 200
        return response.get_json()

    def report(self, sync_id: str) -> list[dict[str, Any]]:
        response = self.client.get(f"/bridge/v1/syncs/{sync_id}/report", headers=bearer(self.token))
        assert response.status_code == 200
        return response.get_json()

    def succeeded(self, sync_id: str) -> dict[str, Any]:
        status = self.status(sync_id)
        assert status["status"] == "succeeded", status
        return status

    def state(self) -> dict[str, Any]:
        """The whole simulated store, from the simulator's control API."""
        return self.sim.control("GET", f"/_sim/shops/{self.domain}")

    def products(self) -> dict[str, "Product"]:
        state = self.state()
        docs = {m["ownerId"]: json.loads(m["value"]) for m in state["metafields"]
                if (m["namespace"], m["key"]) == ("cloudinary", "productmedia_v1")}
        return {p["title"]: Product(p, docs.get(p["id"])) for p in state["products"]}


class Product:
    def __init__(self, data: dict[str, Any], doc: list[dict[str, Any]] | None) -> None:
        self.data, self.doc = data, doc or []
        self.gallery = [m["id"] for m in data["media"]]
        self.kinds = [m["kind"] for m in data["media"]]

    def linked(self) -> list[str]:
        """public_ids of its productmedia_v1, in gallery order."""
        return [e["public_id"] for e in self.doc]

    def variant_media(self) -> dict[str, str | None]:
        return {v["sku"]: v["media"] for v in self.data["variants"]}

    def check_consistent(self) -> None:
        """The document lists exactly the gallery's AssetLink media, in gallery order."""
        listed = [e["media_id"] for e in self.doc if e["media_id"]]
        assert listed == [m for m in self.gallery if m in listed], (self.gallery, self.doc)
        assert len(set(listed)) == len(listed), f"media linked twice: {self.doc}"
