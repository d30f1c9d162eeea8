"""The gallery and swatches blocks rendered (python-liquid, Shopify's
documented filters) over what a real sync wrote on the simulator; every
delivery URL checked against Cloudinary's SDK."""
from __future__ import annotations

import pytest
from cloudinary.utils import cloudinary_url

from storefront_preview import load_block, make_environment, render_block

from tests.storefront.store_data import CLOUD, IN_ORDER
from .html_tree import elements, srcset

WIDTHS = ["360", "540", "720", "960", "1200", "1440", "1920"]


def render(store, name="product-gallery", product=None, **settings):
    env = make_environment(store.domain)
    return render_block(env, load_block(name), product or store.linked, **settings)


def sdk(entry, width, *, kind="image", extra=None, shape=None):
    """Cloudinary's SDK's URL for an entry: its transformation, then the
    merchant's, then one sizing component."""
    size = dict(shape or {"crop": "limit"}, width=int(width))
    if kind == "video":
        size.update(quality="auto", video_codec="auto")
    else:
        size.update(fetch_format="auto", quality="auto")
    chain = ([{"start_offset": "auto"}] if kind == "still" else []) + (
        [{"raw_transformation": entry["transformation"]}] if entry["transformation"] else []) + (
        [{"raw_transformation": extra}] if extra else []) + [size]
    public_id, version = entry["public_id"], entry["version"]
    if entry["cache_bust"]:
        public_id, version = public_id.split("/", 1)[1], entry["cache_bust"]
    fmt = {"video": "mp4", "still": "jpg"}.get(kind, entry["format"])
    url, _ = cloudinary_url(public_id, cloud_name=entry["cloud_name"], secure=True,
                            resource_type="video" if kind in ("video", "still") else entry["resource_type"],
                            type=entry["type"], version=version, format=fmt, transformation=chain)
    return url


def test_assets_in_the_synced_order_with_cloudinary_urls(linked_store):
    document = linked_store.document
    assert [e["public_id"] for e in document] == IN_ORDER
    assert [e["delivery"] for e in document] == ["image", "image", "image", "video_placeholder", "video", "none"]
    assert {e["cloud_name"] for e in document} == {CLOUD}
    html = render(linked_store)

    slides = elements(html, "li", "assetlink-gallery__slide")
    assert [s["data-public-id"] for s in slides] == IN_ORDER
    assert [s["data-alt"] for s in slides] == [e["alt"] for e in document]
    # The same order as the Shopify gallery AssetLink arranged (the merchant's
    # old photo was reset away).
    shopify_order = [f"{m['id']}" for m in linked_store.linked["media"]]
    linked_ids = [e["media_id"].rsplit("/", 1)[-1] for e in document if e["media_id"]]
    assert shopify_order == linked_ids

    images = elements(html, "img", "assetlink-gallery__image")
    pictures = [e for e in document if e["delivery"] in ("image", "video_placeholder")]
    assert [i["alt"] for i in images] == [e["alt"] for e in pictures]
    for image, entry in zip(images, pictures):
        kind = "still" if entry["resource_type"] == "video" else "image"
        candidates = srcset(image["srcset"])
        assert [w for _, w in candidates] == [w + "w" for w in WIDTHS]
        assert [u for u, _ in candidates] == [sdk(entry, w, kind=kind) for w in WIDTHS]
        assert image["src"] == sdk(entry, 800, kind=kind)
        assert image["sizes"] == "(min-width: 800px) 800px, 100vw"
        # The simulator's media are square: width and height keep the box.
        assert (image["width"], image["height"]) == ("800", "800")
    assert [(i["loading"], i.get("fetchpriority")) for i in images] == [("eager", "high")] + [("lazy", None)] * 3
    assert "f_auto,q_auto" in images[0]["src"] and "c_pad,w_1200,h_1200,b_white/" in images[0]["src"]


def test_videos(linked_store):
    html = render(linked_store)
    document = {e["public_id"]: e for e in linked_store.document}
    # The still the sync chose: a poster frame with a play button that opens the video.
    play = elements(html, "a", "assetlink-gallery__play")
    spin = document["shoes/trail-runner/spin"]
    assert [a["data-video-src"] for a in play] == [sdk(spin, 1600, kind="video")] == [a["href"] for a in play]
    # Full videos (and videos listed without an upload) play from Cloudinary.
    videos = elements(html, "video")
    sources = elements(html, "source")
    listed = [document["shoes/trail-runner/on the trail"], document["shoes/trail-runner/über laces"]]
    assert [v["poster"] for v in videos] == [sdk(e, 800, kind="still") for e in listed]
    assert [(s["src"], s["type"]) for s in sources] == [(sdk(e, 1600, kind="video"), "video/mp4") for e in listed]
    assert [v["aria-label"] for v in videos] == ["On the trail", "Laces"]
    assert all(v["preload"] == "none" and "controls" in v and "playsinline" in v for v in videos)
    assert "%C3%BCber%20laces.mp4" in sources[1]["src"]


