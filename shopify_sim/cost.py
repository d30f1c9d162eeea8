"""Shopify's calculated query cost for the Admin GraphQL API.

`requested_cost` is the static cost Shopify charges before running a
document; `actual_cost` is what it charges once the result is known (nulls
and short pages cost less). The rules, where each comes from, and how they
were calibrated against recorded `extensions.cost` values are in COST.md next
to this file.
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any, Iterable, Mapping, Optional

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_object_type,
    value_from_ast_untyped,
)
from graphql.execution.values import get_argument_values

# Shopify: "A single query to the API cannot exceed a cost of 1,000."
MAX_SINGLE_QUERY_COST = 1000
# Shopify: objects cost 1, scalars and enums 0, mutations 10, connections 2
# plus their nodes.
OBJECT_COST = 1
CONNECTION_COST = 2
MUTATION_COST = 10
# Fields returning Shopify's `Count` object (productsCount, articlesCount…)
# are charged like a small search: recorded `productsCount { count }` alone
# costs 10.
COUNT_COST = 10

# Root mutations whose recorded requested cost is above the flat 10 even
# with an all-scalar selection (captures under
# /work/shared/shopify/conformance/fixtures; see COST.md).
MUTATION_BASE_COST: dict[str, int] = {
    "fileCreate": 20,
    "productCreateMedia": 20,
}

# Media created through productCreate/productUpdate(media:) cost what
# ProductSetInput.files declares per file (1.9, rounded up with the rest):
# captured in product-top-level-media-parity, one CreateMediaInput each, 30
# where the selection alone is 28.
UNDECLARED_ARGUMENT_COMPLEXITY: dict[tuple[str, str], float] = {
    ("productCreate", "media"): 1.9,
    ("productUpdate", "media"): 1.9,
}
_COMPLEXITY_RE = re.compile(r"Complexity cost:\s*([0-9]+(?:\.[0-9]+)?)")

# Lists of objects whose length is set by a list argument, one object per
# item (the schema: `nodes` "Returns the list of nodes ... with the given
# IDs"; `InventoryLevel.quantities` "Quantities for the requested names").
# Shopify documents no cost rule for lists that are not connections; the
# captures show `nodes(ids:)` with 1, 2 and 4 ids at the same requested cost.
# Nothing shows more than 4, so beyond that the pessimistic reading is
# charged: every further item costs a read of its own (COST.md, "Lists").
LIST_SIZED_BY: dict[tuple[str, str], str] = {
    ("QueryRoot", "nodes"): "ids",
    ("InventoryLevel", "quantities"): "names",
}
CAPTURED_LIST_SIZE = 4


def page_factor(size: int) -> int:
    """How many nodes a page of `size` is charged as.

    Shopify's 2024+ Admin API no longer charges `first` nodes linearly: every
    recorded capture fits floor(2·ln(first)), at least 1 (first: 1 → 1,
    3 → 2, 5 → 3, 10 → 4, 50 → 7, 100 → 9, 250 → 11).
    """
    if size <= 0:
        return 0
    return max(1, int(math.floor(2 * math.log(size))))


def is_connection(type_: GraphQLNamedType) -> bool:
    return (is_object_type(type_) and type_.name.endswith("Connection")
            and ("edges" in type_.fields or "nodes" in type_.fields))


# -- public API --------------------------------------------------------------

def requested_cost(schema: GraphQLSchema, document: DocumentNode,
                   variables: Optional[Mapping[str, Any]],
                   operation_name: Optional[str]) -> int:
    """The cost Shopify charges before execution (the requestedQueryCost)."""
    walker = _Walker(schema, document, variables, operation_name)
    return walker.requested()


def actual_cost(schema: GraphQLSchema, document: DocumentNode,
                variables: Optional[Mapping[str, Any]],
                operation_name: Optional[str], data: Any) -> int:
    """The cost of what was returned (the actualQueryCost); never more than
    was requested (Shopify refunds requested − actual, and every reason it
    gives for a difference lowers the cost; no capture shows more)."""
    walker = _Walker(schema, document, variables, operation_name)
    return min(walker.actual(data), walker.requested())


def exceeds_single_query_limit(cost: int) -> bool:
    return cost > MAX_SINGLE_QUERY_COST


# -- implementation ----------------------------------------------------------

class _Walker:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode,
                 variables: Optional[Mapping[str, Any]], operation_name: Optional[str]) -> None:
        self.schema = schema
        self.variables = dict(variables or {})
        self.fragments: dict[str, FragmentDefinitionNode] = {}
        self.operation: Optional[OperationDefinitionNode] = None
        operations = []
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                self.fragments[definition.name.value] = definition
            elif isinstance(definition, OperationDefinitionNode):
                operations.append(definition)
        if operation_name:
            self.operation = next((op for op in operations
                                   if op.name and op.name.value == operation_name), None)
        elif len(operations) == 1:
            self.operation = operations[0]
        self.sized_by: dict[int, str] = {}
        for (type_name, field_name), argument in LIST_SIZED_BY.items():
            owner = schema.get_type(type_name)
            field = (getattr(owner, "fields", None) or {}).get(field_name)
            if field is not None:
                self.sized_by[id(field)] = argument

    # Root ---------------------------------------------------------------
    def _root(self) -> tuple[Optional[GraphQLObjectType], bool]:
        if self.operation is None:
            return None, False
        if self.operation.operation == OperationType.MUTATION:
            return self.schema.mutation_type, True
        if self.operation.operation == OperationType.SUBSCRIPTION:
            return self.schema.subscription_type, False
        return self.schema.query_type, False

    def requested(self) -> int:
        root, is_mutation = self._root()
        if root is None:
            return 0
        total = 0.0
        for field_node, field_def, _parent in self._fields(self.operation.selection_set, root):
            if is_mutation:
                total += self._mutation_field(field_node, field_def, None, requested=True)
            else:
                total += self._field(field_node, field_def, requested=True)
        return int(math.ceil(total - 1e-9))

    def actual(self, data: Any) -> int:
        root, is_mutation = self._root()
        if root is None:
            return 0
        if data is None:
            # A non-null root field failed and nulled the whole answer: each
            # root field is charged as a null value (captured: bulkOperations
            # refused with BAD_REQUEST, `data: null` → actual 2, a
            # connection's own cost).
            data = {}
        elif not isinstance(data, Mapping):
            return 0
        total = 0.0
        for field_node, field_def, _parent in self._fields(self.operation.selection_set, root):
            key = field_node.alias.value if field_node.alias else field_node.name.value
            if data and key not in data:
                continue
            if is_mutation:
                total += self._mutation_field(field_node, field_def, data.get(key), requested=False)
            else:
                total += self._field(field_node, field_def, requested=False, value=data.get(key))
        return int(math.ceil(total - 1e-9))

    # Selections ---------------------------------------------------------
    def _skipped(self, node: Any) -> bool:
        for directive in node.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            arg = next((a for a in directive.arguments if a.name.value == "if"), None)
            value = bool(value_from_ast_untyped(arg.value, self.variables)) if arg else False
            if (name == "skip" and value) or (name == "include" and not value):
                return True
        return False

    def _fields(self, selection_set: Optional[SelectionSetNode], parent: GraphQLNamedType,
                typename: Optional[str] = None) -> Iterable[tuple[FieldNode, Any, GraphQLNamedType]]:
        """Fields selected on `parent`, fragments flattened. For abstract
        parents, `typename` picks the fragments that apply to one concrete
        type (None: only those on the abstract type itself)."""
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if self._skipped(selection):
                continue
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name.startswith("__"):
                    continue
                fields = getattr(parent, "fields", None) or {}
                field_def = fields.get(name)
                if field_def is None and typename is not None:
                    concrete = self.schema.get_type(typename)
                    field_def = (getattr(concrete, "fields", None) or {}).get(name)
                if field_def is not None:
                    yield selection, field_def, parent
                continue
            if isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    continue
                cond, sub = fragment.type_condition, fragment.selection_set
            elif isinstance(selection, InlineFragmentNode):
                cond, sub = selection.type_condition, selection.selection_set
            else:  # pragma: no cover
                continue
            cond_type = self.schema.get_type(cond.name.value) if cond else parent
            if cond_type is None:
                continue
            if not self._applies(cond_type, parent, typename):
                continue
            yield from self._fields(sub, cond_type if typename is None else parent, typename)

    def _applies(self, cond_type: GraphQLNamedType, parent: GraphQLNamedType,
                 typename: Optional[str]) -> bool:
        if cond_type is parent:
            return True
        if typename is not None:
            concrete = self.schema.get_type(typename)
            if concrete is cond_type:
                return True
            if is_abstract_type(cond_type) and is_object_type(concrete):
                return self.schema.is_sub_type(cond_type, concrete)
            return False
        # Walking a concrete parent: a fragment on an interface or union it
        # belongs to applies.
        if is_abstract_type(cond_type) and is_object_type(parent):
            return self.schema.is_sub_type(cond_type, parent)
        return False

    def _possible_types(self, type_: GraphQLNamedType) -> list[GraphQLObjectType]:
        if is_abstract_type(type_):
            return list(self.schema.get_possible_types(type_))
        return [type_]

    # Arguments ----------------------------------------------------------
    def _args(self, field_def: Any, field_node: FieldNode) -> dict[str, Any]:
        try:
            return get_argument_values(field_def, field_node, self.variables)
        except Exception:  # invalid arguments are reported by validation
            return {}

    def _page_size(self, args: Mapping[str, Any]) -> int:
        sizes = [v for v in (args.get("first"), args.get("last")) if isinstance(v, int)]
        # Without first/last Shopify rejects the connection; only its own
        # 2 points are charged (captured: bulkOperations { nodes { id } } → 2).
        return max(sizes) if sizes else 0

    def _input_complexity(self, field_def: Any, args: Mapping[str, Any], field_name: str = "") -> float:
        """Extra cost an input field's description declares ("Complexity
        cost: N."), charged per item of a list (productSet's files, say),
        and the per-item cost of arguments the captures show but the schema
        does not declare (UNDECLARED_ARGUMENT_COMPLEXITY)."""
        extra = 0.0
        for name, arg in field_def.args.items():
            if name in args:
                extra += _value_complexity(arg.type, args[name])
                per_item = UNDECLARED_ARGUMENT_COMPLEXITY.get((field_name, name))
                if per_item and args[name] is not None:
                    extra += per_item * (len(args[name]) if isinstance(args[name], list) else 1)
        return extra

    # Costs --------------------------------------------------------------
    def _mutation_field(self, field_node: FieldNode, field_def: Any, value: Any,
                        requested: bool) -> float:
        """A root mutation: its base cost covers the payload object and the
        objects directly in it; what those select below is charged."""
        cost = float(MUTATION_BASE_COST.get(field_node.name.value, MUTATION_COST))
        cost += self._input_complexity(field_def, self._args(field_def, field_node), field_node.name.value)
        payload_type = get_named_type(field_def.type)
        if not requested and value is None:
            return cost
        for child, child_def, _ in self._fields(field_node.selection_set, payload_type):
            child_type = get_named_type(child_def.type)
            if not (is_object_type(child_type) or is_abstract_type(child_type)):
                continue
            child_value = None
            if not requested:
                key = child.alias.value if child.alias else child.name.value
                child_value = value.get(key) if isinstance(value, Mapping) else None
            if is_connection(child_type):
                cost += self._field(child, child_def, requested, child_value)
                continue
            # The payload's own objects are free; their selections are not.
            if requested:
                cost += self._children_requested(child, child_type)
            else:
                # Null or empty: nothing below was resolved. A list is
                # charged once, at its dearest item (as in `_field`).
                items = child_value if isinstance(child_value, list) else [child_value]
                costs = [self._children_actual(child, child_type, item)
                         for item in items if item is not None]
                cost += max(costs) if costs else 0.0
        return cost

    def _field(self, field_node: FieldNode, field_def: Any, requested: bool,
               value: Any = None) -> float:
        type_ = get_named_type(field_def.type)
        if not (is_object_type(type_) or is_abstract_type(type_)):
            return 0.0
        args = self._args(field_def, field_node)
        extra = self._input_complexity(field_def, args)
        if is_connection(type_):
            return extra + self._connection(field_node, type_, args, requested, value)
        if type_.name == "Count":
            return extra + COUNT_COST
        if requested:
            one = OBJECT_COST + self._children_requested(field_node, type_)
            return extra + one * (1 + self._items_beyond_captured(field_def, args))
        if value is None:
            # Shopify charges a null object its own cost but nothing below.
            return extra + OBJECT_COST
        if isinstance(value, list):
            return extra + self._list_actual(field_node, field_def, type_, value)
        return extra + OBJECT_COST + self._children_actual(field_node, type_, value)

    def _items_beyond_captured(self, field_def: Any, args: Mapping[str, Any]) -> int:
        """For a list sized by a list argument: how many of its items are
        beyond the CAPTURED_LIST_SIZE the captures show charged as one."""
        argument = self.sized_by.get(id(field_def))
        items = args.get(argument) if argument else None
        return max(0, len(items) - CAPTURED_LIST_SIZE) if isinstance(items, list) else 0

    def _list_actual(self, field_node: FieldNode, field_def: Any, type_: GraphQLNamedType,
                     value: list[Any]) -> float:
        """A plain list of objects is charged like one object at its dearest
        item; the root `nodes(ids:)` lookup also charges each object found
        that selected more than scalars. Items of an argument-sized list
        beyond CAPTURED_LIST_SIZE are charged one by one, each as a read of
        its own (a null one as a null object)."""
        captured = value[:CAPTURED_LIST_SIZE] if id(field_def) in self.sized_by else value
        children = [self._children_actual(field_node, type_, item) for item in captured if item is not None]
        cost = OBJECT_COST + (max(children) if children else 0.0)
        if field_node.name.value == "nodes" and self._depth_root(field_node):
            cost += sum(1 for c in children if c > 0)
        for item in value[len(captured):]:
            cost += OBJECT_COST + (self._children_actual(field_node, type_, item) if item is not None else 0.0)
        return cost

    def _depth_root(self, field_node: FieldNode) -> bool:
        return self.operation is not None and any(
            sel is field_node for sel in self.operation.selection_set.selections)

    def _children_requested(self, field_node: FieldNode, type_: GraphQLNamedType) -> float:
        if is_abstract_type(type_):
            best = self._sum_requested(field_node.selection_set, type_, None)
            for concrete in self._possible_types(type_):
                best = max(best, self._sum_requested(field_node.selection_set, type_, concrete.name))
            return best
        return self._sum_requested(field_node.selection_set, type_, None)

    def _sum_requested(self, selection_set: Optional[SelectionSetNode], parent: GraphQLNamedType,
                       typename: Optional[str]) -> float:
        return sum(self._field(child, child_def, True)
                   for child, child_def, _ in self._fields(selection_set, parent, typename))

    def _children_actual(self, field_node: FieldNode, type_: GraphQLNamedType, value: Any) -> float:
        if not isinstance(value, Mapping):
            return 0.0
        typename = None
        if is_abstract_type(type_):
            typename = value.get("__typename") or self._guess_typename(field_node, type_, value)
            if typename is None:
                return self._children_requested_bounded(field_node, type_, value)
        total = 0.0
        for child, child_def, _ in self._fields(field_node.selection_set, type_, typename):
            key = child.alias.value if child.alias else child.name.value
            if key in value:
                total += self._field(child, child_def, False, value[key])
        return total

    def _children_requested_bounded(self, field_node: FieldNode, type_: GraphQLNamedType,
                                    value: Mapping[str, Any]) -> float:
        """Unknown concrete type: charge the dearest type's fields that came back."""
        best = 0.0
        for concrete in self._possible_types(type_):
            total = 0.0
            for child, child_def, _ in self._fields(field_node.selection_set, type_, concrete.name):
                key = child.alias.value if child.alias else child.name.value
                if key in value:
                    total += self._field(child, child_def, False, value[key])
            best = max(best, total)
        return best

    def _guess_typename(self, field_node: FieldNode, type_: GraphQLNamedType,
                        value: Mapping[str, Any]) -> Optional[str]:
        gid = value.get("id")
        if isinstance(gid, str) and gid.startswith("gid://shopify/"):
            name = gid.split("/")[3]
            if self.schema.get_type(name) is not None:
                return name
        return None

    def _connection(self, field_node: FieldNode, type_: GraphQLObjectType, args: Mapping[str, Any],
                    requested: bool, value: Any) -> float:
        if requested:
            factor = page_factor(self._page_size(args))
            per_node = self._connection_node_cost(field_node, type_, None)
            return CONNECTION_COST + factor * per_node
        if value is None:
            return float(CONNECTION_COST)
        count = _returned_count(value)
        if count == 0:
            # An empty page is charged as a full page of bare nodes
            # (captured: products(first: 1) with no match → 3,
            # metafields(first: 10) with none → 6).
            return float(CONNECTION_COST + page_factor(self._page_size(args)) * OBJECT_COST)
        # A short page is refunded pro rata: the requested page factor scaled
        # by the share of the page returned (rounded up), at the returned
        # nodes' mean cost. Fits more captures than re-pricing the short page.
        per_node = self._connection_node_cost(field_node, type_, value) / count
        size = max(self._page_size(args), count)
        return CONNECTION_COST + math.ceil(page_factor(size) * count / size) * per_node

    def _connection_node_cost(self, field_node: FieldNode, type_: GraphQLObjectType,
                              value: Optional[Mapping[str, Any]]) -> float:
        """Requested (value None): one node's cost over `edges.node` and
        `nodes` together. Actual: the sum over the returned nodes."""
        total = 0.0
        for child, child_def, _ in self._fields(field_node.selection_set, type_):
            name = child.name.value
            key = child.alias.value if child.alias else name
            child_value = value.get(key) if value is not None else None
            if name == "nodes":
                node_type = get_named_type(child_def.type)
                if value is None:
                    total += OBJECT_COST + self._children_requested(child, node_type)
                else:
                    for item in child_value or []:
                        if item is not None:
                            total += OBJECT_COST + self._children_actual(child, node_type, item)
            elif name == "edges":
                edge_type = get_named_type(child_def.type)
                for edge_field, edge_def, _ in self._fields(child.selection_set, edge_type):
                    edge_target = get_named_type(edge_def.type)
                    if not (is_object_type(edge_target) or is_abstract_type(edge_target)):
                        continue
                    if value is None:
                        total += OBJECT_COST + self._children_requested(edge_field, edge_target)
                    else:
                        edge_key = edge_field.alias.value if edge_field.alias else edge_field.name.value
                        for edge in child_value or []:
                            node = edge.get(edge_key) if isinstance(edge, Mapping) else None
                            if node is not None:
                                total += OBJECT_COST + self._children_actual(edge_field, edge_target, node)
            # pageInfo and other connection-level fields are free.
        return total


