"""Shopify downloads every source it is given and processes the bytes; so does
the simulator (shopify_sim/downloads.py, inspection.py). Each rule states its
source: the FileErrorCode/MediaErrorCode descriptions of the 2026-10 schema,
shopify.dev's *Manage media for products* (images up to 20 megapixels), the
20,971,520-byte upload policy Shopify's staged targets carry (captured), and
the captured `https://example.com/not-an-image.jpg` that ended FAILED."""
from __future__ import annotations

import io
import threading
from typing import Any, Iterator

import pytest
from PIL import Image

from shopify_sim import downloads, inspection, standin
from shopify_sim.conformance import internet
from shopify_sim.processing import error_message
from tests.delivery_server import DeliveryServer
from tests.server_thread import ServerThread

from .graphql_support import FILE_CREATE, FILE_UPDATE, PROCESSING_DELAY, make_sim, product_gid, shirt

ORIGIN = "https://src.example"
NODE = """query($id: ID!) { node(id: $id) { ... on File { fileStatus fileErrors { code message details } }
  ... on Media { status mediaErrors { code message } }
  ... on MediaImage { mimeType image { width height } originalSource { fileSize } }
  ... on GenericFile { mimeType url originalFileSize } } }"""


def png(width: int = 40, height: int = 30, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 20, 30)).save(out, format=fmt)
    return out.getvalue()


