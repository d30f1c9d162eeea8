"""Metafields and metafield definitions in the simulated Admin API, through
its real GraphQL endpoint. Messages and codes are Shopify's, as recorded in
the conformance captures."""
from __future__ import annotations

import json

import pytest

from tests.sim.graphql_support import Sim, create_ready_image, product_gid, shirt

SET = """
mutation Set($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { id namespace key type value jsonValue compareDigest ownerType createdAt updatedAt
                 owner { __typename ... on Product { id } } definition { id } }
    userErrors { field message code elementIndex }
  }
}"""

READ = """
query Read($id: ID!, $namespace: String!, $key: String!) {
  product(id: $id) {
    metafield(namespace: $namespace, key: $key) {
      id type value jsonValue compareDigest reference { __typename ... on MediaImage { id } }
    }
    metafields(first: 10) { nodes { namespace key value } pageInfo { hasNextPage endCursor } }
  }
}"""

DELETE = """
mutation Delete($metafields: [MetafieldIdentifierInput!]!) {
  metafieldsDelete(metafields: $metafields) { deletedMetafields { ownerId namespace key } userErrors { field message } }
}"""

DEFINITION_CREATE = """
mutation Create($definition: MetafieldDefinitionInput!) {
  metafieldDefinitionCreate(definition: $definition) {
    createdDefinition { id namespace key name ownerType type { name category } pinnedPosition metafieldsCount
                        validations { name value } }
    userErrors { field message code }
  }
}"""

DEFINITIONS = """
query Definitions($ownerType: MetafieldOwnerType!, $namespace: String, $key: String) {
  metafieldDefinitions(ownerType: $ownerType, namespace: $namespace, key: $key, first: 10) {
    nodes { namespace key ownerType }
  }
}"""


@pytest.fixture
def sim(sim_api: Sim) -> Sim:
    sim_api.create_shop(products=[shirt("Red Shirt"), shirt("Blue Shirt", skus=("BS-1",))])
    return sim_api


def set_metafields(sim: Sim, *inputs: dict) -> dict:
    return sim.data(SET, {"metafields": list(inputs)})["metafieldsSet"]


def entry(owner: str, key: str, type_: str, value: str, namespace: str = "cloudinary", **extra) -> dict:
    return {"ownerId": owner, "namespace": namespace, "key": key, "type": type_, "value": value, **extra}


# -- metafieldsSet -------------------------------------------------------------

def test_set_creates_then_updates_with_a_new_digest(sim: Sim):
    pid = product_gid(sim, "red-shirt")
    created = set_metafields(sim, entry(pid, "assets", "json", '{"ids":[1,2]}'))
    assert created["userErrors"] == []
    [mf] = created["metafields"]
    assert (mf["namespace"], mf["key"], mf["type"], mf["ownerType"]) == ("cloudinary", "assets", "json", "PRODUCT")
    assert mf["jsonValue"] == {"ids": [1, 2]}
    assert mf["owner"] == {"__typename": "Product", "id": pid}
    assert mf["definition"] is None
    assert len(mf["compareDigest"]) == 64

    sim.clock.advance(2)
    updated = set_metafields(sim, entry(pid, "assets", "json", '{"ids":[3]}', compareDigest=mf["compareDigest"]))
    assert updated["userErrors"] == []
    [again] = updated["metafields"]
    assert again["id"] == mf["id"] and again["createdAt"] == mf["createdAt"]
    assert again["compareDigest"] != mf["compareDigest"] and again["updatedAt"] > mf["updatedAt"]

    read = sim.data(READ, {"id": pid, "namespace": "cloudinary", "key": "assets"})["product"]
    assert read["metafield"]["value"] == '{"ids":[3]}'
    assert read["metafields"]["nodes"] == [{"namespace": "cloudinary", "key": "assets", "value": '{"ids":[3]}'}]


def test_stale_digest_is_refused_and_nothing_is_written(sim: Sim):
    pid = product_gid(sim, "red-shirt")
    [first] = set_metafields(sim, entry(pid, "assets", "json", "[1]"))["metafields"]
    set_metafields(sim, entry(pid, "assets", "json", "[2]"))  # someone else writes
    result = set_metafields(sim, entry(pid, "assets", "json", "[3]", compareDigest=first["compareDigest"]),
                            entry(pid, "other", "single_line_text_field", "x"))
    assert result["metafields"] == []
    assert result["userErrors"] == [{
        "field": ["metafields", "0"], "code": "STALE_OBJECT", "elementIndex": None,
        "message": ("The resource has been updated since it was loaded. "
                    "Try again with an updated `compareDigest` value.")}]
    nodes = sim.data(READ, {"id": pid, "namespace": "cloudinary", "key": "assets"})["product"]["metafields"]["nodes"]
    assert nodes == [{"namespace": "cloudinary", "key": "assets", "value": "[2]"}]


