"""A python-liquid environment that renders the extension's blocks and
snippets as Shopify would, for a given shop.

Only what the blocks use is added to standard Liquid, each as Shopify's
documentation describes it:
- `image_url` (https://shopify.dev/docs/api/liquid/filters/image_url): the
  CDN URL `//<shop>/cdn/shop/files/<filename>?v=<version>&width=<w>` of an
  image, a media object (its preview image) or an image's `src`; width or
  height is required ("If neither are specified, then an error is returned").
- `t` (https://shopify.dev/docs/api/liquid/filters/translate): the string at
  that key of locales/en.default.json, with `{{ name }}` interpolation;
  missing keys render "translation missing: en.<key>"; output is HTML-escaped
  unless the key ends in `_html` (Shopify's rule for locale files).
- `split` as Shopify's (Ruby) Liquid does it: `String#split` drops trailing
  empty strings ("a__b__" → ["a", "b"]); python-liquid keeps them.
- `{% schema %}` is not rendered by Shopify; it is read here as JSON for the
  block's settings and assets and cut from the template.
"""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import parse_qs, urlsplit

from liquid import Environment, FileSystemLoader
from liquid.builtin.filters.string import split as liquid_split

EXTENSION_ROOT = Path(__file__).resolve().parent.parent / "extensions" / "assetlink-theme"
SCHEMA = re.compile(r"{%-?\s*schema\s*-?%}(.*?){%-?\s*endschema\s*-?%}", re.S)


@dataclass(frozen=True)
class Block:
    """One app block: its Liquid (schema cut out) and its parsed schema."""

    name: str
    source: str
    schema: dict[str, Any]

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """The block's settings as a merchant who changed `overrides` has them:
        every other setting at its schema default (no default: blank)."""
        values = {s["id"]: s.get("default") for s in self.schema.get("settings", []) if "id" in s}
        unknown = set(overrides) - set(values)
        if unknown:
            raise KeyError(f"{self.name} has no settings {sorted(unknown)}")
        values.update(overrides)
        return values


def load_block(name: str, root: Path = EXTENSION_ROOT) -> Block:
    text = (root / "blocks" / f"{name}.liquid").read_text(encoding="utf-8")
    match = SCHEMA.search(text)
    if match is None:
        raise ValueError(f"blocks/{name}.liquid has no schema")
    return Block(name, SCHEMA.sub("", text), json.loads(match.group(1)))


def _ruby_split(value: Any, separator: Any) -> list[str]:
    parts = liquid_split("" if value is None else value, separator)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def _lookup(tree: Mapping[str, Any], key: str) -> Any:
    node: Any = tree
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _image_of(value: Any) -> Any:
    """What image_url accepts: an image object, a media object (its preview
    image), or a `src` string."""
    if isinstance(value, Mapping) and value.get("preview_image") and not value.get("src"):
        return value["preview_image"]
    return value


def make_environment(shop_domain: str, *, root: Path = EXTENSION_ROOT, locale: str = "en") -> Environment:
    translations = json.loads((root / "locales" / f"{locale}.default.json").read_text(encoding="utf-8"))
    env = Environment(loader=FileSystemLoader(root / "snippets", ext=".liquid"))

    def image_url(value: Any, *, width: Any = None, height: Any = None, **_: Any) -> str:
        if width is None and height is None:
            raise ValueError("image_url needs a width or a height")
        image = _image_of(value)
        src = image.get("src") if isinstance(image, Mapping) else image
        if not src:
            return ""
        filename = str(src).split("?", 1)[0].rsplit("/", 1)[-1]
        version = image.get("version") if isinstance(image, Mapping) else None
        query = [f"v={version}"] if version else []
        query += [f"width={int(width)}"] if width is not None else []
        query += [f"height={int(height)}"] if height is not None else []
        return f"//{shop_domain}/cdn/shop/files/{filename}?" + "&".join(query)

    def translate(key: Any, **variables: Any) -> str:
        text = _lookup(translations, str(key))
        if not isinstance(text, str):
            return f"translation missing: {locale}.{key}"
        for name, value in variables.items():
            text = re.sub(r"{{\s*" + re.escape(name) + r"\s*}}", str(value), text)
        return text if str(key).endswith("_html") else html.escape(text, quote=True)

    env.filters["image_url"] = image_url
    env.filters["t"] = translate
    env.filters["split"] = _ruby_split
    return env


def version_of(url: str | None) -> str | None:
    """Shopify's `?v=` of a CDN URL (what `image_url` carries on)."""
    if not url:
        return None
    return (parse_qs(urlsplit(url).query).get("v") or [None])[0]
