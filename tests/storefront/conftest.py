"""A store whose product AssetLink linked through a real sync on the Shopify
simulator (the bridge, the job, the executor), read back through the Admin
API as Liquid's `product`: what the storefront blocks render in these tests."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest

from storefront_preview import PRODUCT_QUERY, liquid_product
from tests.storefront.store_data import (CLOUD, FIND, FIRST_SYNC, LINK_SETTINGS, LISTED_SYNC, VIDEO_SYNC, asset)
from tests.support import bearer, connect
from tests.syncs.store_reads import APP, admin

class _VideoBytes:
    """Stands in for Cloudinary's delivery host when the sync downloads a full
    video to stage it (no internet here): same path, local server."""

    def __init__(self) -> None:
        body = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "video/mp4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class LinkedStore:
    domain: str
    linked: dict[str, Any]      # Liquid `product` of the linked product
    unlinked: dict[str, Any]    # Liquid `product` of a product AssetLink never touched
    busted: dict[str, Any]      # Liquid `product` linked with cache_busting on
    document: list[dict[str, Any]]  # its cloudinary.productmedia_v1, as the sync wrote it


def _sync(client, token: str, assets: list[dict[str, Any]], settings: dict[str, Any], mode: str = "append") -> None:
    body = {"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": mode,
            "order_by": "sequence_number", "settings": settings, "assets": assets}
    response = client.post("/bridge/v1/syncs", json=body, headers=bearer(token))
    assert response.status_code == 202, response.get_data(as_text=True)
    status = client.get(f"/bridge/v1/syncs/{response.get_json()['id']}", headers=bearer(token)).get_json()
    assert status["status"] == "succeeded", status


def _read(sim, shop, query: str) -> dict[str, Any]:
    product_id = admin(sim, shop, FIND, {"q": query})["products"]["nodes"][0]["id"]
    return admin(sim, shop, PRODUCT_QUERY, {"id": product_id})["product"]


_LINKED: list[LinkedStore] = []


@pytest.fixture
def linked_store(request) -> LinkedStore:
    """What the syncs left in the store, as plain data: made once per run
    (four syncs), then shared read-only by the rendering tests."""
    if not _LINKED:
        _LINKED.append(request.getfixturevalue("_linked_store_from_sync"))
    return _LINKED[0]


@pytest.fixture
def _linked_store_from_sync(app, client, sim_shop, sim, monkeypatch) -> Iterator[LinkedStore]:
    APP[:] = [app]
    app.config["RQ_IS_ASYNC"] = False
    shop = sim_shop(products=[
        {"title": "Trail Runner", "handle": "trail-runner",
         "variants": [{"sku": "TR-RED", "title": "Red"}, {"sku": "TR-BLUE", "title": "Blue"}],
         "media": [{"src": "https://merchant.example/old-shot.jpg", "alt": "Old studio shot"}]},
        {"title": "Wool Beanie", "handle": "wool-beanie", "variants": [{"sku": "BEANIE-1"}]},
        {"title": "Canvas Tote", "handle": "canvas-tote", "variants": [{"sku": "TOTE-1"}],
         "media": [{"src": "https://merchant.example/tote.jpg", "alt": "Tote"}]}])
    token = connect(client, shop.domain, cloud_name=CLOUD)["token"]

    videos = _VideoBytes()
    import importlib

    from jobs.executor.video import stream_download
    execute = importlib.import_module("jobs.executor.execute")

    def local_download(url: str, *, max_bytes: int):
        return stream_download(videos.base + "/" + url.split("/", 3)[3], max_bytes=max_bytes)

    monkeypatch.setattr(execute, "stream_download", local_download)
    try:
        _sync(client, token, FIRST_SYNC, {**LINK_SETTINGS, "video_behavior": "placeholder"}, mode="reset")
        _sync(client, token, VIDEO_SYNC, {**LINK_SETTINGS, "video_behavior": "full_video"})
        _sync(client, token, LISTED_SYNC, {**LINK_SETTINGS, "video_behavior": "none"})
        _sync(client, token, [asset("hats/beanie/model", "BEANIE-1", 1, "Beanie on a model")],
              {**LINK_SETTINGS, "cache_busting": True, "filename_format": "public_id"})
    finally:
        videos.stop()
    linked = liquid_product(_read(sim, shop, "sku:TR-RED"))
    unlinked = liquid_product(_read(sim, shop, "sku:TOTE-1"))
    busted = liquid_product(_read(sim, shop, "sku:BEANIE-1"))
    yield LinkedStore(shop.domain, linked, unlinked, busted,
                      linked["metafields"]["cloudinary"]["productmedia_v1"]["value"])
