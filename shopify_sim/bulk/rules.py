"""Which documents may run in bulk: pure checks of a bulk query or a bulk
mutation, each answering a BulkOperationUserError as Shopify words it.

Rules and their sources (see the package docstring for [G-Q], [G-M],
[C-2026-01], [S] and [CAP]), with Shopify's words [CAP]:

- the document is at most 65,535 UTF-8 bytes ([CAP] bulk-operation-storage-
  byte-limit refuses 65,536 for both): "Query is too large (N bytes; maximum
  is 65535 bytes)" / "is too large (…)", at `["query"]`;
- it parses (graphql-ruby): "Invalid bulk query: syntax error, …" /
  "Failed to parse the mutation - syntax error, …";
- a bulk query runs a `query` operation, an import a `mutation` ([G-Q],
  [G-M]): "Invalid operation type. Only `query` operations are supported.";
- a query is valid against the schema (not captured; worded as the syntax
  case): "Invalid bulk query: <graphql-ruby message>";
- no top-level `node`/`nodes` ([G-Q] operation restrictions): "Bulk queries
  cannot contain a top level `node` field.";
- at least one connection, at most five, nested at most two levels ([S]
  bulkOperationRunQuery, [G-Q]): "Bulk queries must contain at least one
  connection.", "… cannot contain more than 5 connections.", "… cannot
  contain connections with a nesting depth greater than 2.";
- connections select `edges { node }`, not `nodes`, and a node holding a
  nested connection selects its `id` unaliased (the JSONL places children by
  `__parentId` [G-Q]); no connection inside a list field ([CAP]);
- an import runs one top-level mutation ([G-M]): "You must specify a single
  top level mutation." at `["mutation"]`, no code; any mutation may run in
  bulk ([C-2026-01]) but the bulk operation mutations themselves ([CAP]:
  bulkOperationRunMutation refused): "You must use an allowed mutation name.";
- `clientIdentifier` is 10–255 characters ([CAP]): "is too short (minimum is
  10 characters)" at `["clientIdentifier"]`.

Errors found after parsing and typing are collected in that order; a
document that does not parse, or runs the wrong kind of operation, gets that
one error (captured: a top-level `node` reports both its own error and the
missing connection).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from graphql import (DocumentNode, FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLSchema,
                     InlineFragmentNode, OperationDefinitionNode, OperationType, get_named_type, is_list_type,
                     is_non_null_type, parse, validate)
from graphql.error import GraphQLSyntaxError

from ..cost import is_connection
from ..validation import VALIDATION_RULES, shopify_validation_errors, syntax_error

MAX_DOCUMENT_BYTES = 65_535
MAX_CONNECTIONS = 5
MAX_NESTING = 2
CLIENT_IDENTIFIER_LENGTH = (10, 255)
# The bulk operation mutations cannot run inside a bulk import.
NOT_IN_BULK = frozenset({"bulkOperationRunMutation", "bulkOperationRunQuery", "bulkOperationCancel"})

INVALID, INVALID_MUTATION = "INVALID", "INVALID_MUTATION"


@dataclass(frozen=True)
class Problem:
    """One BulkOperationUserError: field path (or None), message, code (or None)."""
    field: Optional[tuple[str, ...]]
    message: str
    code: Optional[str]

    def as_user_error(self) -> dict[str, Any]:
        return {"field": list(self.field) if self.field is not None else None, "message": self.message,
                "code": self.code}


# -- the document -------------------------------------------------------------
def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _parse(text: str) -> DocumentNode | str:
    try:
        return parse(text)
    except GraphQLSyntaxError as exc:
        return syntax_error(exc)["message"]


def _operation(document: DocumentNode) -> Optional[OperationDefinitionNode]:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return operations[0] if len(operations) == 1 else None


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def fields_of(selection_set: Any, fragments: dict[str, FragmentDefinitionNode],
              seen: frozenset[str] = frozenset()) -> Iterable[FieldNode]:
    """The fields a selection set selects, fragments expanded."""
    for node in selection_set.selections if selection_set else ():
        if isinstance(node, FieldNode):
            yield node
        elif isinstance(node, InlineFragmentNode):
            yield from fields_of(node.selection_set, fragments, seen)
        elif isinstance(node, FragmentSpreadNode) and node.name.value in fragments and node.name.value not in seen:
            yield from fields_of(fragments[node.name.value].selection_set, fragments, seen | {node.name.value})


# -- bulk queries ---------------------------------------------------------------
@dataclass
class _Shape:
    """What a bulk query's structure looks like, for the restriction checks."""
    connections: int = 0
    deepest: int = 0
    via_nodes: list[str] = field(default_factory=list)
    parents_without_id: list[str] = field(default_factory=list)
    within_list: bool = False