def test_null_digest_creates_only_when_absent_and_digest_for_a_missing_row_is_invalid(sim: Sim):
    pid = product_gid(sim, "red-shirt")
    assert set_metafields(sim, entry(pid, "a1", "json", "[1]", compareDigest=None))["userErrors"] == []
    again = set_metafields(sim, entry(pid, "a1", "json", "[2]", compareDigest=None))
    assert [e["code"] for e in again["userErrors"]] == ["STALE_OBJECT"]
    # Writing the identical value is an accepted no-op, whatever the digest.
    same = set_metafields(sim, entry(pid, "a1", "json", "[1]", compareDigest="not-a-digest"))
    assert same["userErrors"] == []
    missing = set_metafields(sim, entry(pid, "a2", "json", "[1]", compareDigest="0" * 64))
    assert missing["userErrors"] == [{"field": ["metafields", "0"], "message": "Invalid `compareDigest` value.",
                                      "code": "INVALID_COMPARE_DIGEST", "elementIndex": None}]


def test_more_than_25_inputs_are_refused_whole(sim: Sim):
    pid = product_gid(sim, "red-shirt")
    result = set_metafields(sim, *[entry(pid, f"k{i:02d}", "number_integer", str(i)) for i in range(26)])
    assert result == {"metafields": None, "userErrors": [{
        "field": ["metafields"], "message": "Exceeded the maximum metafields input limit of 25.",
        "code": "LESS_THAN_OR_EQUAL_TO", "elementIndex": None}]}
    assert len(set_metafields(sim, *[entry(pid, f"k{i:02d}", "number_integer", str(i))
                                     for i in range(25)])["metafields"]) == 25


def test_owner_must_exist_and_one_bad_input_writes_nothing(sim: Sim):
    pid = product_gid(sim, "red-shirt")
    result = set_metafields(sim, entry(pid, "ok", "boolean", "true"),
                            entry("gid://shopify/Product/999999", "ok", "boolean", "true"))
    assert result["metafields"] == []
    assert result["userErrors"] == [{"field": ["metafields", "1", "ownerId"], "message": "Owner does not exist.",
                                     "code": "INVALID_VALUE", "elementIndex": None}]
    assert sim.data(READ, {"id": pid, "namespace": "cloudinary", "key": "ok"})["product"]["metafield"] is None


@pytest.mark.parametrize("type_,value,message", [
    ("number_integer", "12.5", "Value must be an integer."),
    ("number_integer", "+5", "Value must be an integer."),
    ("boolean", "yes", "Value must be true or false."),
    ("json", "{nope", "Value is invalid JSON: expected object key, got 'nope' at line 1 column 2."),
    ("json", "", "Value can't be blank."),
    ("single_line_text_field", "", "Value can't be blank."),
    ("single_line_text_field", "two\nlines", "Value must be a single line text string."),
    ("url", "example.com", ('Value cannot have an empty scheme (protocol), must include one of the following URL '
                            'schemes: ["http", "https", "mailto", "sms", "tel"].\'')),
    ("url", "ftp://example.com/x", "Value must be one of the following URL schemes: http, https, mailto, sms, tel."),
    ("file_reference", "gid://shopify/MediaImage/42",
     "Value references non-existent resource gid://shopify/MediaImage/42."),
    ("file_reference", "not-a-gid", "Value references non-existent resource not-a-gid."),
])
def test_values_are_validated_for_their_type(sim: Sim, type_: str, value: str, message: str):
    pid = product_gid(sim, "red-shirt")
    result = set_metafields(sim, entry(pid, "field", type_, value))
    assert result["metafields"] == []
    assert result["userErrors"] == [{"field": ["metafields", "0", "value"], "message": message,
                                     "code": "INVALID_VALUE", "elementIndex": None}]