def _returned_count(value: Mapping[str, Any]) -> int:
    counts = [len(value[k]) for k in ("nodes", "edges") if isinstance(value.get(k), list)]
    return max(counts) if counts else 0


@lru_cache(maxsize=4096)
def _declared_complexity(description: Optional[str]) -> Optional[float]:
    if not description:
        return None
    match = _COMPLEXITY_RE.search(description)
    return float(match.group(1)) if match else None


def _value_complexity(type_: Any, value: Any) -> float:
    """Sum of the declared "Complexity cost" of input fields present in
    `value`, per item for list-valued fields."""
    if value is None:
        return 0.0
    if isinstance(type_, GraphQLNonNull):
        return _value_complexity(type_.of_type, value)
    if isinstance(type_, GraphQLList):
        if not isinstance(value, list):
            return _value_complexity(type_.of_type, value)
        return sum(_value_complexity(type_.of_type, item) for item in value)
    if isinstance(type_, GraphQLInputObjectType) and isinstance(value, Mapping):
        total = 0.0
        for name, field in type_.fields.items():
            if name not in value or value[name] is None:
                continue
            declared = _declared_complexity(field.description)
            if declared:
                items = value[name] if isinstance(value[name], list) else [value[name]]
                total += declared * len(items)
            total += _value_complexity(field.type, value[name])
        return total
    return 0.0
