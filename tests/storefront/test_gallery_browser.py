"""The gallery in headless Chromium: a storefront page with the block rendered
over what a real sync wrote, Cloudinary's delivery host answered locally with
generated images (Playwright routing), Cloudinary's widget script either
unreachable (the fallback) or stubbed (the hand-over)."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from cloudinary.utils import generate_transformation_string

from storefront_preview import EXTENSION_ROOT, load_block, make_environment, preview_page, render_block

from tests.storefront.store_data import IN_ORDER
from .delivery_images import delivery_image

CHROMIUM = "/usr/bin/chromium"
DOCS = Path(__file__).resolve().parents[2] / "docs"
STORE = "https://northwind.test"
UPDATE_SCREENSHOTS = os.environ.get("ASSETLINK_UPDATE_SCREENSHOTS") == "1"
WIDGET_STUB = """window.cloudinary = {galleryWidget: function (options) {
  window.widgetOptions = {cloudName: options.cloudName, mediaAssets: options.mediaAssets,
                          carouselStyle: options.carouselStyle, container: options.container.id};
  return {render: function () { options.container.innerHTML = '<p class="stub-widget">Cloudinary widget</p>'; }};
}};"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync"])
        yield browser
        browser.close()


def product_page(store, **settings) -> str:
    env = make_environment(store.domain)
    blocks = [load_block("product-gallery")]
    body = render_block(env, blocks[0], store.linked, **settings)
    return preview_page(body, blocks, title=store.linked["title"], asset_base=f"{STORE}/extension-assets",
                        note="Images and videos linked by AssetLink, delivered by Cloudinary.")


@pytest.fixture
def open_page(browser):
    contexts = []

    def open_(html: str, *, widget: str | None = None, viewport=(1280, 900), scale: float = 1):
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                      device_scale_factor=scale)
        contexts.append(context)
        served = {"delivery": [], "widget": []}

        def store(route):
            path = route.request.url[len(STORE):]
            if path.startswith("/extension-assets/"):
                asset = EXTENSION_ROOT / "assets" / path.rsplit("/", 1)[-1]
                kind = "text/css" if asset.suffix == ".css" else "text/javascript"
                route.fulfill(status=200, body=asset.read_bytes(), headers={"content-type": kind})
            else:
                route.fulfill(status=200, body=html, headers={"content-type": "text/html; charset=utf-8"})

        def cloudinary(route):
            url = route.request.url
            served["delivery"].append(url)
            if url.endswith(".mp4"):
                route.fulfill(status=404, body="")
                return
            body, _ = delivery_image(url)
            route.fulfill(status=200, body=body, headers={"content-type": "image/jpeg"})

        def gallery_widget(route):
            served["widget"].append(route.request.url)
            if widget == "stub":
                route.fulfill(status=200, body=WIDGET_STUB, headers={"content-type": "text/javascript"})
            else:
                route.abort()

        context.route(f"{STORE}/**", store)
        context.route("https://res.cloudinary.com/**", cloudinary)
        context.route("https://product-gallery.cloudinary.com/**", gallery_widget)
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{STORE}/products/trail-runner")
        page.served, page.errors = served, errors
        return page

    yield open_
    for context in contexts:
        context.close()


def first_image_loaded(page):
    page.wait_for_function("() => { const i = document.querySelector('.assetlink-gallery__image');"
                           " return i && i.complete && i.naturalWidth > 0; }")


