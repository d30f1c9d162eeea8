"""The JSONPath subset the scenarios use: `$`, `.name`, `['name']`, `[n]`, `[*]`."""
from __future__ import annotations

import re
from typing import Any, Iterator, Union

Step = Union[str, int, None]  # None is the `[*]` wildcard
MISSING = object()

_TOKEN = re.compile(r"\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[\*\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


def parse(path: str) -> list[Step]:
    if not path.startswith("$"):
        raise ValueError(f"JSONPath must start with $: {path!r}")
    steps: list[Step] = []
    pos = 1
    while pos < len(path):
        match = _TOKEN.match(path, pos)
        if match is None:
            raise ValueError(f"Unsupported JSONPath {path!r} at {pos}")
        name, index, quoted, dquoted = match.groups()
        if name is not None:
            steps.append(name)
        elif index is not None:
            steps.append(int(index))
        elif quoted is not None or dquoted is not None:
            steps.append(quoted if quoted is not None else dquoted)
        else:
            steps.append(None)
        pos = match.end()
    return steps


def get(data: Any, path: str, default: Any = MISSING) -> Any:
    """The value at a path without wildcards (`default` when absent)."""
    node = data
    for step in parse(path):
        if isinstance(step, int) and isinstance(node, list) and -len(node) <= step < len(node):
            node = node[step]
        elif isinstance(step, str) and isinstance(node, dict) and step in node:
            node = node[step]
        else:
            return default
    return node


def matches(pattern: list[Step], concrete: tuple[Any, ...]) -> bool:
    """Whether a concrete path (keys and indexes) is the pattern's."""
    if len(pattern) != len(concrete):
        return False
    for want, have in zip(pattern, concrete):
        if want is None:
            if not isinstance(have, int):
                return False
        elif want != have:
            return False
    return True


def iter_values(data: Any, path: str) -> Iterator[Any]:
    """Every value a (possibly wildcard) path selects."""
    def walk(node: Any, steps: list[Step]) -> Iterator[Any]:
        if not steps:
            yield node
            return
        step, rest = steps[0], steps[1:]
        if step is None:
            if isinstance(node, list):
                for item in node:
                    yield from walk(item, rest)
        elif isinstance(step, int):
            if isinstance(node, list) and -len(node) <= step < len(node):
                yield from walk(node[step], rest)
        elif isinstance(node, dict) and step in node:
            yield from walk(node[step], rest)
    yield from walk(data, parse(path))


def project(data: Any, paths: list[str]) -> dict[str, list[Any]]:
    """`selectedPaths`: the values each path selects, keyed by path."""
    return {p: list(iter_values(data, p)) for p in paths}


def prune(data: Any, paths: list[str]) -> Any:
    """`selectedPaths` as a value of the same shape keeping only what the
    paths select (lists keep their length; objects keep the selected keys),
    so a scenario's `expectedDifferences` paths still apply to it."""
    def keep(node: Any, steps: list[Step], into: Any) -> Any:
        if not steps:
            return node
        step, rest = steps[0], steps[1:]
        if isinstance(node, list) and (step is None or isinstance(step, int)):
            out = into if isinstance(into, list) and len(into) == len(node) else [MISSING] * len(node)
            for n, item in enumerate(node):
                if step is None or step == n or (isinstance(step, int) and step == n - len(node)):
                    out[n] = keep(item, rest, out[n])
            return out
        if isinstance(node, dict) and isinstance(step, str) and step in node:
            out = into if isinstance(into, dict) else {}
            out[step] = keep(node[step], rest, out.get(step, MISSING))
            return out
        return into

    result: Any = MISSING
    for path in paths:
        result = keep(data, parse(path), result)
    return _drop_missing(result)


def _drop_missing(node: Any) -> Any:
    if isinstance(node, list):
        # Items no path selected: dropped at the end (`$[0]`…`$[4]` keeps five),
        # kept as placeholders between selected ones.
        while node and node[-1] is MISSING:
            node = node[:-1]
        return [_drop_missing(v) if v is not MISSING else {} for v in node]
    if isinstance(node, dict):
        return {k: _drop_missing(v) for k, v in node.items() if v is not MISSING}
    return None if node is MISSING else node