def _field_type(parent_type: Any, node: FieldNode) -> Any:
    fields = getattr(parent_type, "fields", None) or {}
    definition = fields.get(node.name.value)
    return definition.type if definition is not None else None


def _possible_types(schema: GraphQLSchema, type_: Any) -> list[Any]:
    named = get_named_type(type_)
    if hasattr(named, "fields") and not hasattr(named, "resolve_type"):
        return [named]
    try:
        return list(schema.get_possible_types(named))
    except Exception:
        return [named]


def _selects_plain_id(node_field: FieldNode, node_type: Any, fragments: dict) -> bool:
    for child in fields_of(node_field.selection_set, fragments):
        if child.name.value == "id" and child.alias is None:
            id_type = _field_type(node_type, child)
            inner = id_type.of_type if id_type is not None and is_non_null_type(id_type) else id_type
            return getattr(inner, "name", None) == "ID"
    return False


def _walk(schema: GraphQLSchema, node: FieldNode, type_: Any, shape: _Shape, fragments: dict,
          depth: int, in_list: bool) -> None:
    """Visit a field's selection; `depth` counts the connections above it,
    `in_list` says a list field lies between it and the nearest node."""
    named = get_named_type(type_)
    if is_connection(named):
        shape.connections += 1
        shape.deepest = max(shape.deepest, depth)
        shape.within_list = shape.within_list or in_list
        name = node.name.value
        for child in fields_of(node.selection_set, fragments):
            if child.name.value == "nodes":
                shape.via_nodes.append(name)
            elif child.name.value == "edges":
                _walk_edges(schema, child, named, name, shape, fragments, depth)
        return
    if node.selection_set is None:
        return
    listy = in_list or _is_list(type_)
    for possible in _possible_types(schema, type_):
        for child in fields_of(node.selection_set, fragments):
            child_type = _field_type(possible, child)
            if child_type is not None:
                _walk(schema, child, child_type, shape, fragments, depth, listy)


def _walk_edges(schema: GraphQLSchema, edges: FieldNode, connection_type: Any, name: str, shape: _Shape,
                fragments: dict, depth: int) -> None:
    edge_type = get_named_type(connection_type.fields["edges"].type)
    for child in fields_of(edges.selection_set, fragments):
        if child.name.value != "node" or child.selection_set is None:
            continue
        node_type = edge_type.fields["node"].type
        nested = _Shape()
        for possible in _possible_types(schema, node_type):
            for grandchild in fields_of(child.selection_set, fragments):
                grandchild_type = _field_type(possible, grandchild)
                if grandchild_type is not None:
                    _walk(schema, grandchild, grandchild_type, nested, fragments, depth + 1, False)
        if nested.connections and not any(_selects_plain_id(child, p, fragments)
                                           for p in _possible_types(schema, node_type)):
            shape.parents_without_id.append(name)
        shape.connections += nested.connections
        shape.deepest = max(shape.deepest, nested.deepest)
        shape.via_nodes += nested.via_nodes
        shape.parents_without_id += nested.parents_without_id
        shape.within_list = shape.within_list or nested.within_list


def _is_list(type_: Any) -> bool:
    inner = type_.of_type if is_non_null_type(type_) else type_
    return is_list_type(inner)


