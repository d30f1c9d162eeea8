"""Strict JSON comparison of a captured Shopify value with a replayed one.

Only what a scenario lists may differ: `expectedDifferences` (a matcher the
replayed value must satisfy at that path, or `ignore`) and `excludedPaths`.
Everything else must be equal: same keys, same list lengths, same scalars.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Optional

from . import jsonpath

_GID = re.compile(r"^gid://shopify/([A-Za-z0-9]+)/[^/\s]+$")


@dataclass(frozen=True)
class Rule:
    path: list[jsonpath.Step]
    matcher: Optional[str]  # None: ignore the path entirely
    raw_path: str


def rules_from(differences: Iterable[dict[str, Any]], excluded: Iterable[str]) -> list[Rule]:
    rules = []
    for diff in differences:
        path = diff["path"]
        if diff.get("ignore"):
            rules.append(Rule(jsonpath.parse(path), None, path))
        else:
            rules.append(Rule(jsonpath.parse(path), diff["matcher"], path))
    for path in excluded:
        rules.append(Rule(jsonpath.parse(path), None, path))
    return rules


def satisfies(matcher: str, value: Any) -> bool:
    """Whether a replayed value satisfies a scenario matcher."""
    if matcher == "non-empty-string":
        return isinstance(value, str) and value != ""
    if matcher == "any-string":
        return isinstance(value, str)
    if matcher == "any-number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if matcher == "iso-timestamp":
        if not isinstance(value, str):
            return False
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
            return "T" in value
        except ValueError:
            return False
    if matcher.startswith("shopify-gid:"):
        match = _GID.match(value) if isinstance(value, str) else None
        return match is not None and match.group(1) == matcher.split(":", 1)[1]
    if matcher.startswith("exact-string:"):
        return value == matcher.split(":", 1)[1]
    if matcher.startswith("regex:"):
        return isinstance(value, str) and re.search(matcher.split(":", 1)[1], value) is not None
    if matcher == "jsonl-string":
        return jsonl_records(value) is not None
    raise ValueError(f"Unknown matcher {matcher!r}")


def diff(expected: Any, actual: Any, rules: list[Rule], limit: int = 10,
         generated: frozenset[str] = frozenset()) -> list[str]:
    """Differences between the captured and replayed values, as readable
    lines (empty when they conform). `generated` are ids Shopify gave objects
    the replayed requests create: the replay gives them its own, so such an
    id matches any id of the same type (as a `shopify-gid:` matcher would)."""
    out: list[str] = []

    def rule_for(path: tuple[Any, ...]) -> Optional[Rule]:
        for rule in rules:
            if jsonpath.matches(rule.path, path):
                return rule
        return None

    def where(path: tuple[Any, ...]) -> str:
        return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)

    def walk(exp: Any, act: Any, path: tuple[Any, ...]) -> None:
        if len(out) >= limit:
            return
        rule = rule_for(path)
        if rule is not None and rule.matcher == "jsonl-string" and isinstance(exp, list):
            # Shopify's JSONL recorded as its records: the replay's body must be
            # JSONL of the same records (compared as any value is).
            records = jsonl_records(act)
            if records is None:
                out.append(f"{where(path)}: {_short(act)} is not JSONL")
            else:
                walk_records(exp, records, path)
            return
        if rule is not None:
            if rule.matcher is not None and exp is not jsonpath.MISSING and not satisfies(rule.matcher, exp):
                # The matcher rejects Shopify's own captured value: it describes
                # the recording proxy's value (its local URLs, its answer at
                # another moment), not Shopify's. Shopify's capture is the
                # reference there, whether or not the replay satisfies the
                # matcher (a replay answering as the proxy did is a disagreement
                # with Shopify, not a pass).
                if act is jsonpath.MISSING or not like_captured(exp, act):
                    out.append(f"{where(path)}: {_short(act)}, expected {_short(exp)} (the scenario's "
                               f"{rule.matcher} admits only the recording proxy's value)")
                return
            if rule.matcher is not None and act is not jsonpath.MISSING and not satisfies(rule.matcher, act):
                out.append(f"{where(path)}: {act!r} does not satisfy {rule.matcher}")
            elif rule.matcher is not None and act is jsonpath.MISSING and exp is not jsonpath.MISSING:
                out.append(f"{where(path)}: missing (expected {rule.matcher})")
            return
        if isinstance(exp, dict) and isinstance(act, dict):
            for key in exp:
                walk(exp[key], act.get(key, jsonpath.MISSING), path + (key,))
            for key in act:
                if key not in exp and rule_for(path + (key,)) is None:
                    out.append(f"{where(path + (key,))}: unexpected key (value {_short(act[key])})")
            return
        if isinstance(exp, list) and isinstance(act, list):
            if len(exp) != len(act):
                out.append(f"{where(path)}: {len(act)} items, expected {len(exp)}")
            for n, item in enumerate(exp[: len(act)]):
                walk(item, act[n], path + (n,))
            return
        if act is jsonpath.MISSING:
            out.append(f"{where(path)}: missing, expected {_short(exp)}")
            return
        if isinstance(exp, str) and exp in generated and isinstance(act, str) and _GID.match(exp) \
                and _GID.match(act) and _GID.match(exp).group(1) == _GID.match(act).group(1):
            return
        if not _equal(exp, act):
            out.append(f"{where(path)}: {_short(act)}, expected {_short(exp)}")

    def walk_records(exp: list[Any], act: list[Any], path: tuple[Any, ...]) -> None:
        if len(exp) != len(act):
            out.append(f"{where(path)}: {len(act)} JSONL records, expected {len(exp)}")
        for n, item in enumerate(exp[: len(act)]):
            walk(item, act[n], path + (n,))

    walk(expected, actual, ())
    return out


def jsonl_records(value: Any) -> Optional[list[Any]]:
    """The records of a JSONL text (one JSON value a line), None when it is not."""
    if not isinstance(value, str):
        return None
    try:
        return [json.loads(line) for line in value.splitlines() if line.strip()]
    except ValueError:
        return None


# A file on Shopify's CDN: the store's files path, the file's name (with the
# `_<uuid>` Shopify appends when the name is taken), its version.
_CDN_FILE = re.compile(r"^https://cdn\.shopify\.com/s/files/1/(\d{4}/\d{4}/\d{4})/files/(?P<stem>.+?)"
                       r"(?P<uuid>_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?(?P<ext>\.[^.?/]+)"
                       r"\?v=\d+$")


def like_captured(expected: Any, actual: Any) -> bool:
    """Whether a replayed value stands for Shopify's captured one where a
    scenario's matcher admits only the recording proxy's value: equal, or the
    same file on the store's CDN path where only what Shopify generates
    differs — the `?v=` version (a time), and a `_<uuid>` Shopify appended to
    a name the live store already held (the replay's store holds only what
    the capture shows). Not the other way: a replay appending a `_<uuid>`
    where Shopify did not thinks a name taken that was free — a real
    disagreement."""
    if _equal(expected, actual):
        return True
    if isinstance(expected, str) and isinstance(actual, str):
        a, b = _CDN_FILE.match(expected), _CDN_FILE.match(actual)
        if a is None or b is None or (a.group(1), a["stem"], a["ext"]) != (b.group(1), b["stem"], b["ext"]):
            return False
        return a["uuid"] is not None or b["uuid"] is None
    return False


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def _short(value: Any, width: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"
