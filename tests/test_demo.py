"""The README's demo command, run as CI runs it, with a time limit: it must
install, connect and link in every mode, and leave the store as described."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_demo_runs_end_to_end(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_KEY_PREFIX")}
    result = subprocess.run([sys.executable, "-m", "demo", "--exit", "--workdir", str(tmp_path)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "Connected to Northwind Outfitters" in out
    assert out.count("[succeeded]") == 7
    assert "write requests made: 0" in out

    state = json.loads((tmp_path / "final-state.json").read_text())
    galleries = {p["handle"]: [m["alt"] for m in p["media"]] for p in state["products"]}
    assert galleries == {
        "trail-runner": ["front", "side", "sole"],                                  # reset
        "canvas-tote": ["front", "back", "Tote on a shoulder"],                     # overwrite
        "city-sneaker": ["On the street", "white-8-top", "white-8-side", "white-9-heel"],  # append, 2 groups
        "rain-jacket": ["spin", "model", "Jacket flat lay"],                        # prepend, video still
        "leather-belt": ["Belt hero", "worn", "Buckle detail"],                     # position 2
        "wool-beanie": ["red-model"],                                               # swatches stay out
    }
    assert all(m["status"] == "READY" for p in state["products"] for m in p["media"])
    productmedia = {(m["ownerId"], m["key"]): m for m in state["metafields"] if m["namespace"] == "cloudinary"}
    swatches = [m for (owner, key), m in productmedia.items() if key == "swatch"]
    assert len(swatches) == 2 and all("ProductVariant" in m["ownerId"] for m in swatches)
    linked = sum(1 for (owner, key) in productmedia if key == "productmedia_v1")
    assert linked == 6

    # Storefront previews: one page per product, the gallery block over the store's data.
    pages = {p.stem: p.read_text() for p in (tmp_path / "storefront").glob("*.html")}
    assert set(pages) == set(galleries) | {"trail-cap"}  # the product automation linked later
    assert out.count("/storefront/") == 7
    trail = pages["trail-runner"]
    assert [trail.index(f'data-public-id="shoes/trail-runner/{name}"') for name in ("front", "side", "sole")] == sorted(
        trail.index(f'data-public-id="shoes/trail-runner/{name}"') for name in ("front", "side", "sole"))
    assert "https://res.cloudinary.com/demo/image/upload/" in trail
    assert 'data-public-id="outerwear/jacket/spin"' in pages["rain-jacket"]
    assert (tmp_path / "storefront" / "assets" / "assetlink-gallery.js").exists()

    # Automation (issue 10.9): the store followed the local Cloudinary by itself.
    assert "in Trail Runner's gallery by itself" in out
    assert "gone from Trail Runner's gallery" in out
    assert "it received its 2 images from Cloudinary" in out
    followed = json.loads((tmp_path / "automation-state.json").read_text())
    assert followed["trail-runner"] == ["shoes/trail-runner/front", "shoes/trail-runner/side",
                                        "shoes/trail-runner/sole"]
    assert followed["trail-cap"] == ["hats/trail-cap/1", "hats/trail-cap/2"]
    assert {(r["kind"], r["trigger"], r["status"]) for r in followed["runs"]} == {
        ("sync", "upload", "succeeded"), ("unlink", "delete", "succeeded"), ("sync", "new_product", "succeeded")}
    assert all(r["source"] == "automation" for r in followed["runs"])
    assert {e["outcome"] for e in followed["events"]} == {"queued"}
