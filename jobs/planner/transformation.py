"""Cloudinary transformation strings: parse and validate.

Grammar (https://cloudinary.com/documentation/transformation_reference):

    transformation := step ( "/" step )*
    step           := param ( "," param )*
    param          := key "_" value          e.g. w_1200, c_fill, l_text:Arial_60:Hi
                    | "$" name "_" value     user-defined variable
    key            := one of PARAMETERS (the URL keys pycloudinary emits)

A value runs to the next "," or "/" (a literal comma or slash in a text
overlay is percent-encoded). Keys with a closed set of values (crop modes,
quality, formats, numbers) are checked further; the rest only for safe
characters, so a valid but rare Cloudinary feature is never refused.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MAX_LENGTH = 2000
MAX_STEPS = 30

NUMBER = r"-?(\d+(\.\d*)?|\.\d+)"
VARIABLE = r"\$[A-Za-z][A-Za-z0-9]*"
# Arithmetic expressions such as iw_div_2 or $w_mul_0.5 or ih_sub_10.
EXPRESSION = rf"(({NUMBER}|{VARIABLE}|[a-z]{{1,4}})(_(add|sub|mul|div|mod|pow)_({NUMBER}|{VARIABLE}|[a-z]{{1,4}}))*)"
SAFE_VALUE = re.compile(r"^[A-Za-z0-9_.:$!*+\-%~@()=;^]+$")

CROP_MODES = {"scale", "fit", "limit", "mfit", "fill", "lfill", "pad", "lpad", "mpad", "fill_pad", "crop", "thumb",
              "imagga_crop", "imagga_scale", "auto", "auto_pad"}


def _pattern(regex: str) -> re.Pattern[str]:
    return re.compile(rf"^(?:{regex})$")


DIMENSION = _pattern(rf"{EXPRESSION}|auto(:[A-Za-z0-9_]+)*|{NUMBER}p")
VALUE_RULES: dict[str, tuple[re.Pattern[str], str]] = {
    "w": (DIMENSION, "a width: pixels, a fraction, `auto` or an expression"),
    "h": (DIMENSION, "a height: pixels, a fraction, `auto` or an expression"),
    "x": (DIMENSION, "an offset: pixels, a fraction or an expression"),
    "y": (DIMENSION, "an offset: pixels, a fraction or an expression"),
    "z": (_pattern(EXPRESSION), "a zoom factor"),
    "q": (_pattern(rf"auto(:(best|good|eco|low))?|(100|[1-9]\d?)(:[a-z0-9_]+)*|{VARIABLE}"),
          "`auto`, `auto:good` etc. or a quality from 1 to 100"),
    "f": (_pattern(r"auto(:(image|video|animated))?|[a-z0-9]{2,5}"), "a format such as `auto`, `jpg` or `webp`"),
    "dpr": (_pattern(rf"auto|{NUMBER}|{VARIABLE}"), "`auto` or a number"),
    "ar": (_pattern(rf"{NUMBER}(:{NUMBER})?|{VARIABLE}"), "an aspect ratio such as `16:9` or `1.5`"),
    "o": (_pattern(EXPRESSION), "an opacity from 0 to 100"),
    "a": (_pattern(rf"{EXPRESSION}|(auto_right|auto_left|ignore|vflip|hflip|exif)(\.[a-z_0-9]+)*"),
          "an angle in degrees or a mode such as `auto_right`"),
    "r": (_pattern(rf"max|{EXPRESSION}(:{EXPRESSION}){{0,3}}"), "a radius in pixels or `max`"),
    "g": (_pattern(r"[a-z_]+(:[a-z0-9_]+)*"), "a gravity such as `auto`, `center` or `face`"),
    "fl": (_pattern(r"[a-z0-9_]+(:[a-z0-9_]+)*(\.[a-z0-9_]+(:[a-z0-9_]+)*)*"), "flags such as `progressive`"),
    "e": (_pattern(r"[a-z0-9_]+(:[^,/]+)*"), "an effect such as `sharpen` or `grayscale`"),
    "t": (_pattern(r"[A-Za-z0-9_\-.]+"), "a named transformation"),
    "so": (_pattern(rf"auto|{NUMBER}p?|{VARIABLE}"), "a start offset in seconds, a percentage or `auto`"),
    "eo": (_pattern(rf"{NUMBER}p?|{VARIABLE}"), "an end offset in seconds or a percentage"),
    "du": (_pattern(rf"{NUMBER}p?|{VARIABLE}"), "a duration in seconds or a percentage"),
    "fps": (_pattern(rf"{NUMBER}(-({NUMBER})?)?"), "frames per second or a range"),
    "ki": (_pattern(NUMBER), "a keyframe interval in seconds"),
    "dl": (_pattern(NUMBER), "a delay in milliseconds"),
    "pg": (_pattern(r"[0-9;\-]+|name:[^,/]+|embedded:[^,/]+"), "a page or layer number"),
    "dn": (_pattern(NUMBER), "a density in dpi"),
}

# Every URL key of pycloudinary's `generate_transformation_string`, plus the
# conditional `if`.
PARAMETERS = {
    "a", "ac", "af", "ar", "b", "bo", "br", "c", "co", "cs", "d", "dl", "dn", "dpr", "du", "e", "eo", "f", "fl",
    "fn", "fps", "g", "h", "if", "ki", "l", "o", "p", "pg", "q", "r", "so", "sp", "t", "u", "vc", "vs", "w", "x",
    "y", "z",
}


# -- the same grammar as JSON Schema patterns (the OpenAPI document) ----------------------------

SAFE_CHARS = r"[A-Za-z0-9_.:$!*+\-%~@()=;^]"


def _value_regex(key: str) -> str:
    if key == "c":
        return "(" + "|".join(sorted(CROP_MODES, key=len, reverse=True)) + ")"
    rule = VALUE_RULES.get(key)
    if rule is None:
        return SAFE_CHARS + "+"
    # The rule's own regex, its "anything but , and /" narrowed to the safe characters.
    # (\d would admit other scripts' digits, which SAFE_VALUE refuses.)
    return "(" + rule[0].pattern[len("^(?:"):-len(")$")].replace("[^,/]", SAFE_CHARS).replace("\\d", "[0-9]") + ")"


def _param_regex() -> str:
    """Keys sharing a value rule share one alternative, which keeps the
    pattern small enough for every validator (and a fuzzer) to compile."""
    by_value: dict[str, list[str]] = {}
    for key in sorted(PARAMETERS):
        by_value.setdefault(_value_regex(key), []).append(key)
    alternatives = [f"({'|'.join(keys)})_{value}" for value, keys in by_value.items()]
    return "(" + "|".join(alternatives) + rf"|{VARIABLE}_{SAFE_CHARS}+)"


PARAM_REGEX = _param_regex()
# What `parse` accepts, but for what a plain regular expression can't state
# compactly, which `not` refuses: a key twice in one step (REPEATED_KEY),
# more than MAX_STEPS steps (TOO_MANY_STEPS); maxLength is MAX_LENGTH.
# Steps are joined by "/" and parameters by ",", and neither may be empty:
# one parameter after another, each after either separator.
PATTERN = rf"^({PARAM_REGEX}([,/]{PARAM_REGEX})*)?$"
REPEATED_KEY = r"(^|/)([^/]*,)?(?!if_)([a-z]+|\$[A-Za-z][A-Za-z0-9]*)_[^,/]*,([^/]*,)?\3_"
TOO_MANY_STEPS = rf"^([^/]*/){{{MAX_STEPS}}}"


def json_schema(schema: dict[str, Any]) -> None:
    """Put the grammar into a string field's JSON Schema (pydantic hook)."""
    schema["pattern"] = PATTERN
    schema["not"] = {"anyOf": [{"pattern": REPEATED_KEY}, {"pattern": TOO_MANY_STEPS}]}


