"""What the storefront tests link: the merchant's Cloudinary selection for
each sync and the order the gallery must end in (the fixtures that run the
syncs are in conftest.py)."""
from __future__ import annotations

from typing import Any

CLOUD = "northwind-cdn"
FIND = """query($q: String!) { products(first: 5, query: $q) { nodes { id } } }"""
LINK_SETTINGS = {"filename_format": "all_metadata", "alt_text_source": "display_name",
                 "asset_type_field": "asset_type", "default_transformation": "c_pad,w_1200,h_1200,b_white"}


def asset(public_id: str, sku: str, seq: int, display_name: str, *, resource_type: str = "image",
          fmt: str = "jpg", asset_type: str = "product") -> dict[str, Any]:
    return {"public_id": public_id, "resource_type": resource_type, "type": "upload", "format": fmt,
            "version": 1763800000, "display_name": display_name,
            "metadata": {"sku": sku, "sequence_number": seq, "asset_type": asset_type}}


# What the merchant selected in Cloudinary, deliberately out of order (the
# sync orders by sequence_number), with awkward public IDs.
FIRST_SYNC = [
    asset("shoes/trail runner/side view", "TR-RED", 2, "Trail Runner, side"),
    asset("shoes/trail_runner/front", "TR-RED", 1, "Trail Runner, front"),
    asset("shoes/trail-runner/spin", "TR-RED", 4, "Trail Runner spinning", resource_type="video", fmt="mp4"),
    asset("shoes/trail-runner/sole 100%", "TR-RED", 3, "Grippy sole"),
    asset("swatches/trail-runner/red", "TR-RED", 1, "Red", asset_type="swatch"),
    asset("swatches/trail-runner/blue", "TR-BLUE", 1, "Blue", asset_type="swatch"),
]
# Later syncs append a full video and a video listed only in the metafield.
VIDEO_SYNC = [asset("shoes/trail-runner/on the trail", "TR-RED", 5, "On the trail", resource_type="video", fmt="mov")]
LISTED_SYNC = [asset("shoes/trail-runner/über laces", "TR-RED", 6, "Laces", resource_type="video", fmt="mp4")]
IN_ORDER = ["shoes/trail_runner/front", "shoes/trail runner/side view", "shoes/trail-runner/sole 100%",
            "shoes/trail-runner/spin", "shoes/trail-runner/on the trail", "shoes/trail-runner/über laces"]