def test_gallery_in_the_browser_falls_back_when_the_widget_cannot_load(linked_store, open_page, tmp_path):
    from playwright.sync_api import expect

    page = open_page(product_page(linked_store, use_widget=True))
    gallery = page.locator("[data-assetlink-gallery]")
    expect(gallery).to_have_attribute("data-widget", "fallback")
    expect(gallery).to_have_attribute("data-widget-fallback", "unavailable")
    assert page.served["widget"] == ["https://product-gallery.cloudinary.com/all.js"]
    expect(page.locator(".assetlink-gallery__plain")).to_be_visible()
    expect(page.locator(".assetlink-gallery__widget")).to_be_hidden()

    slides = page.locator(".assetlink-gallery__slide")
    assert slides.evaluate_all("s => s.map(e => e.dataset.publicId)") == IN_ORDER
    images = page.locator(".assetlink-gallery__image")
    assert images.evaluate_all("i => i.map(e => e.alt)") == [
        "Trail Runner, front", "Trail Runner, side", "Grippy sole", "Trail Runner spinning"]
    first_image_loaded(page)
    # 1280 px wide, DPR 1, sizes "(min-width: 800px) 800px": the 960w candidate.
    current = images.first.evaluate("i => i.currentSrc")
    assert "/c_limit,f_auto,q_auto,w_960/" in current and current.startswith("https://res.cloudinary.com/")
    assert current in page.served["delivery"]
    # Laid out at most 800 px wide, square as its width/height attributes said.
    box = images.first.evaluate("i => { const r = i.getBoundingClientRect(); return [r.width, r.height]; }")
    assert 0 < box[0] <= 800 and abs(box[0] - box[1]) < 1
    # Below the fold, lazy: the last slide's image isn't fetched before it is needed.
    assert images.evaluate_all("i => i.map(e => e.loading)") == ["eager", "lazy", "lazy", "lazy"]
    assert not any("sole%20100%25" in url and "w_960" in url for url in page.served["delivery"])

    # Thumbnails follow the visible slide.
    thumbs = page.locator(".assetlink-gallery__thumb")
    expect(thumbs).to_have_count(6)
    expect(thumbs.nth(0)).to_have_attribute("aria-current", "true")
    thumbs.nth(2).click()
    expect(thumbs.nth(2)).to_have_attribute("aria-current", "true")
    expect(thumbs.nth(0)).not_to_have_attribute("aria-current", "true")
    page.wait_for_function("() => { const i = document.querySelectorAll('.assetlink-gallery__image')[2];"
                           " return i.complete && i.naturalWidth > 0; }")

    # Videos: two <video> from Cloudinary with posters; the still with a play
    # button becomes a video in place.
    videos = page.locator("video")
    expect(videos).to_have_count(2)
    assert videos.evaluate_all("v => v.map(e => e.querySelector('source').src.split('/').pop())") == [
        "on%20the%20trail.mp4", "%C3%BCber%20laces.mp4"]
    thumbs.nth(3).click()
    page.locator(".assetlink-gallery__play").click()
    expect(videos).to_have_count(3)
    played = page.locator(".assetlink-gallery__slide").nth(3).locator("video source")
    assert played.get_attribute("src").endswith("/shoes/trail-runner/spin.mp4")

    swatches = page.locator(".assetlink-swatches__image")
    expect(swatches).to_have_count(2)
    assert swatches.evaluate_all("s => s.map(e => e.alt)") == ["Red", "Blue"]
    page.wait_for_function("() => [...document.querySelectorAll('.assetlink-swatches__image')]"
                           ".every(i => i.complete && i.naturalWidth === 40)")
    assert page.errors == []


def url_components(steps) -> list[set[str]]:
    """The widget's structured transformation steps as URL components, built by
    Cloudinary's SDK (its parameter names in snake_case), each as a set of
    parameters: Cloudinary applies a component's parameters in its own order."""
    built = []
    for step in steps:
        options = {re.sub(r"[A-Z]", lambda m: "_" + m.group().lower(), k): v for k, v in step.items()}
        text, _ = generate_transformation_string(**options)
        built.append(set(text.split(",")))
    return built