class TransformationError(ValueError):
    """The string is not a Cloudinary transformation; the message says where."""


@dataclass(frozen=True)
class Param:
    key: str
    value: str

    def __str__(self) -> str:
        return f"{self.key}_{self.value}"


def parse(text: str) -> list[list[Param]]:
    """Steps of parameters; raises TransformationError on anything invalid."""
    if text == "":
        return []
    if len(text) > MAX_LENGTH:
        raise TransformationError(f"is longer than {MAX_LENGTH} characters")
    raw_steps = text.split("/")
    if len(raw_steps) > MAX_STEPS:
        raise TransformationError(f"has more than {MAX_STEPS} chained steps")
    steps = []
    for number, raw_step in enumerate(raw_steps, start=1):
        where = f"step {number}" if len(raw_steps) > 1 else "the transformation"
        if raw_step == "":
            raise TransformationError(f"{where} is empty (check for a doubled, leading or trailing '/')")
        params: list[Param] = []
        seen: set[str] = set()
        for raw in raw_step.split(","):
            param = _parse_param(raw, where)
            if param.key in seen and param.key != "if":
                raise TransformationError(f"{where} sets '{param.key}' twice")
            seen.add(param.key)
            params.append(param)
        steps.append(params)
    return steps


def _parse_param(raw: str, where: str) -> Param:
    if raw == "":
        raise TransformationError(f"{where} has an empty parameter (check for a doubled or trailing ',')")
    key, sep, value = raw.partition("_")
    if not sep or value == "":
        raise TransformationError(f"'{raw}' in {where} needs a value, as in 'w_1200'")
    if key.startswith("$"):
        if not re.fullmatch(r"\$[A-Za-z][A-Za-z0-9]*", key):
            raise TransformationError(f"'{key}' in {where} is not a valid variable name")
    elif key not in PARAMETERS:
        raise TransformationError(f"'{key}' in {where} is not a Cloudinary transformation parameter")
    if not SAFE_VALUE.match(value):
        raise TransformationError(f"'{raw}' in {where} contains characters Cloudinary URLs don't allow "
                                  "(percent-encode them)")
    if key == "c" and value not in CROP_MODES:
        raise TransformationError(f"'{value}' in {where} is not a crop mode (one of {', '.join(sorted(CROP_MODES))})")
    rule = VALUE_RULES.get(key)
    if rule is not None and not rule[0].match(value):
        raise TransformationError(f"'{raw}' in {where}: '{key}' takes {rule[1]}")
    return Param(key, value)


def validate(text: str) -> str:
    parse(text)
    return text
