"""A storefront page around one rendered app block, as Shopify serves it:
the block's stylesheet and script (from its schema) in the head, the block's
HTML in the page. Assets are referenced under `asset_base` (a URL the caller
serves the extension's assets/ folder at, or a relative folder)."""
from __future__ import annotations

import html
from typing import Any, Mapping

from liquid import Environment

from .liquid_env import Block


def render_block(env: Environment, block: Block, product: Mapping[str, Any], *, block_id: str = "assetlink1",
                 **settings: Any) -> str:
    template = env.from_string(block.source)
    return template.render(product=product, block={"id": block_id, "settings": block.settings(**settings),
                                                    "shopify_attributes": ""})


def preview_page(body: str, blocks: list[Block], *, title: str, asset_base: str, note: str = "") -> str:
    head = []
    for name in dict.fromkeys(b.schema.get("stylesheet") for b in blocks if b.schema.get("stylesheet")):
        head.append(f'<link rel="stylesheet" href="{asset_base}/{name}">')
    for name in dict.fromkeys(b.schema.get("javascript") for b in blocks if b.schema.get("javascript")):
        head.append(f'<script src="{asset_base}/{name}" defer></script>')
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
  body {{ margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a; }}
  .preview-product {{ display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 40px;
    max-width: 1200px; margin: 0 auto; padding: 32px 24px; }}
  .preview-product h1 {{ font-size: 28px; margin: 0 0 8px; }}
  .preview-note {{ color: #666; font-size: 14px; }}
  @media (max-width: 749px) {{
    .preview-product {{ grid-template-columns: minmax(0, 1fr); gap: 16px; padding: 16px; }} }}
</style>
{chr(10).join(head)}
</head>
<body>
<main class="preview-product">
<div class="preview-media">{body}</div>
<div class="preview-info"><h1>{html.escape(title)}</h1><p class="preview-note">{html.escape(note)}</p></div>
</main>
</body>
</html>
"""