def test_shopify_normalises_accepted_values(sim: Sim):
    pid = product_gid(sim, "red-shirt")
    result = set_metafields(sim, entry(pid, "b1", "boolean", " TRUE "), entry(pid, "b2", "boolean", "0"),
                            entry(pid, "n1", "number_integer", "5.0"),
                            entry(pid, "u1", "url", "https://res.cloudinary.com/demo/image/upload/x.jpg"),
                            entry(pid, "d1", "date_time", "2026-06-25T10:11:12.123+05:30"),
                            entry(pid, "d2", "date_time", "2024-01-01T12:30:00"))
    assert result["userErrors"] == []
    got = {m["key"]: (m["value"], m["jsonValue"]) for m in result["metafields"]}
    # Shopify answers jsonValue true, but the string "false"; date-times to the second, with their
    # offset (captured: metafieldsSet-value-type-fidelity, metafields-set-validation-gaps).
    assert got == {"b1": ("true", True), "b2": ("false", "false"), "n1": ("5", 5),
                   "d1": ("2026-06-25T10:11:12+05:30", "2026-06-25T10:11:12+05:30"),
                   "d2": ("2024-01-01T12:30:00+00:00", "2024-01-01T12:30:00+00:00"),
                   "u1": ("https://res.cloudinary.com/demo/image/upload/x.jpg",
                          "https://res.cloudinary.com/demo/image/upload/x.jpg")}


def test_file_references_must_name_existing_files(sim: Sim):
    pid = product_gid(sim, "red-shirt")
    image = create_ready_image(sim, "https://img.example.com/a.jpg", "A")
    other = create_ready_image(sim, "https://img.example.com/b.jpg", "B")
    result = set_metafields(sim, entry(pid, "hero", "file_reference", image),
                            entry(pid, "gallery", "list.file_reference", json.dumps([image, other])))
    assert result["userErrors"] == []
    read = sim.data(READ, {"id": pid, "namespace": "cloudinary", "key": "hero"})["product"]["metafield"]
    assert read["reference"] == {"__typename": "MediaImage", "id": image}
    bad = set_metafields(sim, entry(pid, "gallery", "list.file_reference",
                                    json.dumps([image, "gid://shopify/MediaImage/1"])))
    assert bad["userErrors"][0]["message"] == "Value references non-existent resource gid://shopify/MediaImage/1."
    too_many = set_metafields(sim, entry(pid, "gallery", "list.file_reference", json.dumps([image] * 129)))
    assert too_many["userErrors"][0]["message"] == "Value has more than 128 elements."


def test_type_is_required_without_a_definition_and_taken_from_one(sim: Sim):
    pid = product_gid(sim, "red-shirt")
    missing = sim.data(SET, {"metafields": [{"ownerId": pid, "namespace": "cloudinary", "key": "k1",
                                             "value": "x"}]})["metafieldsSet"]
    assert missing["userErrors"] == [{"field": ["metafields", "0", "type"], "message": "Type can't be blank",
                                      "code": "BLANK", "elementIndex": None}]
    created = sim.data(DEFINITION_CREATE, {"definition": {
        "name": "K1", "namespace": "cloudinary", "key": "k1", "ownerType": "PRODUCT",
        "type": "single_line_text_field"}})["metafieldDefinitionCreate"]
    assert created["userErrors"] == []
    typed = sim.data(SET, {"metafields": [{"ownerId": pid, "namespace": "cloudinary", "key": "k1",
                                           "value": "x"}]})["metafieldsSet"]
    assert typed["userErrors"] == []
    assert typed["metafields"][0]["type"] == "single_line_text_field"
    assert typed["metafields"][0]["definition"] == {"id": created["createdDefinition"]["id"]}


def test_namespace_and_key_lengths_and_the_app_namespace(sim: Sim):
    pid = product_gid(sim, "red-shirt")
    short = set_metafields(sim, entry(pid, "k", "json", "1", namespace="ab"))
    assert [(e["field"], e["code"]) for e in short["userErrors"]] == [
        (["metafields", "0", "namespace"], "TOO_SHORT"), (["metafields", "0", "key"], "TOO_SHORT")]
    reserved = set_metafields(sim, entry(pid, "title", "json", "1", namespace="protected"))
    assert reserved["userErrors"][0]["message"] == "Namespace protected is a reserved namespace"
    own = sim.data(SET, {"metafields": [{"ownerId": pid, "key": "mine", "type": "json", "value": "1"}]})
    namespace = own["metafieldsSet"]["metafields"][0]["namespace"]
    assert namespace.startswith("app--") and namespace[5:].isdigit()
    dollar = set_metafields(sim, entry(pid, "mine", "json", "2", namespace="$app"))
    assert dollar["metafields"][0]["namespace"] == namespace
    assert dollar["metafields"][0]["id"] == own["metafieldsSet"]["metafields"][0]["id"]