def test_widget_takes_over_when_it_loads(linked_store, open_page):
    from playwright.sync_api import expect

    extra = "e_sharpen/e_vibrance:20"
    page = open_page(product_page(linked_store, use_widget=True, aspect_ratio="1:1", extra_transformation=extra),
                     widget="stub")
    gallery = page.locator("[data-assetlink-gallery]")
    expect(gallery).to_have_attribute("data-widget", "ready")
    expect(page.locator(".stub-widget")).to_be_visible()
    expect(page.locator(".assetlink-gallery__plain")).to_be_hidden()
    options = page.evaluate("window.widgetOptions")
    assert options["cloudName"] == "northwind-cdn" and options["carouselStyle"] == "thumbnails"
    assert [a["publicId"] for a in options["mediaAssets"]] == IN_ORDER
    assert [a["mediaType"] for a in options["mediaAssets"]] == ["image"] * 3 + ["video"] * 3
    assert options["mediaAssets"][0]["altText"] == "Trail Runner, front"

    # Each asset carries the chain the plain gallery's URLs use: the entry's
    # own transformation, then the merchant's, as structured steps.
    front = options["mediaAssets"][0]
    assert linked_store.document[0]["transformation"] == "c_pad,w_1200,h_1200,b_white"
    assert front["transformation"] == {"transformation": [
        {"crop": "pad", "width": "1200", "height": "1200", "background": "white"},
        {"effect": "sharpen"}, {"effect": "vibrance:20"}]}
    for asset, entry in zip(options["mediaAssets"], linked_store.document):
        chain = "/".join(filter(None, [entry["transformation"], extra]))
        assert url_components(asset["transformation"]["transformation"]) == [
            set(component.split(",")) for component in chain.split("/")]
    # ...the same chain the plain gallery's first image URL has before sizing.
    src = page.locator(".assetlink-gallery__image").first.get_attribute("src")
    assert f"/image/upload/c_pad,w_1200,h_1200,b_white/{extra}/" in src
    assert page.errors == []


def test_widget_is_not_used_for_a_transformation_it_cannot_take(linked_store, open_page):
    """A layer (and anything else with no structured form) can't be passed to
    the widget: the plain gallery stays, with the transformation applied."""
    from playwright.sync_api import expect

    extra = "l_badge,g_north_east/fl_layer_apply"
    page = open_page(product_page(linked_store, use_widget=True, extra_transformation=extra), widget="stub")
    gallery = page.locator("[data-assetlink-gallery]")
    expect(gallery).to_have_attribute("data-widget", "fallback")
    expect(gallery).to_have_attribute("data-widget-fallback", "transformation")
    expect(page.locator(".assetlink-gallery__plain")).to_be_visible()
    expect(page.locator(".assetlink-gallery__widget")).to_be_hidden()
    assert page.served["widget"] == [] and page.evaluate("window.widgetOptions === undefined")
    assert f"/{extra}/" in page.locator(".assetlink-gallery__image").first.get_attribute("src")
    assert page.errors == []


@pytest.mark.parametrize("name,viewport,scale,candidate", [
    ("storefront-gallery-desktop.png", (1280, 900), 1, "w_960"),
    ("storefront-gallery-phone.png", (390, 844), 2, "w_960"),     # 390 css px × 2 = 780 device px
])
def test_screenshots(linked_store, open_page, tmp_path, name, viewport, scale, candidate):
    page = open_page(product_page(linked_store, use_widget=True), viewport=viewport, scale=scale)
    page.locator("[data-widget='fallback']").wait_for()
    first_image_loaded(page)
    assert f"/c_limit,f_auto,q_auto,{candidate}/" in page.locator(".assetlink-gallery__image").first.evaluate(
        "i => i.currentSrc")
    page.wait_for_function("() => [...document.querySelectorAll('.assetlink-gallery__thumb img,"
                           " .assetlink-swatches__image')].every(i => i.complete && i.naturalWidth > 0)")
    target = (DOCS if UPDATE_SCREENSHOTS else tmp_path) / name
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000
    assert json.dumps(page.errors) == "[]"