def _shape_problems(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode) -> list[str]:
    fragments = _fragments(document)
    roots = list(fields_of(operation.selection_set, fragments))
    messages = [f"Bulk queries cannot contain a top level `{root.name.value}` field." for root in roots
                if root.name.value in ("node", "nodes")]
    shape = _Shape()
    for root in roots:
        root_type = _field_type(schema.query_type, root)
        if root_type is not None and root.name.value not in ("node", "nodes"):
            _walk(schema, root, root_type, shape, fragments, 0, False)
    if shape.connections == 0:
        messages.append("Bulk queries must contain at least one connection.")
    if shape.connections > MAX_CONNECTIONS:
        messages.append(f"Bulk queries cannot contain more than {MAX_CONNECTIONS} connections.")
    if shape.deepest > MAX_NESTING:
        messages.append(f"Bulk queries cannot contain connections with a nesting depth greater than {MAX_NESTING}.")
    if shape.via_nodes:
        first = shape.via_nodes[0]
        listed = ", ".join(f"'{n}'" for n in dict.fromkeys(shape.via_nodes))
        messages.append("All connection fields in a bulk query must select their contents using 'edges' > 'node', "
                        f"e.g: '{first} {{ edges {{ node {{'. Selecting via 'nodes' is not supported. "
                        f"Invalid connection fields: {listed}.")
    if shape.parents_without_id:
        listed = ", ".join(dict.fromkeys(shape.parents_without_id))
        messages.append("The parent 'node' field for a nested connection must select the 'id' field without an "
                        f"alias and must be of 'ID' return type. Connection fields without 'id': {listed}.")
    if shape.within_list:
        messages.append("Queries that contain a connection field within a list field are not currently supported.")
    return messages


def query_problems(schema: GraphQLSchema, text: str) -> list[Problem]:
    """Why `text` cannot run as a bulk query (empty: it can)."""
    def invalid(message: str) -> Problem:
        return Problem(("query",), message, INVALID)
    size = _size(text)
    if size > MAX_DOCUMENT_BYTES:
        return [invalid(f"Query is too large ({size} bytes; maximum is {MAX_DOCUMENT_BYTES} bytes)")]
    document = _parse(text)
    if isinstance(document, str):
        return [invalid(f"Invalid bulk query: {document}")]
    operation = _operation(document)
    if operation is None or operation.operation != OperationType.QUERY:
        return [invalid("Invalid operation type. Only `query` operations are supported.")]
    errors = validate(schema, document, VALIDATION_RULES)
    if errors:
        return [invalid(f"Invalid bulk query: {e['message']}") for e in shopify_validation_errors(errors, document)]
    return [invalid(m) for m in _shape_problems(schema, document, operation)]


# -- bulk mutations -------------------------------------------------------------
def mutation_problems(schema: GraphQLSchema, text: str, client_identifier: Optional[str]) -> list[Problem]:
    """Why `text` cannot run as a bulk import (the staged file aside)."""
    size = _size(text)
    if size > MAX_DOCUMENT_BYTES:
        return [Problem(("query",), f"is too large ({size} bytes; maximum is {MAX_DOCUMENT_BYTES} bytes)",
                        INVALID_MUTATION)]
    if client_identifier is not None:
        low, high = CLIENT_IDENTIFIER_LENGTH
        if len(client_identifier) < low:
            return [Problem(("clientIdentifier",), f"is too short (minimum is {low} characters)", INVALID_MUTATION)]
        if len(client_identifier) > high:
            return [Problem(("clientIdentifier",), f"is too long (maximum is {high} characters)", INVALID_MUTATION)]
    document = _parse(text)
    if isinstance(document, str):
        return [Problem(None, f"Failed to parse the mutation - {document}", INVALID_MUTATION)]
    operation = _operation(document)
    if operation is None or operation.operation != OperationType.MUTATION:
        return [Problem(None, "Invalid operation type. Only `mutation` operations are supported.", INVALID_MUTATION)]
    roots = list(fields_of(operation.selection_set, _fragments(document)))
    if len(roots) != 1:
        return [Problem(("mutation",), "You must specify a single top level mutation.", None)]
    name = roots[0].name.value
    if name in NOT_IN_BULK or name not in schema.mutation_type.fields:
        return [Problem(("mutation",), "You must use an allowed mutation name.", None)]
    return []
