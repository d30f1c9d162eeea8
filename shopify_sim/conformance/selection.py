"""What a GraphQL document selects, to read a capture as the answer to it.

A few scenarios replay a document that selects less than the one Shopify
answered when the capture was recorded (metafieldsSet-missing-namespace: "this
non-CAS scenario intentionally omits compareDigest from the selected
payload"). A GraphQL answer holds exactly the selected fields, and selecting
more does not change the others' values, so Shopify's answer to the replayed
document is the captured one without the fields the document never asks for.
Every field the document does select is still compared strictly.
"""
from __future__ import annotations

from typing import Any, Optional

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, OperationDefinitionNode, parse

from . import jsonpath

Selection = dict[str, list[Any]]  # response key → the sub-selection sets found for it


def _fields(selection_sets: list[Any], fragments: dict[str, Any], seen: Optional[set[str]] = None) -> Selection:
    out: Selection = {}
    seen = set() if seen is None else seen
    for selection_set in selection_sets:
        for node in selection_set.selections if selection_set else ():
            if isinstance(node, FieldNode):
                key = node.alias.value if node.alias else node.name.value
                out.setdefault(key, [])
                if node.selection_set is not None:
                    out[key].append(node.selection_set)
            elif isinstance(node, InlineFragmentNode):
                for key, sets in _fields([node.selection_set], fragments, seen).items():
                    out.setdefault(key, []).extend(sets)
            elif isinstance(node, FragmentSpreadNode) and node.name.value in fragments \
                    and node.name.value not in seen:
                inner = _fields([fragments[node.name.value].selection_set], fragments, seen | {node.name.value})
                for key, sets in inner.items():
                    out.setdefault(key, []).extend(sets)
    return out


def project(expected: Any, document: str, proxy_path: str) -> Any:
    """`expected` (found at `proxy_path` of an answer, e.g. `$.data.fileCreate`)
    without the object keys the document does not select there. Values outside
    `data`, or documents that do not parse, are returned unchanged."""
    steps = jsonpath.parse(proxy_path)
    if not steps or steps[0] != "data":
        return expected
    try:
        ast = parse(document)
    except Exception:
        return expected
    operations = [d for d in ast.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1:
        return expected
    fragments = {d.name.value: d for d in ast.definitions if d.kind == "fragment_definition"}
    sets = [operations[0].selection_set]
    for step in steps[1:]:
        if isinstance(step, str):
            sets = _fields(sets, fragments).get(step)
            if sets is None:
                return expected
    return _project(expected, sets, fragments)


def _project(value: Any, sets: list[Any], fragments: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [_project(item, sets, fragments) for item in value]
    if not isinstance(value, dict) or not sets:
        return value
    selected = _fields(sets, fragments)
    return {k: _project(v, selected[k], fragments) for k, v in value.items() if k in selected}


def answers_document(data: Any, document: str) -> bool:
    """Whether a recorded `data` object can be the answer to `document`: it
    holds every root field the document selects and nothing it does not.
    When it cannot, Shopify priced another document and its cost says
    nothing about this one."""
    if not isinstance(data, dict):
        return True
    try:
        ast = parse(document)
    except Exception:
        return True
    operations = [d for d in ast.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1:
        return True
    fragments = {d.name.value: d for d in ast.definitions if d.kind == "fragment_definition"}
    roots = set(_fields([operations[0].selection_set], fragments))
    return set(data) == roots and project(data, document, "$.data") == data
