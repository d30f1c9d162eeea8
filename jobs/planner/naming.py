"""Filenames and alt text for what AssetLink sends to Shopify (pure).

`all_metadata` filenames carry enough to rebuild the Cloudinary URL in a
theme. Cloudinary's published snippet (cld-et/cloudinary-shopify-theme-delivery,
assetlink/snippets/cloudinary-assetlink-url.liquid) reads them back by
splitting on `__`, taking the parts between the last part equal to `upload`
and the last part containing `cld`, and turning `-_p-` into `%`. We encode so
that this exact reading round-trips every public ID: besides `/` we
percent-encode `_` too, so an encoded ID never contains `__` (which would split
it), never ends in `_` (which would glue onto `__cld`), and never contains a
literal `-_p-` (which would decode to `%`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import unquote

from .request import Asset

ALT_MAX = 512  # Shopify: ALT_VALUE_LIMIT_EXCEEDED above this
PERCENT = "-_p-"
_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.")


def encode_public_id(public_id: str) -> str:
    """Percent-encode (UTF-8, `/` and `_` included), then write `%` as `-_p-`."""
    out = []
    for byte in public_id.encode("utf-8"):
        out.append(chr(byte) if byte in _SAFE else f"{PERCENT}{byte:02X}")
    return "".join(out)


def _encode_part(text: str) -> str:
    # Cloud names and delivery types are [a-z0-9_-]; encoding keeps a stray
    # `__` from ever shifting the snippet's part indexes.
    return encode_public_id(text)


def all_metadata_filename(cloud_name: str, resource_type: str, delivery_type: str,
                          public_id: str, extension: str) -> str:
    return (f"cloudinary__{_encode_part(cloud_name)}__{_encode_part(resource_type)}__"
            f"{_encode_part(delivery_type)}__{encode_public_id(public_id)}__cld.{extension}")


def public_id_filename(public_id: str, extension: str) -> str:
    """The public ID's last path segment and the delivered format's extension."""
    segment = public_id.rstrip("/").rsplit("/", 1)[-1] or "asset"
    return f"{segment}.{extension}"


def filename_for(asset: Asset, cloud_name: str, filename_format: str, extension: str) -> str:
    if filename_format == "all_metadata":
        return all_metadata_filename(cloud_name, asset.resource_type, asset.type, asset.public_id, extension)
    return public_id_filename(asset.public_id, extension)


@dataclass(frozen=True)
class DecodedFilename:
    cloud_name: str
    encoded_public_id: str   # what the snippet puts in the URL (still %-encoded)
    public_id: str
    extension: str
    resource_type: str | None
    delivery_type: str | None


def _liquid_split(text: str, separator: str) -> list[str]:
    """Liquid's `split` is Ruby's String#split: trailing empty parts dropped."""
    parts = text.split(separator)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def decode_filename(filename: str) -> DecodedFilename | None:
    """Read an `all_metadata` filename back exactly as the theme snippet does.

    Accepts a bare filename or a Shopify CDN URL; Shopify's `_<uuid>` suffix
    on a duplicate name lands in the `cld` part and is ignored. None when the
    name is not an AssetLink name.
    """
    name = filename.split("?", 1)[0].rsplit("/", 1)[-1]
    if "cloudinary__" not in name:
        return None
    parts = _liquid_split(name, "__")
    if len(parts) < 2:
        return None
    upload_index = cld_index = 0
    for index, part in enumerate(parts):
        if part == "upload":
            upload_index = index
        if "cld" in part:
            cld_index = index
    encoded = "__".join(parts[upload_index + 1:cld_index]) if cld_index > upload_index + 1 else ""
    if not encoded and len(parts) > 4:
        encoded = parts[4]
    encoded = encoded.replace(PERCENT, "%")
    resource_type = unquote(parts[2].replace(PERCENT, "%")) if len(parts) > 2 else None
    delivery_type = unquote(parts[3].replace(PERCENT, "%")) if len(parts) > 3 else None
    return DecodedFilename(
        cloud_name=unquote(parts[1].replace(PERCENT, "%")), encoded_public_id=encoded,
        public_id=unquote(encoded, errors="strict"), extension=name.rsplit(".", 1)[-1], resource_type=resource_type,
        delivery_type=delivery_type)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(item) for item in value if _text(item))
    if isinstance(value, dict):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _context_value(context: Mapping[str, Any], key: str) -> Any:
    # The Admin API nests contextual metadata under "custom"; the dialog may
    # send it flat. Accept both.
    if key in context:
        return context[key]
    custom = context.get("custom")
    return custom.get(key) if isinstance(custom, dict) else None


def alt_text(asset: Asset, alt_text_source: str) -> str:
    """`alt` when given, else what `alt_text_source` names; at most 512 chars."""
    text = _text(asset.alt)
    if not text:
        source, _, key = alt_text_source.partition(":")
        if source == "display_name":
            text = _text(asset.display_name) or public_id_filename(asset.public_id, "x")[:-2]
        elif source == "public_id":
            text = asset.public_id
        elif source == "metadata":
            text = _text(asset.metadata.get(key))
        elif source == "context":
            text = _text(_context_value(asset.context, key))
    return text[:ALT_MAX]