def test_duplicate_inputs_apply_in_order(sim: Sim):
    pid = product_gid(sim, "red-shirt")
    result = set_metafields(sim, entry(pid, "k1", "single_line_text_field", "one"),
                            entry(pid, "k1", "single_line_text_field", "two"))
    assert [m["value"] for m in result["metafields"]] == ["one", "two"]
    assert result["metafields"][0]["id"] == result["metafields"][1]["id"]
    read = sim.data(READ, {"id": pid, "namespace": "cloudinary", "key": "k1"})["product"]["metafield"]
    assert read["value"] == "two"


def test_variants_and_shop_own_metafields_too(sim: Sim):
    variant = sim.data('{ productVariants(first: 1, query: "sku:RS-1") { nodes { id } } }')
    vid = variant["productVariants"]["nodes"][0]["id"]
    shop_id = sim.data("{ shop { id } }")["shop"]["id"]
    result = set_metafields(sim, entry(vid, "v1", "json", "{}"), entry(shop_id, "s1", "json", "{}"))
    assert result["userErrors"] == []
    assert [m["ownerType"] for m in result["metafields"]] == ["PRODUCTVARIANT", "SHOP"]
    shop = sim.data('{ shop { metafield(namespace: "cloudinary", key: "s1") { value } } }')
    assert shop["shop"]["metafield"] == {"value": "{}"}


# -- owner connections -----------------------------------------------------------

def test_owner_metafields_page_filter_and_qualified_keys(sim: Sim):
    pid = product_gid(sim, "red-shirt")
    set_metafields(sim, *[entry(pid, f"k{i}", "number_integer", str(i)) for i in range(3)],
                   entry(pid, "size", "single_line_text_field", "M", namespace="details"))
    doc = """query($id: ID!, $after: String) { product(id: $id) {
        page: metafields(first: 2, after: $after) { nodes { key } pageInfo { hasNextPage endCursor } }
        ns: metafields(first: 10, namespace: "details") { nodes { key } }
        keyed: metafields(first: 10, keys: ["details.size", "cloudinary.k1"]) { nodes { namespace key } }
        reversed: metafields(first: 1, reverse: true) { nodes { key } } } }"""
    first = sim.data(doc, {"id": pid})["product"]
    assert [n["key"] for n in first["page"]["nodes"]] == ["k0", "k1"]
    assert first["page"]["pageInfo"]["hasNextPage"] is True
    assert first["ns"]["nodes"] == [{"key": "size"}]
    # Shopify answers keys-filtered metafields in the order asked, keys qualified.
    assert first["keyed"]["nodes"] == [{"namespace": "details", "key": "details.size"},
                                       {"namespace": "cloudinary", "key": "cloudinary.k1"}]
    assert first["reversed"]["nodes"] == [{"key": "size"}]
    second = sim.data(doc, {"id": pid, "after": first["page"]["pageInfo"]["endCursor"]})["product"]
    assert [n["key"] for n in second["page"]["nodes"]] == ["k2", "size"]
    assert second["page"]["pageInfo"]["hasNextPage"] is False


# -- metafieldsDelete ----------------------------------------------------------------

def test_delete_answers_null_for_what_did_not_exist(sim: Sim):
    pid = product_gid(sim, "red-shirt")
    set_metafields(sim, entry(pid, "assets", "json", "[]"))
    result = sim.data(DELETE, {"metafields": [
        {"ownerId": pid, "namespace": "cloudinary", "key": "assets"},
        {"ownerId": pid, "namespace": "cloudinary", "key": "missing"}]})["metafieldsDelete"]
    assert result == {"deletedMetafields": [{"ownerId": pid, "namespace": "cloudinary", "key": "assets"}, None],
                      "userErrors": []}
    assert sim.data(READ, {"id": pid, "namespace": "cloudinary", "key": "assets"})["product"]["metafield"] is None


def test_delete_of_nothing_or_of_an_unknown_owner_is_no_error(sim: Sim):
    # Captured (2025-01/products/metafields-delete-parity.json, edgeCases): `metafields: []` →
    # `deletedMetafields: []`; an owner that does not exist → `[null]`; no userErrors either way.
    assert sim.data(DELETE, {"metafields": []})["metafieldsDelete"] == {"deletedMetafields": [], "userErrors": []}
    unknown = {"ownerId": "gid://shopify/Product/999999999999999", "namespace": "custom", "key": "material"}
    assert sim.data(DELETE, {"metafields": [unknown]})["metafieldsDelete"] == {"deletedMetafields": [None],
                                                                              "userErrors": []}


# -- definitions -----------------------------------------------------------------------

def definition(**fields) -> dict:
    return {"name": "Assets", "namespace": "cloudinary", "key": "assets", "ownerType": "PRODUCT", "type": "json",
            **fields}


