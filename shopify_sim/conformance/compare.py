"""Strict JSON comparison of a captured Shopify value with a replayed one.

Only what a scenario lists may differ: `expectedDifferences` (a matcher the
replayed value must satisfy at that path, or `ignore`) and `excludedPaths`.
Everything else must be equal: same keys, same list lengths, same scalars.
"""
from __future__ import annotations

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
        return isinstance(value, str)
    raise ValueError(f"Unknown matcher {matcher!r}")


def diff(expected: Any, actual: Any, rules: list[Rule], limit: int = 10) -> list[str]:
    """Differences between the captured and replayed values, as readable
    lines (empty when they conform)."""
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
        if rule is not None:
            if rule.matcher is not None and act is not jsonpath.MISSING and not satisfies(rule.matcher, act):
                note = ""
                if exp is not jsonpath.MISSING and not satisfies(rule.matcher, exp):
                    # The rule admits only the recording proxy's own value.
                    note = f" (Shopify's captured {_short(exp, 60)} fails it too)"
                out.append(f"{where(path)}: {act!r} does not satisfy {rule.matcher}{note}")
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
        if not _equal(exp, act):
            out.append(f"{where(path)}: {_short(act)}, expected {_short(exp)}")

    walk(expected, actual, ())
    return out


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def _short(value: Any, width: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"
