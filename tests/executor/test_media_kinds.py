"""Swatches, videos in each behaviour, variant images, metafield definitions."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from jobs.executor import DownloadError, ensure_metafield_definitions, stream_download
from jobs.planner import Settings
from tests.executor.support import gallery, image, product, product_id_of, writes


def test_swatch_on_a_variant_level_match(sim, linker):
    link = linker([product("Shirt", ["SH-RED", "SH-BLUE"])], settings=Settings(asset_type_field="asset_type"))
    shirt = product_id_of(sim, "Shirt")
    red = next(v["id"] for v in sim.product(shirt)["variants"] if v["sku"] == "SH-RED")
    results = link.link({"link_mode": "append", "assets": [
        image("shirts/red_front", "SH-RED"),
        image("swatches/red", "SH-RED", metadata={"asset_type": "swatch"})]})
    assert results[shirt].status == "succeeded", results[shirt].error
    assert [m["filename"] for m in gallery(sim, shirt)] == ["red_front.jpg"]   # the swatch is not in the gallery
    swatch = sim.metafield(red, "swatch")
    assert swatch["type"] == "file_reference"
    files = {f["id"]: f for f in sim.shop()["files"]}
    assert files[swatch["value"]]["filename"] == "red.jpg"
    assert files[swatch["value"]]["products"] == []
    assert files[swatch["value"]]["status"] == "READY"
    row = next(r for r in results[shirt].rows if r.swatch_owner)
    assert row.action == "created" and row.media_id == swatch["value"]
    sim.clear_requests()
    link.link({"link_mode": "append", "assets": [
        image("shirts/red_front", "SH-RED"), image("swatches/red", "SH-RED", metadata={"asset_type": "swatch"})]})
    assert writes(sim.requests()) == []


def test_video_placeholder_and_none(sim, linker):
    link = linker([product("Shoe", ["ABC-1"])])
    shoe = product_id_of(sim, "Shoe")
    assets = [image("shoes/abc_1", "ABC-1"), image("shoes/spin", "ABC-1", resource_type="video", format="mov")]
    results = link.link({"link_mode": "append", "assets": assets})
    assert results[shoe].status == "succeeded", results[shoe].error
    media = gallery(sim, shoe)
    assert [(m["filename"], m["kind"]) for m in media] == [("abc_1.jpg", "MediaImage"), ("spin.jpg", "MediaImage")]
    files = {f["id"]: f for f in sim.shop()["files"]}
    assert "/video/upload/" in files[media[1]["id"]]["originalSource"]

    link.settings = Settings(video_behavior="none")
    results = link.link({"link_mode": "append", "assets": assets})
    assert results[shoe].status == "succeeded", results[shoe].error
    assert [m["filename"] for m in gallery(sim, shoe)] == ["abc_1.jpg"]
    document = json.loads(sim.metafield(shoe, "productmedia_v1")["value"])
    assert [(e["public_id"], e["delivery"], e["media_id"]) for e in document] == [
        ("shoes/abc_1", "image", media[0]["id"]), ("shoes/spin", "none", None)]


class VideoServer:
    """Serves fake MP4 bytes over HTTP, as Cloudinary would."""

    def __init__(self, body: bytes, *, declared: int | None = None) -> None:
        outer = self
        self.body, self.declared, self.paths = body, declared, []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "video/mp4")
                self.send_header("Content-Length", str(outer.declared if outer.declared is not None
                                                       else len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def downloader(self, url, *, max_bytes):
        # Cloudinary is not reachable from tests: same path, local host.
        return stream_download(self.url + "/" + url.split("/", 3)[3], max_bytes=max_bytes)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def video_server():
    server = VideoServer(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 400)
    yield server
    server.stop()


def test_full_video_is_streamed_and_staged(sim, linker, video_server):
    link = linker([product("Shoe", ["ABC-1"])], settings=Settings(video_behavior="full_video"),
                  downloader=video_server.downloader)
    shoe = product_id_of(sim, "Shoe")
    results = link.link({"link_mode": "append", "assets": [
        image("shoes/spin", "ABC-1", resource_type="video", format="mov"), image("shoes/abc_1", "ABC-1")]})
    assert results[shoe].status == "succeeded", results[shoe].error
    media = gallery(sim, shoe)
    assert [(m["filename"], m["kind"], m["status"]) for m in media] == [
        ("spin.mp4", "Video", "READY"), ("abc_1.jpg", "MediaImage", "READY")]
    staged = sim.shop()["stagedUploads"]
    assert [(u["resource"], u["declaredSize"], u["uploadedBytes"]) for u in staged] == [
        ("VIDEO", len(video_server.body), len(video_server.body))]
    assert video_server.paths == ["/acme-cloud/video/upload/v1711111111/shoes/spin.mp4"]
    sim.clear_requests()
    link.link({"link_mode": "append", "assets": [
        image("shoes/spin", "ABC-1", resource_type="video", format="mov"), image("shoes/abc_1", "ABC-1")]})
    assert writes(sim.requests()) == [] and video_server.paths == [video_server.paths[0]]


def test_full_video_over_the_size_cap_fails_that_asset(sim, linker, video_server):
    link = linker([product("Shoe", ["ABC-1"])], settings=Settings(video_behavior="full_video"),
                  downloader=lambda url, max_bytes: video_server.downloader(url, max_bytes=1000))
    shoe = product_id_of(sim, "Shoe")
    results = link.link({"link_mode": "append", "assets": [
        image("shoes/spin", "ABC-1", resource_type="video"), image("shoes/abc_1", "ABC-1")]})
    rows = {r.public_id: r for r in results[shoe].rows}
    assert rows["shoes/spin"].action == "failed" and "limit" in rows["shoes/spin"].error
    assert results[shoe].status == "partially_succeeded"
    assert [m["filename"] for m in gallery(sim, shoe)] == ["abc_1.jpg"]
    assert sim.shop()["stagedUploads"] == []


def test_stream_download_checks_sizes():
    short = VideoServer(b"x" * 100, declared=200)
    try:
        with pytest.raises(DownloadError, match="broke off|Content-Length"):
            stream_download(short.url + "/v.mp4", max_bytes=10_000)
        with pytest.raises(DownloadError, match="limit"):
            stream_download(short.url + "/v.mp4", max_bytes=150)
    finally:
        short.stop()
    fine = VideoServer(b"y" * 5000)
    try:
        download = stream_download(fine.url + "/v.mp4", max_bytes=5000)
        assert download.size == 5000 and download.body.read() == b"y" * 5000 and download.mime_type == "video/mp4"
        download.close()
        with pytest.raises(DownloadError, match="limit"):
            stream_download(fine.url + "/v.mp4", max_bytes=4999)
    finally:
        fine.stop()


def test_variant_images(sim, linker):
    link = linker([product("Shirt", ["SH-RED", "SH-BLUE"], media=1)])
    shirt = product_id_of(sim, "Shirt")
    variants = {v["sku"]: v["id"] for v in sim.product(shirt)["variants"]}
    body = {"link_mode": "append", "variant_images": True, "assets": [
        image("shirts/red_1", "SH-RED"), image("shirts/red_2", "SH-RED"), image("shirts/blue_1", "SH-BLUE")]}
    results = link.link(body)
    assert results[shirt].status == "succeeded", results[shirt].error
    media = {m["filename"]: m["id"] for m in gallery(sim, shirt)}
    by_variant = {v["sku"]: v["media"] for v in sim.product(shirt)["variants"]}
    assert by_variant == {"SH-RED": media["red_1.jpg"], "SH-BLUE": media["blue_1.jpg"]}
    sim.clear_requests()
    link.link(body)
    assert writes(sim.requests()) == []
    # A new first image for red takes the variant over from the old one.
    body["assets"].insert(0, image("shirts/red_0", "SH-RED"))
    results = link.link(body)
    assert results[shirt].status == "succeeded", results[shirt].error
    media = {m["filename"]: m["id"] for m in gallery(sim, shirt)}
    assert sim.product(shirt)["variants"][0]["media"] == media["red_0.jpg"]
    assert variants["SH-RED"] == sim.product(shirt)["variants"][0]["id"]


def test_metafield_definitions_are_created_once(sim):
    sim.create_shop(products=[])
    client = sim.client()
    assert set(ensure_metafield_definitions(client).values()) == {"created"}
    definitions = {(d["ownerType"], d["key"]): d["type"] for d in sim.shop()["metafieldDefinitions"]}
    assert definitions == {("PRODUCT", "productmedia_v1"): "json", ("PRODUCT", "swatch"): "file_reference",
                           ("PRODUCTVARIANT", "swatch"): "file_reference"}
    from shopify_app.admin_api import queries
    found = client.execute(queries.METAFIELD_DEFINITION_EXISTS, {"ownerType": "PRODUCTVARIANT",
                                                                 "namespace": "cloudinary", "key": "swatch"})
    assert found["metafieldDefinitions"]["nodes"][0]["access"]["storefront"] == "PUBLIC_READ"  # themes can read it
    sim.clear_requests()
    assert set(ensure_metafield_definitions(client).values()) == {"exists"}
    assert writes(sim.requests()) == []
