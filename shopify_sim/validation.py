"""Checks a document before it runs, answering as Shopify (graphql-ruby)
words its errors: validation against the schema, variable coercion
(INVALID_VARIABLE with `problems`), Shopify global ids, the 250-item input
array limit; plus the document helpers the endpoint needs (operation
selection, root fields).
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping, Optional

from graphql import (ArgumentNode, DocumentNode, FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLError,
                     GraphQLSchema, InlineFragmentNode, ListValueNode, Node, ObjectFieldNode, ObjectValueNode,
                     OperationDefinitionNode, StringValueNode, Undefined, ValidationRule, VariableNode,
                     get_named_type, is_input_object_type, is_list_type, is_non_null_type, print_ast,
                     specified_rules, type_from_ast, value_from_ast)
from graphql.error import GraphQLSyntaxError
from graphql.language import Lexer, TokenKind
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.utilities import coerce_input_value

from . import schema as schema_mod
from .catalog import parse_gid
from .resolvers.common import MAX_INPUT_SIZE


_RULES: list[tuple[re.Pattern, Any]] = [
    (re.compile(r"Cannot query field '(?P<f>[^']+)' on type '(?P<t>[^']+)'"),
     lambda m: (f"Field '{m['f']}' doesn't exist on type '{m['t']}'",
                {"code": "undefinedField", "typeName": m["t"], "fieldName": m["f"]})),
    (re.compile(r"Unknown argument '(?P<a>[^']+)' on field '(?:[^'.]+\.)?(?P<f>[^']+)'"),
     lambda m: (f"Field '{m['f']}' doesn't accept argument '{m['a']}'",
                {"code": "argumentNotAccepted", "name": m["f"], "typeName": "Field", "argumentName": m["a"]})),
    # An unknown field in an input object literal (captured in
    # metafield-definitions-access-validation: access: { grants: … }).
    (re.compile(r"Field '(?P<a>[^']+)' is not defined by type '(?P<t>[^']+)'"),
     lambda m: (f"InputObject '{m['t']}' doesn't accept argument '{m['a']}'",
                {"code": "argumentNotAccepted", "name": m["t"], "typeName": "InputObject", "argumentName": m["a"]})),
    (re.compile(r"Unknown argument '(?P<a>[^']+)' on directive '@(?P<d>[^']+)'"),
     lambda m: (f"Directive '{m['d']}' doesn't accept argument '{m['a']}'",
                {"code": "argumentNotAccepted", "name": m["d"], "typeName": "Directive", "argumentName": m["a"]})),
    (re.compile(r"Field '(?P<f>[^']+)' argument '(?P<a>[^']+)' of type '[^']+' is required"),
     lambda m: (f"Field '{m['f']}' is missing required arguments: {m['a']}",
                {"code": "missingRequiredArguments", "className": "Field", "name": m["f"], "arguments": m["a"]})),
    (re.compile(r"Variable '\$(?P<v>[^']+)' is never used(?: in operation '(?P<o>[^']+)')?"),
     lambda m: (f"Variable ${m['v']} is declared by {m['o'] or 'anonymous query'} but not used",
                {"code": "variableNotUsed", "variableName": m["v"]})),
    (re.compile(r"Variable '\$(?P<v>[^']+)' is not defined(?: by operation '(?P<o>[^']+)')?"),
     lambda m: (f"Variable ${m['v']} is used by {m['o'] or 'anonymous query'} but not declared",
                {"code": "variableNotDefined", "variableName": m["v"]})),
    (re.compile(r"Field '(?P<o>[^'.]+)\.(?P<f>[^']+)' of required type '(?P<t>[^']+)' was not provided"),
     lambda m: (f"Argument '{m['f']}' on InputObject '{m['o']}' is required. Expected type {m['t']}",
                {"code": "missingRequiredInputObjectAttribute", "argumentName": m["f"], "argumentType": m["t"],
                 "inputObjectType": m["o"]})),
    (re.compile(r"Field '(?P<f>[^']+)' of type '(?P<t>[^']+)' must have a selection of subfields"),
     lambda m: ((f"Field must have selections (field '{m['f']}' returns {m['t'].strip('[]!')} but has no "
                 f"selections. Did you mean '{m['f']} {{ ... }}'?)"),
                {"code": "selectionMismatch", "nodeName": f"field '{m['f']}'", "typeName": m["t"].strip("[]!")})),
    (re.compile(r"Field '(?P<f>[^']+)' must not have a selection since type '(?P<t>[^']+)' has no subfields"),
     lambda m: ((f"Selections can't be made on scalars (field '{m['f']}' returns {m['t'].strip('[]!')} but "
                 f"has selections)"),
                {"code": "selectionMismatch", "nodeName": f"field '{m['f']}'", "typeName": m["t"].strip("[]!")})),
    (re.compile(r"Unknown fragment '(?P<n>[^']+)'"),
     lambda m: (f"Fragment {m['n']} was used, but not defined",
                {"code": "useAndDefineFragment", "fragmentName": m["n"]})),
    (re.compile(r"Fragment '(?P<n>[^']+)' is never used"),
     lambda m: (f"Fragment {m['n']} was defined, but not used",
                {"code": "useAndDefineFragment", "fragmentName": m["n"]})),
    (re.compile(r"Unknown type '(?P<t>[^']+)'"),
     lambda m: (f"No such type {m['t']}, so it can't be a fragment condition or variable type",
                {"code": "undefinedType", "typeName": m["t"]})),
    (re.compile(r"Unknown directive '@(?P<d>[^']+)'"),
     lambda m: (f"Directive @{m['d']} is not defined", {"code": "undefinedDirective", "directiveName": m["d"]})),
]


def _ast_path(document: DocumentNode, target: Any) -> Optional[list[Any]]:
    """graphql-ruby's error path: the operation ("query Name"), then the
    field, argument, input-field names and list indexes leading to the
    offending node."""
    def label(node: Any) -> list[Any]:
        if isinstance(node, OperationDefinitionNode):
            kind = node.operation.value
            return [f"{kind} {node.name.value}" if node.name else kind]
        if isinstance(node, FragmentDefinitionNode):
            return [f"fragment {node.name.value}"]
        if isinstance(node, (FieldNode, ArgumentNode, ObjectFieldNode)):
            return [node.name.value]
        return []

    def search(node: Any, trail: list[Any]) -> Optional[list[Any]]:
        trail = trail + label(node)
        if node is target:
            return trail
        for key in node.keys:
            child = getattr(node, key, None)
            if isinstance(child, Node):
                found = search(child, trail)
                if found is not None:
                    return found
            elif isinstance(child, (list, tuple)):
                for index, item in enumerate(child):
                    if isinstance(item, Node):
                        found = search(item, trail + ([index] if isinstance(node, ListValueNode) else []))
                        if found is not None:
                            return found
        return None

    return search(document, [])


def shopify_validation_error(err: GraphQLError, document: Optional[DocumentNode] = None) -> dict[str, Any]:
    message = err.message.split(" Did you mean")[0]
    extensions: dict[str, Any] = dict(err.extensions or {})
    for pattern, build in _RULES:
        m = pattern.search(message)
        if m:
            message, extensions = build(m)
            break
    else:
        extensions.setdefault("code", "GRAPHQL_VALIDATION_FAILED")
    out: dict[str, Any] = {"message": message}
    parent_id = extensions.pop("location_node", None)
    parent = _find_node(document, parent_id) if parent_id is not None and document is not None else None
    if parent is not None and parent.loc is not None:
        # graphql-ruby locates a literal error at the argument's parent node.
        loc = parent.loc.source.get_location(parent.loc.start)
        out["locations"] = [{"line": loc.line, "column": loc.column}]
    elif err.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in err.locations]
    if document is not None and err.nodes:
        path = _ast_path(document, err.nodes[0])
        if path:
            if extensions.get("code") == "missingRequiredInputObjectAttribute":
                path.append(extensions["argumentName"])  # graphql-ruby points at the missing field
            out["path"] = path
    out["extensions"] = extensions
    return out


def _find_node(document: DocumentNode, node_id: int) -> Optional[Node]:
    found: list[Node] = []

    def search(node: Any) -> None:
        if found:
            return
        if id(node) == node_id:
            found.append(node)
            return
        for key in node.keys:
            child = getattr(node, key, None)
            if isinstance(child, Node):
                search(child)
            elif isinstance(child, (list, tuple)):
                for item in child:
                    if isinstance(item, Node):
                        search(item)
    search(document)
    return found[0] if found else None


def syntax_error(err: GraphQLSyntaxError) -> dict[str, Any]:
    loc = err.locations[0] if err.locations else None
    found = re.search(r"found (.+?)\.?$", err.message)
    token = found.group(1) if found else ("<EOF>" if "Unexpected <EOF>" in err.message else "input")
    if token == "<EOF>":
        token = "end of file"
        # graphql-ruby reports the end of the document at its last token, and
        # gives no position for a document without any (captured: "mutation {
        # not parseable" → "unexpected end of file at [1, 16]"; "" → "Invalid
        # bulk query: syntax error, unexpected end of file").
        loc = _last_token_location(err)
    where = f" at [{loc.line}, {loc.column}]" if loc else ""
    out: dict[str, Any] = {"message": f"syntax error, unexpected {token}{where}"}
    if loc:
        out["locations"] = [{"line": loc.line, "column": loc.column}]
    return out


def _last_token_location(err: GraphQLSyntaxError) -> Any:
    source = err.source
    if source is None:
        return None
    lexer = Lexer(source)
    last = None
    try:
        token = lexer.advance()
        while token.kind != TokenKind.EOF:
            last = token
            token = lexer.advance()
    except GraphQLSyntaxError:
        pass
    return source.get_location(last.start) if last is not None else None


class ArgumentLiteralsAreCompatible(ValidationRule):
    """graphql-ruby's rule for literal argument values, as Shopify answers it:
    "Argument 'first' on Field 'products' has an invalid value ("x"). Expected
    type 'Int'." at the argument's parent (the field, or the input-object
    literal holding the field), `extensions {code: argumentLiteralsIncompatible,
    typeName: Field|InputObject|Directive, argumentName}`. The innermost bad
    argument is reported, not the arguments containing it (graphql-ruby checks
    children first). Replaces graphql-core's wording of the same checks
    (`… cannot represent …`, `Value … does not exist in … enum`), which
    shopify_validation_error drops."""

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.parents: list[tuple[str, str, Any]] = []  # (kind, name, node) of fields, directives, input objects
        self.reported: list[Node] = []

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        self.parents.append(("Field", (node.alias or node.name).value, node))

    def leave_field(self, *_: Any) -> None:
        self.parents.pop()

    def enter_directive(self, node: Any, *_: Any) -> None:
        self.parents.append(("Directive", node.name.value, node))

    def leave_directive(self, *_: Any) -> None:
        self.parents.pop()

    def enter_object_value(self, node: Any, *_: Any) -> None:
        named = get_named_type(self.context.get_input_type())
        self.parents.append(("InputObject", getattr(named, "name", "?"), node))

    def leave_object_value(self, *_: Any) -> None:
        self.parents.pop()

    def leave_argument(self, node: ArgumentNode, *_: Any) -> None:
        argument = self.context.get_argument()
        if argument is not None:
            self._check(node, argument.type)

    def leave_object_field(self, node: ObjectFieldNode, *_: Any) -> None:
        parent_type = get_named_type(self.context.get_parent_input_type())
        field = getattr(parent_type, "fields", {}).get(node.name.value)
        if field is not None:
            self._check(node, field.type)

    def _check(self, node: Any, type_: Any) -> None:
        value = node.value
        if isinstance(value, VariableNode) or _has_variable(value) or not self.parents:
            return
        if any(_contains(node, inner) for inner in self.reported):
            return  # a child already said what is wrong
        kind, name, parent = self.parents[-1]
        if value_from_ast(value, type_) is Undefined:
            message = (f"Argument '{node.name.value}' on {kind} '{name}' has an invalid value ({print_ast(value)}). "
                       f"Expected type '{type_}'.")
            extensions = {"code": "argumentLiteralsIncompatible", "typeName": kind, "argumentName": node.name.value}
        else:
            # Shopify's ID type refuses what is not a global id while coercing
            # (graphql-ruby then reports the coercion error's own message and extensions).
            bad = _bad_global_id(value, type_)
            if bad is None:
                return
            message = f"Invalid global id '{bad}'"
            extensions = {"code": "argumentLiteralsIncompatible", "typeName": "CoercionError"}
        self.reported.append(node)
        self.report_error(GraphQLError(message, [node], extensions={**extensions, "location_node": id(parent)}))


def _bad_global_id(value: Any, type_: Any) -> Optional[str]:
    """The first ID literal directly in `value` (itself or a list's items) that is not a Shopify global id."""
    named = get_named_type(type_)
    if getattr(named, "name", None) != "ID":
        return None
    items = value.values if isinstance(value, ListValueNode) else [value]
    for item in items:
        if isinstance(item, StringValueNode) and parse_gid(item.value) is None:
            return item.value
    return None


def _has_variable(value: Any) -> bool:
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(_has_variable(v) for v in value.values)
    if isinstance(value, ObjectValueNode):
        return any(_has_variable(f.value) for f in value.fields)
    return False


def _contains(outer: Any, inner: Any) -> bool:
    loc_o, loc_i = getattr(outer, "loc", None), getattr(inner, "loc", None)
    return bool(loc_o and loc_i and loc_o.start <= loc_i.start and loc_i.end <= loc_o.end and outer is not inner)


# graphql-core's wording of the checks ArgumentLiteralsAreCompatible words as graphql-ruby does.
_CORE_LITERAL_ERRORS = re.compile(r"cannot represent|does not exist in '[^']+' enum|^Expected value of type")

VALIDATION_RULES = list(specified_rules) + [ArgumentLiteralsAreCompatible]


def shopify_validation_errors(errors: list[GraphQLError], document: DocumentNode) -> list[dict[str, Any]]:
    """All validation errors as Shopify words them, graphql-core's own
    duplicates of the literal checks left out."""
    ours = [e for e in errors if (e.extensions or {}).get("code") == "argumentLiteralsIncompatible"]
    others = [e for e in errors if e not in ours and not _CORE_LITERAL_ERRORS.search(e.message)]
    # graphql-ruby adds no literal error where another rule already reported
    # inside that argument (a missing required field, an unknown one).
    ours = [e for e in ours if not any(o.nodes and _contains(e.nodes[0], o.nodes[0]) or
                                       (o.nodes and o.nodes[0] is e.nodes[0].value) for o in others)]
    return [shopify_validation_error(e, document) for e in errors if e in ours or e in others]


# -- variables -------------------------------------------------------------
# Shopify lists an enum's values in declaration order when it refuses a value;
# the published introspection sorts them. Where a capture shows the order, it
# is kept here (media-staged-uploads-create-validation and
# -non-merchandising: stagedUploadsCreate with resource BANANA, CUSTOMER_IMPORT…).
ENUM_DECLARATION_ORDER: dict[str, tuple[str, ...]] = {
    "StagedUploadTargetGenerateUploadResource": (
        "COLLECTION_IMAGE", "FILE", "IMAGE", "MODEL_3D", "PRODUCT_IMAGE", "SHOP_IMAGE", "VIDEO",
        "BULK_MUTATION_VARIABLES", "RETURN_LABEL", "URL_REDIRECT_IMPORT", "DISPUTE_FILE_UPLOAD"),
}


def enum_declaration_order(name: str) -> list[str]:
    """The enum's values as Shopify lists them in a refusal."""
    values = list(schema_mod.admin_schema().get_type(name).values)
    known = [v for v in ENUM_DECLARATION_ORDER.get(name, ()) if v in values]
    return known + [v for v in values if v not in known]


def _explain(message: str, type_: Any) -> str:
    if "not to be null" in message or "was not provided" in message:
        return "Expected value to not be null"
    m = re.search(r"Field '([^']+)' is not defined by type '([^']+)'", message)
    if m:
        return f"Field is not defined on {m.group(2)}"
    m = re.search(r"Value '([^']*)' does not exist in '([^']+)' enum", message)
    if m:
        return f"Expected \"{m.group(1)}\" to be one of: {', '.join(enum_declaration_order(m.group(2)))}"
    return message.split(" Did you mean")[0].rstrip(".")


def _gid_problems(type_: Any, value: Any, path: list) -> Iterable[dict[str, Any]]:
    if value is None:
        return
    if is_non_null_type(type_):
        type_ = type_.of_type
    if is_list_type(type_):
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield from _gid_problems(type_.of_type, item, path + [i])
        else:
            yield from _gid_problems(type_.of_type, value, path)
        return
    if is_input_object_type(type_) and isinstance(value, Mapping):
        for name, field in type_.fields.items():
            if name in value:
                yield from _gid_problems(field.type, value[name], path + [name])
        return
    if getattr(type_, "name", None) == "ID" and isinstance(value, str) and parse_gid(value) is None:
        text = f"Invalid global id '{value}'"
        yield {"path": path, "explanation": text, "message": text}


def coerce_variables(schema: GraphQLSchema, operation: OperationDefinitionNode,
                     raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Shopify-worded INVALID_VARIABLE errors (empty when all is well)."""
    errors = []
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        var_type = type_from_ast(schema, definition.type)
        type_text = str(var_type)
        problems: list[dict[str, Any]] = []
        provided = name in raw
        value = raw.get(name)
        if (not provided or value is None) and is_non_null_type(var_type):
            if not provided and definition.default_value is not None:
                continue
            problems.append({"path": [], "explanation": "Expected value to not be null"})
        elif provided and value is not None:
            # Called only inside coerce_input_value below; the defaults bind
            # this iteration's variable.
            def on_error(path: list, _invalid: Any, error: GraphQLError, problems: list = problems,
                         var_type: Any = var_type) -> None:
                where = list(path)
                # graphql-core reports a missing required field at its
                # object; Shopify at the field itself.
                missing = re.search(r"Field '(?:[^'.]+\.)?([^'.]+)' (?:of required type|is not defined)",
                                    error.message)
                if missing:
                    where.append(missing.group(1))
                problems.append({"path": where, "explanation": _explain(error.message, var_type)})
            coerce_input_value(value, var_type, on_error)
            if not problems:
                problems.extend(_gid_problems(var_type, value, []))
        if not problems:
            continue
        first = problems[0]
        if first["path"]:
            where = ".".join(str(p) for p in first["path"])
            message = (f"Variable ${name} of type {type_text} was provided invalid value for {where} "
                       f"({first['explanation']})")
        else:
            message = f"Variable ${name} of type {type_text} was provided invalid value"
        loc = definition.loc.source.get_location(definition.loc.start) if definition.loc else None
        err = {"message": message}
        if loc:
            err["locations"] = [{"line": loc.line, "column": loc.column}]
        err["extensions"] = {"code": "INVALID_VARIABLE", "value": value, "problems": problems}
        errors.append(err)
    return errors


# -- document helpers ------------------------------------------------------
def select_operation(document: DocumentNode, name: Optional[str]) -> OperationDefinitionNode | str:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        for op in operations:
            if op.name and op.name.value == name:
                return op
        return f"No operation named \"{name}\""
    if len(operations) == 1:
        return operations[0]
    if not operations:
        return "No operations in query document"
    return "An operation name is required"


def root_fields(document: DocumentNode, operation: OperationDefinitionNode) -> list[FieldNode]:
    fragments = {d.name.value: d for d in document.definitions if hasattr(d, "type_condition") and hasattr(d, "name")}
    out: list[FieldNode] = []

    def walk(selection_set: Any, seen: set[str]) -> None:
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                out.append(sel)
            elif isinstance(sel, InlineFragmentNode):
                walk(sel.selection_set, seen)
            elif isinstance(sel, FragmentSpreadNode) and sel.name.value in fragments \
                    and sel.name.value not in seen:
                walk(fragments[sel.name.value].selection_set, seen | {sel.name.value})
    walk(operation.selection_set, set())
    return out


def _oversized_list(value: Any) -> Optional[int]:
    if isinstance(value, list):
        if len(value) > MAX_INPUT_SIZE:
            return len(value)
        for item in value:
            size = _oversized_list(item)
            if size:
                return size
    elif isinstance(value, Mapping):
        for item in value.values():
            size = _oversized_list(item)
            if size:
                return size
    return None


def input_size_errors(schema: GraphQLSchema, fields: list[FieldNode], root_type: Any,
                      variables: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Shopify refuses any input array over 250 items before running anything."""
    errors = []
    for node in fields:
        field_def = root_type.fields.get(node.name.value)
        if field_def is None:
            continue
        try:
            args = get_argument_values(field_def, node, variables)
        except GraphQLError:
            continue
        for arg_name, value in args.items():
            size = _oversized_list(value)
            if size:
                loc = node.loc.source.get_location(node.loc.start) if node.loc else None
                err: dict[str, Any] = {
                    "message": f"The input array size of {size} is greater than the maximum allowed of "
                               f"{MAX_INPUT_SIZE}."}
                if loc:
                    err["locations"] = [{"line": loc.line, "column": loc.column}]
                err["path"] = [node.name.value, arg_name]
                err["extensions"] = {"code": "MAX_INPUT_SIZE_EXCEEDED"}
                errors.append(err)
    return errors


def coerced_variables(schema: GraphQLSchema, operation: OperationDefinitionNode,
                       variables: Mapping[str, Any]) -> dict[str, Any]:
    coerced = get_variable_values(schema, operation.variable_definitions or [], variables)
    return coerced if isinstance(coerced, dict) else {}
