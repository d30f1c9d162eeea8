"""Shopify's JSONL lines, byte for byte: compact JSON, one object per line,
each line ending in "\\n", UTF-8, with "/" written "\\/" and "&", "<", ">",
U+2028, U+2029 written as \\u escapes (Ruby's JSON with ActiveSupport's
escaping).

Captured: the result file of a bulk mutation reads
`{"data":{"productCreate":{"product":{"id":"gid:\\/\\/shopify\\/Product\\/…"…},"__lineNumber":0}`;
the 1,459 records of a product export (bulk-operation-status-catalog-cancel)
add up to its recorded `byteLength` of 116,246 only with these escapes (one
title holds a "&", written "\\u0026").
"""
from __future__ import annotations

import json
from typing import Any, Iterable

_ESCAPES = {"/": "\\/", "&": "\\u0026", "<": "\\u003c", ">": "\\u003e", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_TABLE = str.maketrans(_ESCAPES)


def line(value: Any) -> bytes:
    """One JSONL line (with its newline) as Shopify writes it."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    # The escaped characters never occur inside JSON's own syntax outside
    # strings, so translating the whole text escapes exactly the strings.
    return (text.translate(_TABLE) + "\n").encode("utf-8")


def read(data: bytes) -> Iterable[tuple[int, str]]:
    """The lines of an uploaded JSONL file with their (zero-based) numbers;
    blank lines are skipped but keep their place in the numbering."""
    for number, raw in enumerate(data.decode("utf-8", errors="replace").splitlines()):
        if raw.strip():
            yield number, raw
