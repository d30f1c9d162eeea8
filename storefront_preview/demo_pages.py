"""Storefront preview pages for the demo: each product of a simulated store,
read through the Admin API as a theme would see it, with the Cloudinary
gallery block rendered over it, written as static HTML next to the block's
assets. Images load from Cloudinary's delivery host, as a shopper's would."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import requests

from .liquid_env import EXTENSION_ROOT, load_block, make_environment
from .objects import PRODUCT_QUERY, liquid_product
from .page import preview_page, render_block

API_VERSION = "2026-10"


def write_previews(sim_url: str, shop: str, client_id: str, out_dir: Path) -> list[tuple[str, Path, int]]:
    """(product title, page, number of AssetLink assets) for every product."""
    token = requests.post(f"{sim_url}/_sim/shops/{shop}/access_tokens", json={"client_id": client_id},
                          timeout=30).json()["access_token"]
    products = requests.get(f"{sim_url}/_sim/shops/{shop}", timeout=30).json()["products"]
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(EXTENSION_ROOT / "assets", out_dir / "assets", dirs_exist_ok=True)
    env, gallery = make_environment(shop), load_block("product-gallery")
    pages = []
    for summary in products:
        response = requests.post(f"{sim_url}/{shop}/admin/api/{API_VERSION}/graphql.json",
                                 json={"query": PRODUCT_QUERY, "variables": {"id": summary["id"]}},
                                 headers={"X-Shopify-Access-Token": token}, timeout=30)
        product = liquid_product(response.json()["data"]["product"])
        entries = (product["metafields"]["cloudinary"].get("productmedia_v1") or {}).get("value") or []
        body = render_block(env, gallery, product)
        note = (f"{len(entries)} AssetLink assets, delivered by Cloudinary (cloud "
                f"{entries[0]['cloud_name']}), in the synced order." if entries else
                "No AssetLink assets: the block renders nothing and the theme's own gallery stays.")
        page = out_dir / f"{re.sub(r'[^a-z0-9-]', '-', product['handle'])}.html"
        page.write_text(preview_page(body, [gallery], title=product["title"], asset_base="assets", note=note),
                        encoding="utf-8")
        pages.append((product["title"], page, len(entries)))
    return pages