def test_thumbnails_and_swatches(linked_store):
    html = render(linked_store)
    thumbs = elements(html, "a", "assetlink-gallery__thumb")
    assert [t["href"] for t in thumbs] == [f"#AssetLink-assetlink1-{n}" for n in range(1, 7)]
    thumb_images = [e for e in elements(html, "img") if "w_64/" in e.get("src", "")]
    shape = {"aspect_ratio": "1:1", "crop": "fill", "gravity": "auto"}
    kinds = ["image", "image", "image", "still", "still", "still"]
    assert [i["src"] for i in thumb_images] == [sdk(e, 64, kind=k, shape=shape)
                                                for e, k in zip(linked_store.document, kinds)]

    swatches = elements(html, "img", "assetlink-swatches__image")
    assert [s["alt"] for s in swatches] == ["Red", "Blue"]
    assert [a["href"] for a in elements(html, "a", "assetlink-swatches__link")] == [
        v["url"] for v in linked_store.linked["variants"]]
    # Swatch files were named all_metadata: delivered by Cloudinary, square.
    version = linked_store.linked["variants"][0]["metafields"]["cloudinary"]["swatch"]["value"]["version"]
    red, _ = cloudinary_url("swatches/trail-runner/red", cloud_name=CLOUD, secure=True, version=version,
                            format="jpg", transformation=[{"raw_transformation": "ar_1:1,c_fill,g_auto"},
                                                          {"crop": "limit", "width": 40, "fetch_format": "auto",
                                                           "quality": "auto"}])
    assert swatches[0]["src"] == red and swatches[0]["width"] == "40"
    # The standalone swatches block renders the same swatches.
    standalone = render(linked_store, "variant-swatches", size=48)
    assert [s["alt"] for s in elements(standalone, "img")] == ["Red", "Blue"]
    assert "w_48/" in elements(standalone, "img")[0]["src"]


def test_products_without_assetlink_assets_render_nothing(linked_store):
    assert linked_store.unlinked["media"]  # the theme's own gallery has something to show
    assert render(linked_store, product=linked_store.unlinked).strip() == ""
    assert render(linked_store, "variant-swatches", product=linked_store.unlinked).strip() == ""


def test_merchant_settings(linked_store):
    html = render(linked_store, aspect_ratio="3:4", fit="pad", extra_transformation=" /e_sharpen/ e_vibrance:20\" ",
                  show_thumbnails=False, show_swatches=False, use_widget=True, max_width=600)
    front = linked_store.document[0]
    shape = {"aspect_ratio": "3:4", "background": "auto", "crop": "pad"}
    image = elements(html, "img", "assetlink-gallery__image")[0]
    assert image["src"] == sdk(front, 600, extra="e_sharpen/e_vibrance:20", shape=shape)
    assert (image["width"], image["height"]) == ("600", "800")
    assert image["sizes"] == "(min-width: 600px) 600px, 100vw"
    assert not elements(html, cls="assetlink-gallery__thumbs") and not elements(html, cls="assetlink-swatches")
    gallery = elements(html, "div", "assetlink-gallery")[0]
    assert (gallery["data-widget"], gallery["data-cloud-name"], gallery["data-aspect-ratio"]) == (
        "pending", CLOUD, "3:4")
    assert elements(html, "div", "assetlink-gallery__widget")[0]["hidden"] == ""
    # What the widget is given to apply: the same chain as the URLs above.
    assert [s["data-transformation"] for s in elements(html, "li", "assetlink-gallery__slide")] == [
        "/".join(filter(None, [e["transformation"], "e_sharpen/e_vibrance:20"])) for e in linked_store.document]

    fill = elements(render(linked_store, aspect_ratio="1:1"), "img", "assetlink-gallery__image")[0]
    assert fill["src"] == sdk(front, 800, shape={"aspect_ratio": "1:1", "crop": "fill", "gravity": "auto"})


def test_cache_busting_becomes_the_version(linked_store):
    document = linked_store.busted["metafields"]["cloudinary"]["productmedia_v1"]["value"]
    entry = document[0]
    assert entry["cache_bust"] and entry["public_id"] == f"v{entry['cache_bust']}/hats/beanie/model"
    image = elements(render(linked_store, product=linked_store.busted), "img", "assetlink-gallery__image")[0]
    assert image["src"] == sdk(entry, 800)
    assert f"/v{entry['cache_bust']}/hats/beanie/model.jpg" in image["src"]


@pytest.mark.parametrize("block", ["product-gallery", "variant-swatches"])
def test_unknown_settings_are_refused(block):
    with pytest.raises(KeyError):
        load_block(block).settings(no_such_setting=1)