class Origin:
    """A source host answering each path as the test says (status, type, body)."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, str, bytes]] = {}
        self.hits: list[str] = []
        self.lock = threading.Lock()
        self.server = ServerThread(self.wsgi).start()

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ["PATH_INFO"]
        with self.lock:
            self.hits.append(path)
        status, content_type, body = self.answers.get(path, (404, "text/html", b"<h1>Not Found</h1>"))
        start_response(f"{status} X", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]


@pytest.fixture
def origin() -> Iterator[Origin]:
    served = Origin()
    try:
        yield served
    finally:
        served.server.stop()


@pytest.fixture
def sim(origin: Origin):
    api = make_sim(SIM_FETCH_ORIGINS={ORIGIN: origin.server.base_url})
    api.create_shop(products=[shirt("Red Shirt", media=0)])
    return api


def create(sim, source: str, **extra: Any) -> str:
    body = sim.data(FILE_CREATE, {"files": [{"originalSource": source, **extra}]})
    assert body["fileCreate"]["userErrors"] == []
    return body["fileCreate"]["files"][0]["id"]


def processed(sim, file_id: str) -> dict:
    sim.finish_processing()
    return sim.data(NODE, {"id": file_id})["node"]


def failure(sim, file_id: str) -> tuple[str, str]:
    node = processed(sim, file_id)
    assert node["fileStatus"] == "FAILED", node
    error = node["fileErrors"][0]
    assert error["message"] == error_message("FileErrorCode", error["code"])
    return error["code"], error["details"]


# -- the route to a source ---------------------------------------------------------------------------
def test_origins_are_a_plain_substitution_keeping_path_and_query():
    origins = downloads.parse_origins({"https://res.cloudinary.com": "http://127.0.0.1:9/cdn/"})
    assert downloads.local_url("https://res.cloudinary.com/demo/image/upload/v1/a.jpg?x=1", origins) == \
        "http://127.0.0.1:9/cdn/demo/image/upload/v1/a.jpg?x=1"
    # The empty cloud name stays in the path: the local server must refuse it as Cloudinary does.
    assert downloads.local_url("https://res.cloudinary.com//image/upload/v1/a.jpg", origins) == \
        "http://127.0.0.1:9/cdn//image/upload/v1/a.jpg"
    assert downloads.local_url("https://other.example/a.jpg", origins) is None  # strict default
    anywhere = downloads.parse_origins('{"*": "http://127.0.0.1:9/{host}"}')
    assert downloads.local_url("https://Placehold.co/600x400/png", anywhere) == "http://127.0.0.1:9/placehold.co/600x400/png"
    assert downloads.parse_origins("https://a.example=http://127.0.0.1:1,*=http://127.0.0.1:2") == {
        "https://a.example": "http://127.0.0.1:1", "*": "http://127.0.0.1:2"}
    for bad in ({"https://a.example/path": "http://x"}, {"https://a.example": "ftp://x"}, "nonsense", "{"):
        with pytest.raises(downloads.OriginsError):
            downloads.parse_origins(bad)


def test_an_unmapped_origin_is_unreachable_and_fails_only_after_processing_time(origin):
    sim = make_sim(SIM_FETCH_ORIGINS={})
    sim.create_shop()
    file_id = create(sim, "https://res.cloudinary.com/acme/image/upload/v1/a.jpg")
    sim.clock.advance(PROCESSING_DELAY / 2)
    assert sim.data(NODE, {"id": file_id})["node"]["fileStatus"] == "PROCESSING"  # never at once
    code, details = failure(sim, file_id)
    assert code == "IMAGE_DOWNLOAD_FAILURE" and "SIM_FETCH_ORIGINS" in details


# -- images -------------------------------------------------------------------------------------------
def test_a_served_image_is_ready_with_what_the_bytes_say(sim, origin):
    origin.answers["/shirts/a.jpg"] = (200, "image/png", png(40, 30))  # PNG bytes behind a .jpg name
    file_id = create(sim, ORIGIN + "/shirts/a.jpg")
    node = processed(sim, file_id)
    assert node["fileStatus"] == "READY" and node["fileErrors"] == []
    assert node["image"] == {"width": 40, "height": 30}
    assert node["mimeType"] == "image/png" and node["originalSource"]["fileSize"] == len(png(40, 30))
    assert origin.hits == ["/shirts/a.jpg"]


@pytest.mark.parametrize("answer, code", [
    ((404, "text/html", b"<h1>Not Found</h1>"), "IMAGE_DOWNLOAD_FAILURE"),
    ((500, "text/plain", b"oops"), "IMAGE_DOWNLOAD_FAILURE"),
    ((200, "text/html", b"<html>an error page</html>"), "UNSUPPORTED_IMAGE_FILE_TYPE"),
    ((200, "text/plain", png()), "UNSUPPORTED_IMAGE_FILE_TYPE"),            # wrong content type
    ((200, "image/jpeg", b"definitely not a jpeg"), "UNSUPPORTED_IMAGE_FILE_TYPE"),
    ((200, "image/png", png()[:60]), "IMAGE_PROCESSING_FAILURE"),            # a PNG cut short
    ((200, "image/png", b""), "INVALID_IMAGE_FILE_SIZE"),
])
def test_a_source_that_is_not_a_good_image_fails_with_the_code_for_its_kind(sim, origin, answer, code):
    origin.answers["/x.jpg"] = answer
    assert failure(sim, create(sim, ORIGIN + "/x.jpg"))[0] == code


def test_images_over_twenty_megapixels_or_twenty_mib_fail():
    # shopify.dev, Manage media for products: "4472 x 4472 px, or 20 megapixels".
    assert inspection.inspect_image(inspection.Fetched(200, "image/png", png(4472, 4472))).code is None
    big = inspection.inspect_image(inspection.Fetched(200, "image/png", png(5000, 4001)))
    assert (big.code, big.width, big.height) == ("INVALID_IMAGE_RESOLUTION", 5000, 4001)
    # The staged upload policy's content-length-range (1..20,971,520), captured.
    assert inspection.MAX_IMAGE_BYTES == 20_971_520
    assert inspection.inspect_image(inspection.Fetched(200, "image/png", None, too_large=True)).code == \
        "INVALID_IMAGE_FILE_SIZE"


def test_an_oversize_download_stops_reading_and_fails(sim, origin):
    origin.answers["/huge.png"] = (200, "image/png", b"\0" * (inspection.MAX_IMAGE_BYTES + 1))
    assert failure(sim, create(sim, ORIGIN + "/huge.png"))[0] == "INVALID_IMAGE_FILE_SIZE"


def test_accepted_formats_follow_shopifys_list():
    for fmt in ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF"):
        assert inspection.inspect_image(inspection.Fetched(200, "image/x", png(8, 8, fmt))).code is None, fmt
    ico = io.BytesIO()
    Image.new("RGB", (16, 16)).save(ico, format="ICO")
    assert inspection.inspect_image(inspection.Fetched(200, "image/x-icon", ico.getvalue())).code == \
        "UNSUPPORTED_IMAGE_FILE_TYPE"
    assert inspection.inspect_image(inspection.Fetched(200, "image/svg+xml", standin.SVG)).code is None


# -- every way a source enters ---------------------------------------------------------------------
def test_product_media_and_replaced_sources_are_downloaded_too(sim, origin):
    origin.answers["/good.png"] = (200, "image/png", png())
    product = product_gid(sim, "red-shirt")
    sim.data("mutation($id: ID!, $m: [CreateMediaInput!]) { productUpdate(product: {id: $id}, media: $m) "
             "{ userErrors { message } } }",
             {"id": product, "m": [{"originalSource": ORIGIN + "/gone.png", "mediaContentType": "IMAGE"}]})
    sim.data("mutation($id: ID!, $m: [CreateMediaInput!]!) { productCreateMedia(productId: $id, media: $m) "
             "{ mediaUserErrors { message } } }",
             {"id": product, "m": [{"originalSource": ORIGIN + "/good.png", "mediaContentType": "IMAGE"}]})
    sim.finish_processing()
    media = sim.data("query($id: ID!) { product(id: $id) { media(first: 5) { nodes { id status "
                     "mediaErrors { code message } } } } }", {"id": product})["product"]["media"]["nodes"]
    assert [(m["status"], [e["code"] for e in m["mediaErrors"]]) for m in media] == [
        ("FAILED", ["IMAGE_DOWNLOAD_FAILURE"]), ("READY", [])]
    assert media[0]["mediaErrors"][0]["message"] == error_message("MediaErrorCode", "IMAGE_DOWNLOAD_FAILURE")
    # fileUpdate originalSource: the new source is downloaded, and fails on its own.
    body = sim.data(FILE_UPDATE, {"files": [{"id": media[1]["id"], "originalSource": ORIGIN + "/gone-too.png"}]})
    assert body["fileUpdate"]["userErrors"] == []
    assert failure(sim, media[1]["id"])[0] == "IMAGE_DOWNLOAD_FAILURE"
    assert "/gone-too.png" in origin.hits


def test_generic_files_fail_with_the_generic_codes(sim, origin):
    origin.answers["/doc.pdf"] = (200, "application/pdf", standin.PDF)
    ready = processed(sim, create(sim, ORIGIN + "/doc.pdf"))
    assert (ready["fileStatus"], ready["mimeType"], ready["originalFileSize"]) == \
        ("READY", "application/pdf", len(standin.PDF))
    assert failure(sim, create(sim, ORIGIN + "/missing.pdf"))[0] == "GENERIC_FILE_DOWNLOAD_FAILURE"
    assert inspection.inspect_generic(inspection.Fetched(200, "application/pdf", None, too_large=True)).code == \
        "GENERIC_FILE_INVALID_SIZE"


def test_a_cloudinary_path_with_an_empty_cloud_name_fails():
    delivery = DeliveryServer()
    try:
        sim = make_sim(SIM_FETCH_ORIGINS={"https://res.cloudinary.com": delivery.base_url})
        sim.create_shop()
        good = create(sim, "https://res.cloudinary.com/acme/image/upload/c_pad,w_10/v1711111111/shirts/a_front.jpg")
        empty = create(sim, "https://res.cloudinary.com//image/upload/v1711111111/shirts/a_front.jpg")
        assert processed(sim, good)["fileStatus"] == "READY"
        assert failure(sim, empty)[0] == "IMAGE_DOWNLOAD_FAILURE"
        assert "//image/upload/v1711111111/shirts/a_front.jpg" in delivery.paths
    finally:
        delivery.stop()


# -- videos (from Shopify's storage only) --------------------------------------------------------------
def test_video_files_are_read_for_type_duration_and_size():
    ok = inspection.inspect_video(inspection.Fetched(200, "video/mp4", standin.mp4_bytes(4000, 1920, 1080)))
    assert (ok.code, ok.duration_ms, ok.width, ok.height) == (None, 4000, 1920, 1080)
    long = inspection.inspect_video(inspection.Fetched(200, "video/mp4", standin.mp4_bytes(11 * 60_000, 640, 360)))
    assert long.code == "VIDEO_MAX_DURATION_ERROR"
    assert inspection.inspect_video(inspection.Fetched(200, "video/mp4", standin.mp4_bytes(1000, 7680, 4320))).code \
        == "VIDEO_MAX_WIDTH_ERROR"
    assert inspection.inspect_video(inspection.Fetched(200, "video/webm", standin.WEBM)).code is None
    assert inspection.inspect_video(inspection.Fetched(200, "video/mp4", png())).code == "VIDEO_INVALID_FILETYPE_ERROR"
    assert inspection.inspect_video(inspection.Fetched(404, "text/html", None)).code == "VIDEO_VALIDATION_ERROR"


# -- the conformance runner's stand-in internet ---------------------------------------------------------
def test_the_stand_in_internet_serves_files_by_path_and_nothing_on_reserved_hosts():
    content_type, body = internet.resolve("/placehold.co/600x400/png")
    assert content_type == "image/png" and Image.open(io.BytesIO(body)).size == (600, 400)
    assert internet.resolve("/www.w3.org/WAI/dummy.pdf")[0] == "application/pdf"
    # RFC 2606 / 6761 names hold no files (the captured example.com source ended FAILED).
    for host in ("example.com", "img.example.com", "example.org", "shop.test", "x.invalid"):
        assert internet.resolve(f"/{host}/not-an-image.jpg") is None, host
    assert internet.resolve("/placehold.co/a//b.png") is None  # empty segment
    assert internet.resolve("/placehold.co/readme") is None  # no file type