def test_definition_create_list_and_taken(sim: Sim):
    created = sim.data(DEFINITION_CREATE, {"definition": definition(pin=True)})["metafieldDefinitionCreate"]
    assert created["userErrors"] == []
    made = created["createdDefinition"]
    assert (made["namespace"], made["key"], made["ownerType"], made["type"], made["pinnedPosition"]) == (
        "cloudinary", "assets", "PRODUCT", {"name": "json", "category": "JSON"}, 1)
    again = sim.data(DEFINITION_CREATE, {"definition": definition()})["metafieldDefinitionCreate"]
    assert again == {"createdDefinition": None, "userErrors": [{
        "field": ["definition", "key"],
        "message": "Key is in use for Product metafields on the 'cloudinary' namespace.",
        "code": "TAKEN"}]}
    # Same namespace and key for another owner type is another definition.
    variant = sim.data(DEFINITION_CREATE, {"definition": definition(ownerType="PRODUCTVARIANT")})
    assert variant["metafieldDefinitionCreate"]["userErrors"] == []

    listed = sim.data(DEFINITIONS, {"ownerType": "PRODUCT", "namespace": "cloudinary"})["metafieldDefinitions"]
    assert listed["nodes"] == [{"namespace": "cloudinary", "key": "assets", "ownerType": "PRODUCT"}]
    assert sim.data(DEFINITIONS, {"ownerType": "PRODUCT", "key": "nope"})["metafieldDefinitions"]["nodes"] == []
    by_identifier = sim.data("""{ metafieldDefinition(identifier: {ownerType: PRODUCTVARIANT, namespace: "cloudinary",
        key: "assets"}) { ownerType } }""")
    assert by_identifier["metafieldDefinition"] == {"ownerType": "PRODUCTVARIANT"}


@pytest.mark.parametrize("fields,error", [
    ({"namespace": "ab"},
     (["definition", "namespace"], "Namespace is too short (minimum is 3 characters)", "TOO_SHORT")),
    ({"key": "bad key"}, (["definition", "key"], "Key contains one or more invalid characters.", "INVALID_CHARACTER")),
    ({"name": "n" * 256}, (["definition", "name"], "Name is too long (maximum is 255 characters)", "TOO_LONG")),
    ({"type": "single_line_text_field", "validations": [{"name": "schema", "value": "{}"}]},
     (["definition", "validations"], ("Validations value for option schema contains an invalid value: 'schema' "
                                      "isn't supported for single_line_text_field."), "INVALID_OPTION")),
    ({"capabilities": {"uniqueValues": {"enabled": True}}},
     (["definition"], "The capability unique_values is not valid for this definition.", "INVALID_CAPABILITY")),
])
def test_definition_input_is_validated(sim: Sim, fields: dict, error: tuple):
    result = sim.data(DEFINITION_CREATE, {"definition": definition(**fields)})["metafieldDefinitionCreate"]
    field, message, code = error
    assert result == {"createdDefinition": None, "userErrors": [{"field": field, "message": message, "code": code}]}


def test_unknown_definition_type_lists_the_valid_ones(sim: Sim):
    result = sim.data(DEFINITION_CREATE, {"definition": definition(type="made_up")})["metafieldDefinitionCreate"]
    [error] = result["userErrors"]
    assert error["code"] == "INCLUSION" and error["field"] == ["definition", "type"]
    assert error["message"].startswith("Type name made_up is not a valid type. Valid types are: antenna_gain, area,")
    assert "list.file_reference" in error["message"]


def test_a_new_definition_types_matching_metafields_and_counts_them(sim: Sim):
    pid = product_gid(sim, "red-shirt")
    set_metafields(sim, entry(pid, "assets", "single_line_text_field", "[1]"))
    made = sim.data(DEFINITION_CREATE, {"definition": definition()})["metafieldDefinitionCreate"]["createdDefinition"]
    assert made["metafieldsCount"] == 1
    read = sim.data(READ, {"id": pid, "namespace": "cloudinary", "key": "assets"})["product"]["metafield"]
    assert read["type"] == "json" and read["jsonValue"] == [1]


def test_definition_validations_apply_to_values(sim: Sim):
    pid = product_gid(sim, "red-shirt")
    sim.data(DEFINITION_CREATE, {"definition": definition(
        key="tier", type="number_integer", validations=[{"name": "min", "value": "2"}, {"name": "max", "value": "5"}])})
    low = set_metafields(sim, {"ownerId": pid, "namespace": "cloudinary", "key": "tier", "value": "1"})
    assert low["userErrors"][0]["message"] == "Value has a minimum of 2."
    ok = set_metafields(sim, {"ownerId": pid, "namespace": "cloudinary", "key": "tier", "value": "3"})
    assert ok["userErrors"] == []


