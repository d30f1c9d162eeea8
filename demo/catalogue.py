"""The demo's store and its Cloudinary assets.

A small outdoor-gear catalogue: some products already have merchant photos
(so the link modes have something to keep, replace or shift), some have none.
"""
from __future__ import annotations

MERCHANT = "https://cdn.example-merchant.com/photos"

PRODUCTS = [
    {"title": "Trail Runner", "handle": "trail-runner", "vendor": "Northwind", "product_type": "Shoes",
     "tags": ["running", "outdoor"],
     "variants": [{"sku": "TR-BLK-9", "barcode": "0001001"}, {"sku": "TR-BLK-10", "barcode": "0001002"}],
     "media": [{"src": f"{MERCHANT}/trail-runner-old-1.jpg", "alt": "Old studio shot"},
               {"src": f"{MERCHANT}/trail-runner-old-2.jpg", "alt": "Old side view"}]},
    {"title": "City Sneaker", "handle": "city-sneaker", "vendor": "Northwind", "product_type": "Shoes",
     "tags": ["lifestyle"],
     "variants": [{"sku": "CS-WHT-8", "barcode": "0002001"}, {"sku": "CS-WHT-9", "barcode": "0002002"}],
     "media": [{"src": f"{MERCHANT}/city-sneaker-lifestyle.jpg", "alt": "On the street"}]},
    {"title": "Canvas Tote", "handle": "canvas-tote", "vendor": "Harbor", "product_type": "Bags",
     "tags": ["bags"],
     "variants": [{"sku": "TOTE-NAT", "barcode": "0003001"}],
     "media": [{"src": f"{MERCHANT}/tote-1.jpg", "alt": "Tote front (old)"},
               {"src": f"{MERCHANT}/tote-2.jpg", "alt": "Tote back (old)"},
               {"src": f"{MERCHANT}/tote-3.jpg", "alt": "Tote on a shoulder"}]},
    {"title": "Wool Beanie", "handle": "wool-beanie", "vendor": "Harbor", "product_type": "Hats",
     "tags": ["winter"],
     "variants": [{"sku": "BEANIE-RED", "barcode": "0004001"}, {"sku": "BEANIE-BLUE", "barcode": "0004002"}],
     "media": []},
    {"title": "Leather Belt", "handle": "leather-belt", "vendor": "Harbor", "product_type": "Accessories",
     "tags": ["leather"],
     "variants": [{"sku": "BELT-BRN", "barcode": "0005001"}],
     "media": [{"src": f"{MERCHANT}/belt-hero.jpg", "alt": "Belt hero"},
               {"src": f"{MERCHANT}/belt-detail.jpg", "alt": "Buckle detail"}]},
    {"title": "Rain Jacket", "handle": "rain-jacket", "vendor": "Northwind", "product_type": "Outerwear",
     "tags": ["rain", "outdoor"],
     "variants": [{"sku": "JKT-YEL-M", "barcode": "0006001"}],
     "media": [{"src": f"{MERCHANT}/jacket-flat.jpg", "alt": "Jacket flat lay"}]},
]


def asset(public_id: str, sku: str | list[str], seq: int, *, resource_type: str = "image", fmt: str = "jpg",
          asset_type: str = "product", display_name: str | None = None, version: int = 1763800000) -> dict:
    return {"public_id": public_id, "resource_type": resource_type, "type": "upload", "format": fmt,
            "version": version, "display_name": display_name or public_id.rsplit("/", 1)[-1].replace("_", " "),
            "alt": None, "tags": [], "context": {},
            "metadata": {"sku": sku, "sequence_number": seq, "asset_type": asset_type}}


# One sync per link mode, each with the assets the Cloudinary user selected.
SYNCS = [
    {"title": "Reset: Trail Runner gets exactly the three new studio shots",
     "link_mode": "reset",
     "assets": [asset("shoes/trail-runner/side", "TR-BLK-9", 2),
                asset("shoes/trail-runner/front", "TR-BLK-9", 1),
                asset("shoes/trail-runner/sole", "TR-BLK-9", 3)]},
    {"title": "Overwrite: Canvas Tote's first two photos are replaced in place",
     "link_mode": "overwrite",
     "assets": [asset("bags/tote/front", "TOTE-NAT", 1), asset("bags/tote/back", "TOTE-NAT", 2)]},
    {"title": "Append: two variant SKUs of City Sneaker add their groups at the end",
     "link_mode": "append",
     "assets": [asset("shoes/city/white-8-top", "CS-WHT-8", 1), asset("shoes/city/white-9-heel", "CS-WHT-9", 1),
                asset("shoes/city/white-8-side", "CS-WHT-8", 2)]},
    {"title": "Prepend: Rain Jacket gets a video (as a still with a play button) and a photo first",
     "link_mode": "prepend",
     "assets": [asset("outerwear/jacket/spin", "JKT-YEL-M", 1, resource_type="video", fmt="mp4"),
                asset("outerwear/jacket/model", "JKT-YEL-M", 2)]},
    {"title": "Position 2: Leather Belt gets a new photo after its hero shot",
     "link_mode": "position", "position": 2,
     "assets": [asset("accessories/belt/worn", "BELT-BRN", 1)]},
    {"title": "Swatches: each Wool Beanie colour gets its swatch, the product a photo",
     "link_mode": "append",
     "assets": [asset("hats/beanie/red-swatch", "BEANIE-RED", 1, asset_type="swatch"),
                asset("hats/beanie/blue-swatch", "BEANIE-BLUE", 1, asset_type="swatch"),
                asset("hats/beanie/red-model", "BEANIE-RED", 2)]},
]
