"""Delivery URLs built by the SDK's cloudinary_url, served at
res.cloudinary.com's paths: real images and videos, still frames, 404 with
X-Cld-Error, malformed transformations refused, signed URLs checked."""
from __future__ import annotations

import io

import av
import cloudinary.uploader
import pytest
import requests
from cloudinary.utils import cloudinary_url
from PIL import Image

from .support import image_bytes, video_bytes


def url(cld, public_id, **options):
    return cld.delivery(cloudinary_url(public_id, secure=True, cloud_name=cld.cloud_name, **options)[0])


def fetch(address):
    return requests.get(address, timeout=30)


@pytest.mark.parametrize("fmt, pil", [("jpg", "JPEG"), ("png", "PNG"), ("webp", "WEBP"), ("gif", "GIF")])
def test_image_in_the_requested_format(cld, fmt, pil):
    version = cloudinary.uploader.upload(image_bytes(size=(400, 300)), public_id="shoes/front",
                                         **cld.opts)["version"]
    response = fetch(url(cld, "shoes/front", format=fmt, version=version))
    assert response.status_code == 200
    image = Image.open(io.BytesIO(response.content))
    assert (image.format, image.size) == (pil, (400, 300))
    assert response.headers["Content-Type"] == {"jpg": "image/jpeg"}.get(fmt, f"image/{fmt}")


def test_transformations_resize(cld):
    cloudinary.uploader.upload(image_bytes(size=(400, 300)), public_id="p", **cld.opts)
    cases = [({"width": 100, "height": 100, "crop": "fill"}, (100, 100)),
             ({"width": 200, "crop": "scale"}, (200, 150)),
             ({"width": 1000, "height": 1000, "crop": "limit"}, (400, 300)),
             ({"width": 100, "height": 100, "crop": "fit"}, (100, 75)),
             ({"width": 120, "height": 120, "crop": "pad", "background": "white"}, (120, 120)),
             ({"raw_transformation": "w_1200,h_1200,c_pad,b_white"}, (1200, 1200))]
    for options, size in cases:
        response = fetch(url(cld, "p", format="jpg", **options))
        assert response.status_code == 200, (options, response.headers.get("X-Cld-Error"))
        assert Image.open(io.BytesIO(response.content)).size == size, options


def test_missing_asset_is_404_with_x_cld_error(cld):
    response = fetch(url(cld, "nothing/here", format="jpg"))
    assert response.status_code == 404
    assert response.headers["X-Cld-Error"] == "Resource not found - nothing/here"


@pytest.mark.parametrize("transformation", ["w_abc", "c_bogus,w_100", "w_100,,h_100", "q_0", "w_100,w_200"])
def test_malformed_transformation_is_400(cld, transformation):
    cloudinary.uploader.upload(image_bytes(), public_id="p", **cld.opts)
    response = fetch(f"{cld.sim.base_url}/{cld.cloud_name}/image/upload/{transformation}/v1/p.jpg")
    assert response.status_code == 400
    assert response.headers["X-Cld-Error"]


def test_video_and_its_still_frame(cld):
    version = cloudinary.uploader.upload(video_bytes(1.0, (160, 96)), public_id="clips/spin",
                                         resource_type="video", **cld.opts)["version"]
    original = fetch(url(cld, "clips/spin", resource_type="video", format="mp4", version=version))
    assert original.status_code == 200 and original.headers["Content-Type"] == "video/mp4"
    transcoded = fetch(url(cld, "clips/spin", resource_type="video", format="mp4",
                           transformation=[{"width": 80, "crop": "scale"}]))
    assert transcoded.status_code == 200
    with av.open(io.BytesIO(transcoded.content)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.codec_context.width) == ("h264", 80)
        assert sum(1 for _ in container.decode(stream)) >= 5
    still = fetch(url(cld, "clips/spin", resource_type="video", format="jpg", start_offset="auto",
                      version=version))
    assert still.status_code == 200 and Image.open(io.BytesIO(still.content)).size == (160, 96)
    with_play = fetch(url(cld, "clips/spin", resource_type="video", format="jpg", version=version,
                          raw_transformation="so_auto,w_200,h_200,c_fill/l_icons:play,w_40/fl_layer_apply,g_center"))
    assert with_play.status_code == 200 and Image.open(io.BytesIO(with_play.content)).size == (200, 200)


def test_seeded_assets_render_stand_ins(cld):
    cld.seed({"public_id": "gen/image"}, {"public_id": "gen/video", "resource_type": "video"})
    image = fetch(url(cld, "gen/image", format="png", width=50, crop="scale"))
    assert Image.open(io.BytesIO(image.content)).size == (50, 50)
    video = fetch(url(cld, "gen/video", resource_type="video", format="mp4"))
    with av.open(io.BytesIO(video.content)) as container:
        assert container.streams.video[0].codec_context.name == "h264"


def test_signed_urls(cld):
    cloudinary.uploader.upload(image_bytes(), public_id="s", **cld.opts)
    signed = url(cld, "s", format="jpg", width=50, crop="scale", sign_url=True, api_secret=cld.api_secret)
    assert "/s--" in signed and fetch(signed).status_code == 200
    forged = url(cld, "s", format="jpg", width=50, crop="scale", sign_url=True, api_secret="not-it")
    assert fetch(forged).status_code == 401
    long = url(cld, "s", format="jpg", sign_url=True, long_url_signature=True, api_secret=cld.api_secret)
    assert fetch(long).status_code == 200


def test_raw_and_video_format_rules(cld):
    cloudinary.uploader.upload(b"a,b\n", public_id="data.csv", resource_type="raw", **cld.opts)
    raw = fetch(url(cld, "data.csv", resource_type="raw"))
    assert raw.status_code == 200 and raw.content == b"a,b\n"
    cloudinary.uploader.upload(image_bytes(), public_id="img", **cld.opts)
    assert fetch(url(cld, "img", format="mp4")).status_code == 400


def test_delivery_fault(cld):
    cloudinary.uploader.upload(image_bytes(), public_id="flaky", **cld.opts)
    cld.sim.control("POST", f"/_sim/environments/{cld.cloud_name}/delivery_faults",
                    json={"match": "flaky", "status": 503, "count": 1})
    assert fetch(url(cld, "flaky", format="jpg")).status_code == 503
    assert fetch(url(cld, "flaky", format="jpg")).status_code == 200


def test_overwrite_changes_what_is_delivered(cld):
    cloudinary.uploader.upload(image_bytes(color="red"), public_id="swap", **cld.opts)
    red = Image.open(io.BytesIO(fetch(url(cld, "swap", format="png")).content)).convert("RGB").getpixel((5, 5))
    version = cloudinary.uploader.upload(image_bytes(color="blue"), public_id="swap", **cld.opts)["version"]
    blue = Image.open(io.BytesIO(fetch(url(cld, "swap", format="png", version=version)).content)).convert(
        "RGB").getpixel((5, 5))
    assert red == (255, 0, 0) and blue == (0, 0, 255)
