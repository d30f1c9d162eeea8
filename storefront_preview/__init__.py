"""Development tooling: render the theme app extension (extensions/assetlink-theme)
outside Shopify, for the tests and the demo's storefront preview.

Shopify renders the blocks on its own servers; this package stands in for that
with python-liquid and the few Shopify-only filters and objects the blocks use,
each as Shopify documents it. It is not part of the app (never imported by
shopify_app/, cloudinary_bridge/ or jobs/) and not shipped in the wheel.
"""
from .liquid_env import EXTENSION_ROOT, Block, load_block, make_environment
from .objects import PRODUCT_QUERY, liquid_product
from .page import preview_page, render_block

__all__ = ["EXTENSION_ROOT", "Block", "PRODUCT_QUERY", "liquid_product", "load_block", "make_environment",
           "preview_page", "render_block"]
