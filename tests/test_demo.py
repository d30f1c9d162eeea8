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
