"""Shopify's own linter (theme-check, pinned in tools/theme-check) over the
theme app extension, and Shopify's limits for theme app extensions."""
from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from storefront_preview import EXTENSION_ROOT

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "tools" / "theme-check" / "run.mjs"
INSTALLED = ROOT / "tools" / "theme-check" / "node_modules" / "@shopify" / "theme-check-node"

pytestmark = pytest.mark.skipif(shutil.which("node") is None or not INSTALLED.exists(),
                                reason="node or tools/theme-check/node_modules missing (bin/setup installs them)")


def theme_check(root: Path) -> tuple[int, dict]:
    done = subprocess.run(["node", str(RUNNER), str(root)], capture_output=True, text=True, timeout=240,
                          cwd=RUNNER.parent)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def test_theme_check_reports_nothing():
    code, report = theme_check(EXTENSION_ROOT)
    assert report["offenses"] == [] and code == 0
    # It ran as a theme app extension (found from shopify.extension.toml),
    # with the checks specific to app blocks.
    for check in ("AppBlockValidTags", "AppBlockMissingSchema", "AssetSizeAppBlockCSS", "AssetSizeAppBlockJavaScript",
                  "ImgWidthAndHeight", "UndefinedObject", "UnknownFilter", "RemoteAsset", "ValidSchema",
                  "MissingRenderSnippetArguments", "TranslationKeyExists"):
        assert check in report["checks"]


def test_theme_check_finds_what_it_should(tmp_path):
    """The same run over a copy with typical mistakes reports each one: the
    zero above is a real zero."""
    copy = tmp_path / "assetlink-theme"
    shutil.copytree(EXTENSION_ROOT, copy)
    gallery = copy / "blocks" / "product-gallery.liquid"
    gallery.write_text(gallery.read_text().replace(
        "{%- if visible > 0 -%}",
        "{%- if visible > 0 -%}<img src=\"{{ product | bogus_url }}\">{% render 'assetlink-entry-url' %}"
        "{{ 'gallery.nope' | t }}", 1))
    code, report = theme_check(copy)
    found = {o["check"] for o in report["offenses"]}
    assert code == 1
    assert {"ImgWidthAndHeight", "UnknownFilter", "MissingRenderSnippetArguments", "TranslationKeyExists"} <= found


def test_layout_and_limits():
    # Layout Shopify CLI expects (theme app extension framework, "File structure").
    toml = (EXTENSION_ROOT / "shopify.extension.toml").read_text()
    assert re.search(r'^type = "theme"$', toml, re.M)
    assert {p.name for p in EXTENSION_ROOT.iterdir()} == {"shopify.extension.toml", "blocks", "snippets", "assets",
                                                          "locales"}
    blocks = sorted(EXTENSION_ROOT.glob("blocks/*.liquid"))
    assert len(blocks) <= 30  # "up to 30 app blocks" (Shopify changelog, 2026-02-03)
    for block in blocks:
        schema = json.loads(re.search(r"{% schema %}(.*){% endschema %}", block.read_text(), re.S).group(1))
        assert schema["target"] == "section" and schema["enabled_on"] == {"templates": ["product"]}
        assert len(schema["name"]) <= 25
    # Locale files: 15 KB each (Shopify changelog 2022-07-28).
    for locale in EXTENSION_ROOT.glob("locales/*.json"):
        assert locale.stat().st_size <= 15_000
    # Liquid across all blocks and snippets: 100 KB (theme app extension
    # configuration, "File and content size limits").
    liquid = sum(p.stat().st_size for p in EXTENSION_ROOT.glob("*/*.liquid"))
    assert liquid <= 100_000
    # The script a block loads stays small compressed (theme-check's
    # AssetSizeAppBlockJavaScript default threshold, 10,000 bytes).
    for script in EXTENSION_ROOT.glob("assets/*.js"):
        assert len(gzip.compress(script.read_bytes())) <= 10_000


def test_no_store_urls_and_only_cloudinary_hosts():
    """Blocks run on every store that installs the app: no store's URL may
    be written in; the only outside hosts are Cloudinary's."""
    allowed = {"res.cloudinary.com", "product-gallery.cloudinary.com"}
    for path in EXTENSION_ROOT.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert "myshopify.com" not in text, path
            hosts = set(re.findall(r"https?://([A-Za-z0-9.-]+)", text))
            assert hosts <= allowed, (path, hosts)
