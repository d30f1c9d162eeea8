"""Running a bulk query: the store's answer to the query, written as Shopify's
JSONL ([G-Q]).

Each node of a connection is one line. A node's nested connections are not
inlined: their nodes are lines of their own, after their parent's, carrying
`"__parentId"` (the parent node's `id`) as their last key; every other field
stays in the line as selected. Lines follow the store's order: a root node,
then its children connection by connection in the order the query selects
them (the grouped layout, which also satisfies the ungrouped contract that a
child comes after its parent [G-Q], so `groupObjects` changes nothing here).

A bulk query reads every node: the root connection is read page by page
(250 nodes a request, as an app would) and nested connections whole, so
pagination arguments in the query are not needed and are ignored.
`objectCount` counts every line, `rootObjectCount` the root nodes [S].
"""
from __future__ import annotations

import copy
from typing import Any, Callable, Iterator, Optional

from graphql import (ArgumentNode, DocumentNode, FieldNode, GraphQLSchema, IntValueNode, NameNode,
                     OperationDefinitionNode, SelectionSetNode, StringValueNode, get_named_type, parse)
from graphql.execution.collect_fields import collect_fields
from graphql.language import Visitor, visit

from ..cost import is_connection
from . import jsonl
from .model import Result
from .rules import _fragments, _operation, fields_of

PAGE_SIZE = 250
TYPENAME = "_bulkTypename"
PAGE_INFO = "_bulkPageInfo"
PAGINATION_ARGS = ("first", "last", "after", "before")

# Runs a document for the shop: (document, variables) → (data, errors).
Execute = Callable[[DocumentNode, dict[str, Any]], tuple[Any, list[dict[str, Any]]]]


