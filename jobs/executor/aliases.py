"""Several copies of one single-field document in one request, under aliases.

`productReorderMedia`, `job` and the variant media mutations take one product
each. Sending N of them as N aliased fields of one document costs the same
points as N requests but one round trip, and the pacing sees one request of
the summed cost. The documents are built from the ones in
shopify_app/admin_api/queries.py (validated against the schema there), and
built documents are validated again in tests.
"""
from __future__ import annotations

import copy
import functools
from typing import Any, Mapping, Sequence

from graphql import (FieldNode, NameNode, OperationDefinitionNode, VariableDefinitionNode, VariableNode, Visitor,
                     parse, print_ast, visit)


class _Rename(Visitor):
    def __init__(self, suffix: str) -> None:
        super().__init__()
        self.suffix = suffix

    def enter_variable(self, node: VariableNode, *_: Any) -> VariableNode:
        return VariableNode(name=NameNode(value=node.name.value + self.suffix))


@functools.lru_cache(maxsize=256)
def aliased_document(template: str, count: int) -> str:
    """`template` (one operation, one root field) repeated `count` times as
    fields a0..a{count-1} with variables suffixed _0.._{count-1}."""
    document = parse(template)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode) and len(operation.selection_set.selections) == 1
    root = operation.selection_set.selections[0]
    assert isinstance(root, FieldNode)
    definitions: list[VariableDefinitionNode] = []
    selections: list[FieldNode] = []
    for index in range(count):
        suffix = f"_{index}"
        for definition in operation.variable_definitions or ():
            definitions.append(visit(copy.deepcopy(definition), _Rename(suffix)))
        field = visit(copy.deepcopy(root), _Rename(suffix))
        field.alias = NameNode(value=f"a{index}")
        selections.append(field)
    built = copy.deepcopy(operation)
    built.name = NameNode(value=f"{operation.name.value}x{count}" if operation.name else f"Batch{count}")
    built.variable_definitions = tuple(definitions)
    built.selection_set.selections = tuple(selections)
    return print_ast(built)


def aliased_variables(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {f"{name}_{index}": value for index, item in enumerate(items) for name, value in item.items()}


def aliased_results(data: Mapping[str, Any], count: int) -> list[Any]:
    return [data.get(f"a{index}") for index in range(count)]
