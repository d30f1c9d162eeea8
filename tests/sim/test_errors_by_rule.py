"""Literal argument errors worded as Shopify's GraphQL server (graphql-ruby's
ArgumentLiteralsAreCompatible) words them, by one rule for every field and
input object: "Argument 'a' on Field|InputObject 'p' has an invalid value (v).
Expected type 'T'.", located at the argument's parent node, path through the
argument, `extensions {code: argumentLiteralsIncompatible, typeName, argumentName}`;
an ID literal that is no global id answers the coercion's own message; and no
literal error where another rule already reported inside the argument."""
from __future__ import annotations



def errors(sim, query):
    sim.create_shop() if not sim.state.shops else None
    body = sim.gql(query)
    assert "data" not in body
    return body["errors"]


def test_a_bad_literal_on_a_field_names_the_argument_field_and_type(sim_api):
    assert errors(sim_api, '{ products(first: "x") { nodes { id } } }') == [{
        "message": "Argument 'first' on Field 'products' has an invalid value (\"x\"). Expected type 'Int'.",
        "locations": [{"line": 1, "column": 3}], "path": ["query", "products", "first"],
        "extensions": {"code": "argumentLiteralsIncompatible", "typeName": "Field", "argumentName": "first"}}]
    assert errors(sim_api, "query Q { products(first: 1, sortKey: NOPE) { nodes { id } } }")[0]["message"] == \
        "Argument 'sortKey' on Field 'products' has an invalid value (NOPE). Expected type 'ProductSortKeys'."


def test_a_bad_literal_inside_an_input_object_names_the_input_object(sim_api):
    found = errors(sim_api, ('mutation M {\n'
                             '  fileCreate(files: [{originalSource: "x", contentType: PDF}]) { files { id } }\n}'))
    assert found == [{
        "message": "Argument 'contentType' on InputObject 'FileCreateInput' has an invalid value (PDF). "
                   "Expected type 'FileContentType'.",
        "locations": [{"line": 2, "column": 22}], "path": ["mutation M", "fileCreate", "files", 0, "contentType"],
        "extensions": {"code": "argumentLiteralsIncompatible", "typeName": "InputObject",
                       "argumentName": "contentType"}}]


def test_an_id_literal_that_is_not_a_global_id_answers_the_coercion_error(sim_api):
    found = errors(sim_api, '{ nodes(ids: ["gid://shopify/Product/1", "42"]) { id } }')
    assert found == [{"message": "Invalid global id '42'", "locations": [{"line": 1, "column": 3}],
                      "path": ["query", "nodes", "ids"],
                      "extensions": {"code": "argumentLiteralsIncompatible", "typeName": "CoercionError"}}]


def test_a_missing_required_field_is_one_error_not_two(sim_api):
    found = errors(sim_api, 'mutation { fileUpdate(files: [{alt: "x"}]) { files { id } } }')
    assert [e["extensions"]["code"] for e in found] == ["missingRequiredInputObjectAttribute"]