class BulkQueryFailed(Exception):
    """The query could not be read to the end; `code` is a BulkOperationErrorCode."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


# -- the document the simulator runs --------------------------------------------
def _name(value: str) -> NameNode:
    return NameNode(value=value)


def _typename_field() -> FieldNode:
    return FieldNode(alias=_name(TYPENAME), name=_name("__typename"), arguments=(), directives=(),
                     selection_set=None)


class _Rewrite(Visitor):
    """Strips pagination arguments, pages the root connection, and asks every
    object for its type (to know which of its fields are connections)."""

    def __init__(self, root: FieldNode, after: Optional[str]) -> None:
        super().__init__()
        self.root, self.after = root, after

    def enter_field(self, node: FieldNode, *_: Any) -> Any:
        arguments = tuple(a for a in node.arguments or () if a.name.value not in PAGINATION_ARGS)
        if node is self.root:
            arguments += (ArgumentNode(name=_name("first"), value=IntValueNode(value=str(PAGE_SIZE))),)
            if self.after is not None:
                arguments += (ArgumentNode(name=_name("after"), value=StringValueNode(value=self.after)),)
            page_info = FieldNode(alias=_name(PAGE_INFO), name=_name("pageInfo"), arguments=(), directives=(),
                                  selection_set=SelectionSetNode(selections=(
                                      FieldNode(name=_name("hasNextPage"), arguments=(), directives=()),
                                      FieldNode(name=_name("endCursor"), arguments=(), directives=()))))
            selection_set = SelectionSetNode(selections=tuple(node.selection_set.selections) + (page_info,))
            new = copy.copy(node)
            new.arguments, new.selection_set = arguments, selection_set
            return new
        if len(arguments) != len(node.arguments or ()):
            new = copy.copy(node)
            new.arguments = arguments
            return new
        return None

    def leave_selection_set(self, node: SelectionSetNode, *_: Any) -> Any:
        new = copy.copy(node)
        new.selections = tuple(node.selections) + (_typename_field(),)
        return new


def _paged(document: DocumentNode, root: FieldNode, after: Optional[str]) -> DocumentNode:
    return visit(document, _Rewrite(root, after))


# -- flattening an answer into lines ----------------------------------------------
class _Flattener:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, result: Result) -> None:
        self.schema = schema
        self.fragments = _fragments(document)
        self.lines: list[bytes] = result.lines
        self.root_flags: list[bool] = result.root_flags

    def _selection(self, nodes: list[FieldNode]) -> SelectionSetNode:
        return SelectionSetNode(selections=tuple(s for n in nodes if n.selection_set
                                                 for s in n.selection_set.selections))

    def node(self, value: dict[str, Any], nodes: list[FieldNode], parent_id: Optional[str]) -> None:
        """Write one connection node (and after it, its nested connections' nodes)."""
        line, children = self._object(value, self._selection(nodes))
        if parent_id is not None:
            line["__parentId"] = parent_id
        self.lines.append(jsonl.line(line))
        self.root_flags.append(parent_id is None)
        for child_value, child_nodes in children:
            self.connection(child_value, child_nodes, value.get("id"))

    def connection(self, value: Any, nodes: list[FieldNode], parent_id: Optional[str]) -> None:
        if not isinstance(value, dict):
            return
        edge_nodes = [f for n in nodes for f in fields_of(n.selection_set, self.fragments) if f.name.value == "edges"]
        node_nodes = [f for e in edge_nodes for f in fields_of(e.selection_set, self.fragments)
                      if f.name.value == "node"]
        for edge in value.get("edges") or ():
            if isinstance(edge, dict) and isinstance(edge.get("node"), dict):
                self.node(edge["node"], node_nodes, parent_id)

    def _object(self, value: dict[str, Any], selection: SelectionSetNode) -> tuple[dict[str, Any], list]:
        """The object's own fields (nested objects inlined), and its nested
        connections to be written as lines of their own."""
        runtime = self.schema.get_type(value.get(TYPENAME) or "")
        fields = collect_fields(self.schema, self.fragments, {}, runtime, selection) if runtime else {}
        out: dict[str, Any] = {}
        children: list[tuple[Any, list[FieldNode]]] = []
        for key, item in value.items():
            if key in (TYPENAME, PAGE_INFO):
                continue
            nodes = fields.get(key) or []
            definition = runtime.fields.get(nodes[0].name.value) if runtime and nodes else None
            if definition is not None and is_connection(get_named_type(definition.type)):
                children.append((item, nodes))
                continue
            out[key] = self._plain(item, nodes, children)
        return out, children

    def _plain(self, item: Any, nodes: list[FieldNode], children: list) -> Any:
        if isinstance(item, list):
            return [self._plain(i, nodes, children) for i in item]
        if isinstance(item, dict) and TYPENAME in item:
            inner, nested = self._object(item, self._selection(nodes))
            children.extend(nested)
            return inner
        return item


# -- running -------------------------------------------------------------------------
def export(schema: GraphQLSchema, text: str, execute: Execute, result: Result) -> Iterator[None]:
    """Run a bulk query (already validated by rules.query_problems), a page at
    a time: each step reads one page into `result` and yields, so the work
    spreads over the requests that advance the operation. Raises
    BulkQueryFailed (what was read so far stays in `result`) when the store
    refuses."""
    document = parse(text)
    operation = _operation(document)
    assert isinstance(operation, OperationDefinitionNode)
    flattener = _Flattener(schema, document, result)
    for root in fields_of(operation.selection_set, flattener.fragments):
        yield from _read_root(schema, document, root, flattener, execute)


def _read_root(schema: GraphQLSchema, document: DocumentNode, root: FieldNode, flattener: _Flattener,
               execute: Execute) -> Iterator[None]:
    key = (root.alias or root.name).value
    definition = schema.query_type.fields[root.name.value]
    paged = is_connection(get_named_type(definition.type))
    after: Optional[str] = None
    while True:
        data, errors = execute(_paged(document, root, after) if paged else visit(document, _Rewrite(None, None)),
                               {})
        if errors:
            code = "ACCESS_DENIED" if any((e.get("extensions") or {}).get("code") == "ACCESS_DENIED"
                                          for e in errors) else "INTERNAL_SERVER_ERROR"
            raise BulkQueryFailed(code, "; ".join(str(e.get("message")) for e in errors)[:500])
        value = (data or {}).get(key)
        if not paged:
            if isinstance(value, dict):
                flattener.node(value, [root], None)
            return
        flattener.connection(value, [root], None)
        page = (value or {}).get(PAGE_INFO) or {}
        if not page.get("hasNextPage") or not page.get("endCursor"):
            return
        after = page["endCursor"]
        yield