def test_metafields_reach_the_cost_and_node_interfaces(sim: Sim):
    pid = product_gid(sim, "red-shirt")
    [mf] = set_metafields(sim, entry(pid, "assets", "json", "{}"))["metafields"]
    body = sim.gql("query($id: ID!) { node(id: $id) { __typename ... on Metafield { key } } }", {"id": mf["id"]})
    assert body["data"]["node"] == {"__typename": "Metafield", "key": "assets"}
    # metafieldsSet costs Shopify's flat 10 plus what its payload objects select.
    cost = sim.gql(SET, {"metafields": [entry(pid, "assets", "json", "{}")]})["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 12  # owner (1) and definition (1) under the payload


UPDATE = """
mutation Update($definition: MetafieldDefinitionUpdateInput!) {
  metafieldDefinitionUpdate(definition: $definition) {
    updatedDefinition { name pinnedPosition validations { name value } }
    validationJob { id done }
    userErrors { field message code }
  }
}"""

DEFINITION_DELETE = """
mutation Delete($id: ID, $all: Boolean) {
  metafieldDefinitionDelete(id: $id, deleteAllAssociatedMetafields: $all) {
    deletedDefinitionId deletedDefinition { ownerType namespace key } userErrors { field message code }
  }
}"""


def test_definition_update_renames_revalidates_and_pins(sim: Sim):
    sim.data(DEFINITION_CREATE, {"definition": definition(type="single_line_text_field")})
    key = {"ownerType": "PRODUCT", "namespace": "cloudinary", "key": "assets"}
    renamed = sim.data(UPDATE, {"definition": {**key, "name": "Cloudinary assets", "pin": True,
                                                "validations": [{"name": "max", "value": "5"}]}})
    result = renamed["metafieldDefinitionUpdate"]
    assert result["userErrors"] == []
    assert result["updatedDefinition"] == {"name": "Cloudinary assets", "pinnedPosition": 1,
                                           "validations": [{"name": "max", "value": "5"}]}
    assert result["validationJob"]["done"] is False
    too_long = sim.data(UPDATE, {"definition": {**key, "name": "n" * 256}})["metafieldDefinitionUpdate"]
    assert too_long["userErrors"] == [{"field": ["definition", "name"], "code": "TOO_LONG",
                                       "message": "Name is too long (maximum is 255 characters)"}]
    missing = sim.data(UPDATE, {"definition": {**key, "key": "nope"}})["metafieldDefinitionUpdate"]
    assert missing["userErrors"] == [{"field": ["definition"], "message": "Definition not found.", "code": "NOT_FOUND"}]


def test_definition_delete_optionally_takes_its_metafields(sim: Sim):
    pid = product_gid(sim, "red-shirt")
    made = sim.data(DEFINITION_CREATE, {"definition": definition()})["metafieldDefinitionCreate"]["createdDefinition"]
    set_metafields(sim, {"ownerId": pid, "namespace": "cloudinary", "key": "assets", "value": "{}"})
    deleted = sim.data(DEFINITION_DELETE, {"id": made["id"], "all": True})["metafieldDefinitionDelete"]
    assert deleted == {"deletedDefinitionId": made["id"], "userErrors": [],
                       "deletedDefinition": {"ownerType": "PRODUCT", "namespace": "cloudinary", "key": "assets"}}
    assert sim.data(READ, {"id": pid, "namespace": "cloudinary", "key": "assets"})["product"]["metafield"] is None
    # An id-type definition cannot be deleted while keeping its values.
    ident = sim.data(DEFINITION_CREATE, {"definition": definition(key="sku_id", type="id")})
    guarded = sim.data(DEFINITION_DELETE, {"id": ident["metafieldDefinitionCreate"]["createdDefinition"]["id"]})
    assert guarded["metafieldDefinitionDelete"]["userErrors"] == [{
        "field": None, "code": "ID_TYPE_DELETION_ERROR",
        "message": "Deleting an id type metafield definition requires deletion of its associated metafields."}]


def test_another_apps_namespace_is_off_limits(sim: Sim):
    pid = product_gid(sim, "red-shirt")
    result = set_metafields(sim, entry(pid, "tier", "single_line_text_field", "x", namespace="app--999999999999--x"))
    assert result == {"metafields": [], "userErrors": [{
        "field": ["metafields", "0"], "code": "APP_NOT_AUTHORIZED", "elementIndex": None,
        "message": "Access to this namespace and key on Metafields for this resource type is not allowed."}]}
    deleted = sim.data(DELETE, {"metafields": [{"ownerId": pid, "namespace": "app--999999999999", "key": "tier"}]})
    assert deleted["metafieldsDelete"] == {"deletedMetafields": [], "userErrors": [{
        "field": ["metafields"],
        "message": "Access to this namespace and key on Metafields for this resource type is not allowed."}]}


def test_definitions_in_another_apps_namespace_are_access_denied(sim: Sim):
    body = sim.gql(DEFINITION_CREATE, {"definition": definition(namespace="app--999999999999--x")})
    assert body["data"] == {"metafieldDefinitionCreate": None}
    [error] = body["errors"]
    assert error["extensions"]["code"] == "ACCESS_DENIED"
    assert error["message"].startswith("Access denied for metafieldDefinitionCreate field. Required access: API client")


def test_a_shop_with_a_known_id_answers_with_it_everywhere(sim_api):
    # A replayed store keeps its real Shop gid (shop-owner-metafields-read-after-write
    # captured owner.id gid://shopify/Shop/92891250994); without one it is derived from the domain.
    sim_api.create_shop()
    derived = sim_api.data("{ shop { id } }")["shop"]["id"]
    assert derived.startswith("gid://shopify/Shop/")
    sim_api.state.shops["acme.myshopify.com"].id = 92891250994
    shop_gid = "gid://shopify/Shop/92891250994"
    assert sim_api.data("{ shop { id } }")["shop"]["id"] == shop_gid
    assert sim_api.data("query($id: ID!) { node(id: $id) { id } }", {"id": shop_gid})["node"] == {"id": shop_gid}
    assert sim_api.data("query($id: ID!) { node(id: $id) { id } }", {"id": derived})["node"] is None
    body = sim_api.data("""mutation($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) {
        metafields { owner { ... on Shop { id } } } userErrors { message } } }""",
                        {"m": [{"ownerId": shop_gid, "namespace": "custom", "key": "kk",
                                "type": "single_line_text_field", "value": "v"}]})
    assert body["metafieldsSet"] == {"metafields": [{"owner": {"id": shop_gid}}], "userErrors": []}


CONSTRAINED = """
mutation($ns: String!, $key: String!, $constraints: MetafieldDefinitionConstraintsInput) {
  metafieldDefinitionCreate(definition: {ownerType: PRODUCT, namespace: $ns, key: $key, name: $key,
                                         type: "single_line_text_field", constraints: $constraints}) {
    createdDefinition { id key constraints { key values(first: 5) { nodes { value } } } }
    userErrors { code }
  }
}"""
PIN = """mutation($ns: String!, $key: String!) { metafieldDefinitionPin(identifier: {ownerType: PRODUCT,
  namespace: $ns, key: $key}) { pinnedDefinition { key pinnedPosition } userErrors { field message code } } }"""
CONSTRAINTS_UPDATE = """mutation($ns: String!, $updates: MetafieldDefinitionConstraintsUpdatesInput) {
  metafieldDefinitionUpdate(definition: {
      ownerType: PRODUCT, namespace: $ns, key: "tier", constraintsUpdates: $updates}) {
    updatedDefinition { constraints { key values(first: 5) { nodes { value } } } }
    userErrors { field message code } } }"""


def test_constrained_definitions_cannot_be_pinned_and_constraints_update(sim: Sim):
    # Captured: metafield-definition-pin-limit-and-constraint-guard (UNSUPPORTED_PINNING wins over
    # the 50-pin limit) and metafield-definition-update-constraints (values by taxonomy id, key null).
    for n in range(50):
        sim.data(CONSTRAINED, {"ns": "pins", "key": f"pin_{n:02d}"})
        sim.data(PIN, {"ns": "pins", "key": f"pin_{n:02d}"})
    made = sim.data(CONSTRAINED, {"ns": "pins", "key": "constrained", "constraints": {
        "key": "category", "values": ["gid://shopify/TaxonomyCategory/ap-2"]}})["metafieldDefinitionCreate"]
    assert made["createdDefinition"]["constraints"] == {"key": "category", "values": {"nodes": [{"value": "ap-2"}]}}
    refused = sim.data(PIN, {"ns": "pins", "key": "constrained"})["metafieldDefinitionPin"]
    assert refused == {"pinnedDefinition": None, "userErrors": [{
        "field": None, "code": "UNSUPPORTED_PINNING",
        "message": "Constrained metafield definitions do not support pinning."}]}
    sim.data(CONSTRAINED, {"ns": "constraint_ns", "key": "tier"})

    def update(updates):
        return sim.data(CONSTRAINTS_UPDATE, {"ns": "constraint_ns", "updates": updates})["metafieldDefinitionUpdate"]

    assert update({"key": "category", "values": [{"create": "gid://shopify/TaxonomyCategory/ap-2"}]}) == {
        "updatedDefinition": {"constraints": {"key": None, "values": {"nodes": [{"value": "ap-2"}]}}}, "userErrors": []}
    assert sim.data(PIN, {"ns": "constraint_ns", "key": "tier"})["metafieldDefinitionPin"]["userErrors"][0]["code"] == \
        "UNSUPPORTED_PINNING"
    assert update({"key": "category", "values": [{"delete": "gid://shopify/TaxonomyCategory/ap-2"},
                                                 {"create": "gid://shopify/TaxonomyCategory/ap-2-1"}]})[
        "updatedDefinition"]["constraints"]["values"] == {"nodes": [{"value": "ap-2-1"}]}
    assert update({"key": "product_category", "values": []}) == {"updatedDefinition": None, "userErrors": [{
        "field": ["definition"], "code": "INVALID_INPUT",
        "message": "Cannot change the constraint key without providing values."}]}
    assert update({"key": None, "values": []})["updatedDefinition"]["constraints"] == {
        "key": None, "values": {"nodes": []}}


def test_definitions_by_pinned_position_list_pins_first_then_newest_unpinned(sim: Sim):
    # Captured (metafield-definition-pinning-parity): after unpinning, pin_b (newer) precedes pin_a.
    for key in ("pin_a", "pin_b", "pin_c"):
        sim.data(CONSTRAINED, {"ns": "order", "key": key})
    sim.data(PIN, {"ns": "order", "key": "pin_a"})
    nodes = sim.data("""{ metafieldDefinitions(ownerType: PRODUCT, first: 5, namespace: "order",
        sortKey: PINNED_POSITION) { nodes { key pinnedPosition } } }""")["metafieldDefinitions"]["nodes"]
    assert nodes == [{"key": "pin_a", "pinnedPosition": 1}, {"key": "pin_c", "pinnedPosition": None},
                     {"key": "pin_b", "pinnedPosition": None}]


def test_definition_access_rules_as_captured(sim: Sim):
    # metafield-definitions-access-validation.
    create = """mutation($d: MetafieldDefinitionInput!) { metafieldDefinitionCreate(definition: $d) {
        createdDefinition { id } userErrors { field message code } } }"""
    base = {"name": "Flag", "key": "flag", "ownerType": "PRODUCT", "type": "single_line_text_field"}
    message = 'Setting this access control is not permitted. It must be one of ["public_read_write"].'
    refused = sim.data(create, {"d": {**base, "namespace": "merchant_ns", "access": {"admin": "MERCHANT_READ"}}})
    assert refused["metafieldDefinitionCreate"] == {"createdDefinition": None, "userErrors": [
        {"field": ["definition"], "message": message, "code": "INVALID"}]}
    sim.data(create, {"d": {**base, "namespace": "merchant_ns"}})
    update = sim.data("""mutation($d: MetafieldDefinitionUpdateInput!) { metafieldDefinitionUpdate(definition: $d) {
        updatedDefinition { id } userErrors { field message code } } }""", {"d": {
        "namespace": "merchant_ns", "key": "flag", "ownerType": "PRODUCT", "access": {"admin": "MERCHANT_READ"}}})
    assert update["metafieldDefinitionUpdate"]["userErrors"] == [
        {"field": ["definition"], "message": message, "code": "INVALID_INPUT"}]
    denied = sim.gql(create, {"d": {**base, "namespace": "shopify", "access": {"storefront": "PUBLIC_READ"}}})
    assert denied["data"]["metafieldDefinitionCreate"] is None
    assert denied["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    # An unknown field in an input literal is worded as graphql-ruby words it.
    body = sim.gql("""mutation { metafieldDefinitionCreate(definition: {name: "x", namespace: "merchant_ns", key: "y",
        ownerType: PRODUCT, type: "single_line_text_field", access: {grants: []}}) { userErrors { message } } }""")
    assert body["errors"][0]["message"] == "InputObject 'MetafieldAccessInput' doesn't accept argument 'grants'"
    assert body["errors"][0]["extensions"] == {"code": "argumentNotAccepted", "name": "MetafieldAccessInput",
                                               "typeName": "InputObject", "argumentName": "grants"}
    assert body["errors"][0]["path"][-3:] == ["definition", "access", "grants"]
