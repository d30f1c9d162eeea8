"""Fixtures for the embedded admin UI: a headless Chromium with
cdn.shopify.com blocked, its pages, and screenshots. Installed shops
(`make_shop`) and the served app (`server`) come from tests/conftest.py."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support import CHROMIUM

DOCS = Path(__file__).resolve().parents[2] / "docs"
# The README's screenshots are rewritten only on request, so a test run
# doesn't leave the checkout modified.
UPDATE_SCREENSHOTS = os.environ.get("ASSETLINK_UPDATE_SCREENSHOTS") == "1"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def screenshot(tmp_path):
    """Save a full-page screenshot: into docs/ when updating them, else a temp dir."""
    def save(page, name: str) -> Path:
        target = (DOCS if UPDATE_SCREENSHOTS else tmp_path) / name
        target.parent.mkdir(exist_ok=True)
        # A toast sits at the bottom of the window; in a full-page capture it
        # would land over the middle of the page.
        page.evaluate("document.querySelectorAll('.toast').forEach((toast) => toast.remove())")
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 10_000
        return target
    return save


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    blocked = []

    def block_cdn(route):
        blocked.append(route.request.url)
        route.abort()

    context.route("https://cdn.shopify.com/**", block_cdn)
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: problems.append(f"console: {msg.text}")
            if msg.type == "error" and "Failed to load resource" not in msg.text else None)
    page.server = server
    page.blocked = blocked
    yield page
    context.close()
    assert problems == []
