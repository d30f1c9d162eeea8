"""Transformation strings in delivery URLs: Cloudinary's grammar, checked.

https://cloudinary.com/documentation/transformation_reference and
https://cloudinary.com/documentation/image_transformations#transformation_url_structure:
a transformation is one or more components separated by `/` (chained), each
a comma-separated list of `key_value` parameters (`w_400,h_300,c_fill`); a
named transformation is `t_<name>`; user-defined variables are `$name_value`;
a conditional starts a component with `if_…` and ends with `if_end`. The keys
accepted are the URL keys of the reference (those pycloudinary's
`generate_transformation_string` writes, plus the conditional `if`). Values of
keys with a closed grammar (crop and gravity modes, dimensions, quality,
formats, offsets, colours, angles, opacity) are checked; an unknown key or a
malformed value makes the URL answer 400 with the reason in X-Cld-Error (the
exact wording of Cloudinary's messages is not documented; these name the
parameter and the value).

`plan(...)` reduces a parsed transformation to what the simulator renders:
the output size (w/h/c/ar/dpr as the reference defines them), the video frame
offset (`so`) and the requested format/quality.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from .errors import DeliveryError

MAX_COMPONENTS = 30

NUMBER = r"-?(?:\d+(?:\.\d*)?|\.\d+)"
VARIABLE = r"\$[A-Za-z][A-Za-z0-9]*"
# Predefined variables of arithmetic expressions (transformation_reference
# "Arithmetic expressions" / user-defined variables): w, h, iw, ih, ar, …
PREDEFINED = r"(?:iw|ih|iar|ar|cw|ch|fc|pc|px|py|dpr|idu|du|aw|ah|ow|oh|w|h|pg|bw|bh|initial_width|initial_height)"
OPERAND = rf"(?:{NUMBER}|{VARIABLE}|{PREDEFINED})"
EXPRESSION = rf"{OPERAND}(?:_(?:add|sub|mul|div|mod|pow)_{OPERAND})*"

CROP_MODES = {"scale", "fit", "limit", "mfit", "fill", "lfill", "pad", "lpad", "mpad", "fill_pad", "crop", "thumb",
              "imagga_crop", "imagga_scale", "auto", "auto_pad"}
GRAVITIES = {"north_west", "north", "north_east", "west", "center", "east", "south_west", "south", "south_east",
             "xy_center", "face", "faces", "face_center", "faces_center", "liquid", "ocr_text", "custom", "auto",
             "body", "adv_face", "adv_faces", "adv_eyes", "center_object"}
IMAGE_FORMATS = {"jpg", "jpe", "jpeg", "jpc", "jp2", "j2k", "wdp", "jxr", "hdp", "png", "gif", "webp", "bmp", "tif",
                 "tiff", "ico", "pdf", "ps", "ept", "eps", "eps3", "psd", "svg", "ai", "djvu", "flif", "avif",
                 "heic", "heif", "jxl", "arw", "cr2", "tga"}
VIDEO_FORMATS = {"mp4", "webm", "mov", "ogv", "flv", "m3u8", "ts", "mkv", "mpd", "avi", "3gp", "3g2", "wmv", "mpeg",
                 "mpg", "m2ts", "mts"}
AUDIO_FORMATS = {"mp3", "aac", "m4a", "wav", "ogg", "flac", "aiff", "amr", "opus"}


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"^(?:{pattern})$")


DIMENSION = _re(rf"{EXPRESSION}|auto(?::[A-Za-z0-9_]+)*|{NUMBER}p")
COLOR = _re(r"[a-z]+|rgb:[0-9a-fA-F]{3,8}|auto(?::[a-z_0-9:]+)?|gen_fill(?::[^,/]+)?|blurred(?::\d+)*|"
            r"\$[A-Za-z][A-Za-z0-9]*|[#]?[0-9a-fA-F]{6}")
RULES: dict[str, tuple[re.Pattern[str], str]] = {
    "w": (DIMENSION, "width"),
    "h": (DIMENSION, "height"),
    "x": (DIMENSION, "x"),
    "y": (DIMENSION, "y"),
    "z": (_re(EXPRESSION), "zoom"),
    "c": (_re("|".join(sorted(CROP_MODES))), "crop mode"),
    "g": (_re(r"[a-z_]+(?::[a-z0-9_]+)*"), "gravity"),
    "q": (_re(rf"auto(?::(?:best|good|eco|low))?|(?:100|[1-9]\d?)(?::[a-z0-9_]+)*|{VARIABLE}"), "quality"),
    "f": (_re(r"auto(?::(?:image|video|animated))?|[a-z0-9]{2,5}"), "format"),
    "dpr": (_re(rf"auto|{NUMBER}|{VARIABLE}"), "dpr"),
    "ar": (_re(rf"{NUMBER}(?::{NUMBER})?|{VARIABLE}"), "aspect ratio"),
    "o": (_re(EXPRESSION), "opacity"),
    "a": (_re(rf"{EXPRESSION}|(?:auto_right|auto_left|ignore|vflip|hflip|exif)(?:\.[a-z_0-9]+)*"), "angle"),
    "r": (_re(rf"max|{EXPRESSION}(?::{EXPRESSION}){{0,3}}"), "radius"),
    "b": (COLOR, "background"),
    "co": (COLOR, "color"),
    "bo": (_re(r"\d+px_solid_(?:[a-z]+|rgb:[0-9a-fA-F]{3,8})|[0-9a-zA-Z_:]+"), "border"),
    "fl": (_re(r"[a-z0-9_]+(?::[a-z0-9_]+)*(?:\.[a-z0-9_]+(?::[a-z0-9_]+)*)*"), "flag"),
    "e": (_re(r"[a-z0-9_]+(?::[^,/]+)*"), "effect"),
    "t": (_re(r"[A-Za-z0-9_\-.]+"), "named transformation"),
    "so": (_re(rf"auto|{NUMBER}p?|{VARIABLE}"), "start offset"),
    "eo": (_re(rf"{NUMBER}p?|{VARIABLE}"), "end offset"),
    "du": (_re(rf"{NUMBER}p?|{VARIABLE}"), "duration"),
    "fps": (_re(rf"{NUMBER}(?:-(?:{NUMBER})?)?"), "fps"),
    "ki": (_re(NUMBER), "keyframe interval"),
    "dl": (_re(NUMBER), "delay"),
    "pg": (_re(r"[0-9;\-]+|name:[^,/]+|embedded:[^,/]+"), "page"),
    "dn": (_re(NUMBER), "density"),
    "vc": (_re(r"auto|none|[a-z0-9]+(?::[a-z0-9.]+)*"), "video codec"),
    "ac": (_re(r"none|aac|vorbis|mp3|opus"), "audio codec"),
    "br": (_re(r"\d+[km]?(?::constant)?"), "bit rate"),
    "af": (_re(r"iaf|\d+"), "audio frequency"),
    "sp": (_re(r"[A-Za-z0-9_\-:]+"), "streaming profile"),
    "vs": (_re(r"\d+s?"), "video sampling"),
    "cs": (_re(r"srgb|no_cmyk|keep_cmyk|tinysrgb|cmyk|copy|icc:[^,/]+"), "color space"),
    # Layers and variables carry free text (percent-encoded where needed).
    "l": (_re(r"[^,/]+"), "overlay"),
    "u": (_re(r"[^,/]+"), "underlay"),
    "d": (_re(r"[^,/]+"), "default image"),
    "p": (_re(r"[^,/]+"), "prefix"),
    "fn": (_re(r"[^,/]+"), "custom function"),
    "if": (_re(r"[^,/]+"), "condition"),
}


@dataclass
class Plan:
    """What the simulator renders for a transformation."""
    width: Optional[float] = None     # pixels, or a fraction (<= 1.0) of the original
    height: Optional[float] = None
    crop: str = "scale"
    background: str = "white"
    start_offset: Optional[str] = None
    format: Optional[str] = None
    quality: Optional[int] = None
    named: list[str] = field(default_factory=list)


def looks_like_transformation(segment: str) -> bool:
    """Whether a URL path segment is meant as a transformation component (its
    first parameter starts with a known key and `_`), not a folder name."""
    first = segment.split(",", 1)[0]
    key, sep, _ = first.partition("_")
    return bool(sep) and (key in RULES or (key.startswith("$") and len(key) > 1))


def parse(text: str) -> list[list[tuple[str, str]]]:
    """Components of (key, value) parameters; DeliveryError(400) when malformed."""
    components = text.split("/")
    if len(components) > MAX_COMPONENTS:
        raise DeliveryError(400, f"Too many transformation components ({len(components)})")
    parsed = []
    for component in components:
        if component == "":
            raise DeliveryError(400, "Empty transformation component")
        params = []
        seen: set[str] = set()
        for raw in component.split(","):
            key, sep, value = raw.partition("_")
            if not sep or value == "":
                raise DeliveryError(400, f"Invalid transformation component - {raw}")
            if key.startswith("$"):
                if not re.match(r"^\$[A-Za-z][A-Za-z0-9]*$", key):
                    raise DeliveryError(400, f"Invalid variable name - {key}")
            elif key not in RULES:
                raise DeliveryError(400, f"Invalid transformation component - {raw}")
            else:
                pattern, name = RULES[key]
                if not pattern.match(value):
                    raise DeliveryError(400, f"Invalid {name} - {value}")
            if key in seen and key != "if":
                raise DeliveryError(400, f"Duplicate parameter {key} in transformation component {component}")
            seen.add(key)
            params.append((key, value))
        parsed.append(params)
    return parsed


def plan(components: list[list[tuple[str, str]]]) -> Plan:
    """The last size, crop, format and offset any component sets (chained
    components each resize the previous result; the final one decides the
    output size, which is what a delivery of it shows)."""
    result = Plan()
    for params in components:
        values = dict(params)
        if "l" in values or "u" in values or values.get("fl", "").startswith("layer_apply"):
            continue  # a layer's own size doesn't size the base image
        width, height = _number(values.get("w")), _number(values.get("h"))
        if width is not None or height is not None:
            result.width, result.height = width, height
            result.crop = values.get("c", "scale")
        if "ar" in values and (result.width or result.height):
            ratio = _ratio(values["ar"])
            if ratio:
                if result.width and not result.height:
                    result.height = max(1, round(result.width / ratio))
                elif result.height and not result.width:
                    result.width = max(1, round(result.height * ratio))
        dpr = _number(values.get("dpr"), allow_fraction=True)
        if dpr and result.width and result.width > 1:
            result.width = round(result.width * dpr)
        if dpr and result.height and result.height > 1:
            result.height = round(result.height * dpr)
        if values.get("b") and COLOR.match(values["b"]):
            result.background = values["b"]
        if "so" in values:
            result.start_offset = values["so"]
        if "f" in values and not values["f"].startswith("auto"):
            result.format = values["f"]
        quality = values.get("q", "").split(":")[0]
        if quality.isdigit():
            result.quality = int(quality)
        if "t" in values:
            result.named.append(values["t"])
    return result


def _number(text: Optional[str], allow_fraction: bool = False) -> Optional[float]:
    """A pixel count, or (up to 1.0 with a decimal point) a fraction of the
    original: `w_0.5` is half the width (transformation_reference#w_width)."""
    if text is None or not re.match(rf"^{NUMBER}$", text):
        return None
    value = float(text)
    if value <= 0:
        return None
    if allow_fraction or ("." in text and value <= 1.0):
        return value
    return int(value)


def _ratio(text: str) -> Optional[float]:
    if ":" in text:
        left, right = text.split(":", 1)
        try:
            return float(left) / float(right)
        except (ValueError, ZeroDivisionError):
            return None
    try:
        return float(text)
    except ValueError:
        return None
