"""Shopify's limits, each from where Shopify states it. Numbers that the
2026-10 schema's own description text states are read from it (so a schema
update carries them); the others cite the documentation page.

| limit | value | source |
|---|---|---|
| items in any input array | 250 | https://shopify.dev/docs/api/usage/limits ("Input arrays … 250"); captured media-file-create-batch-size-limit (`MAX_INPUT_SIZE_EXCEEDED`) |
| requested cost of one query | 1,000 | Shopify's *Call limit* page ("a single query may not exceed a cost of 1,000 points"); see COST.md |
| page size (`first`/`last`) | 250 | https://shopify.dev/docs/api/usage/pagination-graphql |
| media per product | 250 | Shopify Help Center, *Product media* ("up to 250 media"); `PRODUCT_MEDIA_LIMIT_EXCEEDED` |
| metafields per `metafieldsSet` | schema: `metafieldsSet(metafields:)` "Maximum of 25" |
| `metafieldsSet` request payload | schema: `metafieldsSet` "maximum total request payload size of 10MB" |
| alt text | schema: `FilesErrorCode.ALT_VALUE_LIMIT_EXCEEDED` "maximum limit of 512 characters" |
| variant–media pairs per call | schema: `MediaUserErrorCode.MAXIMUM_VARIANT_MEDIA_PAIRS_EXCEEDED` "maximum number of 100" |
| references to one file | schema: `FilesErrorCode.TOO_MANY_FILE_REFERENCE` "more than 10000 references" |
| metafield value size | json 128 KB (API ≥ 2026-04), `id`/`url` 2 KB, other types 64 KB; list types ≤ 128 items — https://shopify.dev/docs/apps/build/metafields/metafield-limits |
| `originalSource` length | 2,048 characters (captured: `INVALID_FIELD_ARGUMENTS` over it) |
| downloaded images / files | inspection.py (20 MP, 20,971,520 bytes …) |
"""
from __future__ import annotations

import functools
import re

from . import schema as schema_mod

MAX_INPUT_SIZE = 250
MAX_QUERY_COST = 1000
MAX_PAGE_SIZE = 250
MAX_PRODUCT_MEDIA = 250
MAX_SOURCE_LENGTH = 2048


@functools.lru_cache(maxsize=None)
def _types() -> dict[str, dict]:
    return {t["name"]: t for t in schema_mod.introspection()["__schema"]["types"]}


def _enum_text(enum: str, value: str) -> str:
    return next(v["description"] for v in _types()[enum]["enumValues"] if v["name"] == value)


def _mutation(name: str) -> dict:
    return next(f for f in _types()["Mutation"]["fields"] if f["name"] == name)


def _number(pattern: str, text: str) -> int:
    match = re.search(pattern, text)
    if match is None:
        raise LookupError(f"the schema no longer states {pattern!r}: {text[:200]!r}")
    return int(match.group(1).replace(",", ""))


@functools.lru_cache(maxsize=None)
def metafields_set_inputs() -> int:
    arg = next(a for a in _mutation("metafieldsSet")["args"] if a["name"] == "metafields")
    return _number(r"Maximum of (\d+)", arg["description"])


@functools.lru_cache(maxsize=None)
def metafields_set_payload_bytes() -> int:
    megabytes = _number(r"maximum total request payload size of (\d+)\s*MB", _mutation("metafieldsSet")["description"])
    return megabytes * 1024 * 1024


@functools.lru_cache(maxsize=None)
def alt_length() -> int:
    return _number(r"maximum limit of (\d+) characters", _enum_text("FilesErrorCode", "ALT_VALUE_LIMIT_EXCEEDED"))


@functools.lru_cache(maxsize=None)
def variant_media_pairs() -> int:
    return _number(r"maximum number of (\d+)", _enum_text("MediaUserErrorCode", "MAXIMUM_VARIANT_MEDIA_PAIRS_EXCEEDED"))


@functools.lru_cache(maxsize=None)
def file_references() -> int:
    return _number(r"more than (\d+) references", _enum_text("FilesErrorCode", "TOO_MANY_FILE_REFERENCE"))
