"""Metaobjects as metafields need them (resolvers/metaobjects.py) and the
definition validations metafield values are held to, each with its source:
the 2026-10 schema's descriptions and the captures
(2025-01/metafields/metafields-set-validation-gaps.json)."""
from __future__ import annotations

import pytest

from tests.sim.graphql_support import ALL_SCOPES, DOMAIN, Sim, product_gid, shirt

DEFINE = """mutation D($d: MetaobjectDefinitionCreateInput!) { metaobjectDefinitionCreate(definition: $d) {
  metaobjectDefinition { id type name displayNameKey fieldDefinitions { key type { name category } } }
  userErrors { field message code elementKey elementIndex } } }"""
CREATE = """mutation C($m: MetaobjectCreateInput!) { metaobjectCreate(metaobject: $m) {
  metaobject { id type handle displayName fields { key value type } }
  userErrors { field message code elementKey elementIndex } } }"""
SET = """mutation S($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) {
  metafields { key value reference { ... on Metaobject { handle } } } userErrors { field message code } } }"""
DEFINITION = """mutation F($d: MetafieldDefinitionInput!) { metafieldDefinitionCreate(definition: $d) {
  createdDefinition { id } userErrors { field message code } } }"""


@pytest.fixture
def sim(sim_api: Sim) -> Sim:
    sim_api.create_shop(products=[shirt("Red Shirt")])
    # Each field's requiredAccess (schema): write_metaobject_definitions, write_metaobjects.
    sim_api.tokens[DOMAIN] = sim_api.token(scopes=ALL_SCOPES + ["write_metaobject_definitions",
                                                                "write_metaobjects"])
    return sim_api


def _define(sim: Sim, type_: str, **extra) -> dict:
    return sim.data(DEFINE, {"d": {"type": type_, "name": type_.title(), "displayNameKey": "title",
                                   "fieldDefinitions": [{"key": "title", "name": "Title",
                                                         "type": "single_line_text_field"}], **extra}})[
        "metaobjectDefinitionCreate"]


def test_definitions_and_entries_follow_the_schemas_rules(sim: Sim):
    created = _define(sim, "fabric")
    assert created["userErrors"] == []
    assert created["metaobjectDefinition"]["fieldDefinitions"] == [
        {"key": "title", "type": {"name": "single_line_text_field", "category": "TEXT"}}]
    # "Must be 3-255 characters long and only contain alphanumeric, hyphen, and underscore characters".
    assert [e["code"] for e in _define(sim, "ab")["userErrors"]] == ["TOO_SHORT"]
    assert [e["code"] for e in _define(sim, "no spaces")["userErrors"]] == ["INVALID"]
    assert [e["code"] for e in _define(sim, "fabric")["userErrors"]] == ["TAKEN"]
    lists = sim.data(DEFINE, {"d": {"type": "lists", "name": "Lists", "fieldDefinitions": [
        {"key": "numbers", "name": "Numbers", "type": "list.number_integer"},
        {"key": "dates", "name": "Dates", "type": "list.date"}]}})["metaobjectDefinitionCreate"]
    # Captured: list types keep their scalar's category.
    assert [f["type"]["category"] for f in lists["metaobjectDefinition"]["fieldDefinitions"]] == ["NUMBER", "DATE_TIME"]
    # An entry: its type must be a definition's, its fields the definition's, values of their types.
    entry = sim.data(CREATE, {"m": {"type": "fabric", "handle": "linen", "fields": [
        {"key": "title", "value": "Linen"}]}})["metaobjectCreate"]
    assert entry["metaobject"]["fields"] == [{"key": "title", "value": "Linen", "type": "single_line_text_field"}]
    assert entry["metaobject"]["displayName"] == "Linen"
    unknown = sim.data(CREATE, {"m": {"type": "nothing", "fields": []}})["metaobjectCreate"]
    assert [e["code"] for e in unknown["userErrors"]] == ["UNDEFINED_OBJECT_TYPE"]
    stray = sim.data(CREATE, {"m": {"type": "fabric", "fields": [{"key": "weight", "value": "1"}]}})
    assert [e["code"] for e in stray["metaobjectCreate"]["userErrors"]] == ["UNDEFINED_OBJECT_FIELD"]
    bad = sim.data(CREATE, {"m": {"type": "lists", "fields": [{"key": "numbers", "value": "[1, \"x\"]"}]}})
    assert [e["code"] for e in bad["metaobjectCreate"]["userErrors"]] == ["INVALID_VALUE"]
    # Handles are generated when omitted, and unique per type.
    again = sim.data(CREATE, {"m": {"type": "fabric", "fields": [{"key": "title", "value": "Linen"}]}})
    assert again["metaobjectCreate"]["metaobject"]["handle"] == "linen-2"
    taken = sim.data(CREATE, {"m": {"type": "fabric", "handle": "linen", "fields": []}})
    assert [e["code"] for e in taken["metaobjectCreate"]["userErrors"]] == ["TAKEN"]


def test_metaobject_references_and_their_definition_validation(sim: Sim):
    fabric = _define(sim, "fabric")["metaobjectDefinition"]["id"]
    _define(sim, "colour")
    linen = sim.data(CREATE, {"m": {"type": "fabric", "fields": [{"key": "title", "value": "Linen"}]}})[
        "metaobjectCreate"]["metaobject"]["id"]
    red = sim.data(CREATE, {"m": {"type": "colour", "fields": [{"key": "title", "value": "Red"}]}})[
        "metaobjectCreate"]["metaobject"]["id"]
    pid = product_gid(sim, "red-shirt")
    created = sim.data(DEFINITION, {"d": {"name": "Fabric", "namespace": "custom", "key": "fabric",
                                          "ownerType": "PRODUCT", "type": "metaobject_reference",
                                          "validations": [{"name": "metaobject_definition_id", "value": fabric}]}})
    assert created["metafieldDefinitionCreate"]["userErrors"] == []
    ok = sim.data(SET, {"m": [{"ownerId": pid, "namespace": "custom", "key": "fabric",
                               "type": "metaobject_reference", "value": linen}]})["metafieldsSet"]
    assert ok["metafields"] == [{"key": "fabric", "value": linen, "reference": {"handle": "linen"}}]
    # Captured wording: an entry of another definition is refused.
    refused = sim.data(SET, {"m": [{"ownerId": pid, "namespace": "custom", "key": "fabric",
                                    "type": "metaobject_reference", "value": red}]})["metafieldsSet"]
    assert refused["userErrors"] == [{"field": ["metafields", "0", "value"], "code": "INVALID_VALUE",
                                      "message": f"Value must belong to the specified metaobject definition {fabric}."}]
    missing = sim.data(SET, {"m": [{"ownerId": pid, "namespace": "custom", "key": "fabric",
                                    "type": "metaobject_reference", "value": "gid://shopify/Metaobject/1"}]})
    assert missing["metafieldsSet"]["userErrors"][0]["code"] == "INVALID_VALUE"


@pytest.mark.parametrize("type_, validations, value, message", [
    # Captured (metafields-set-validation-gaps): dates and date-times against their bounds, a rating's
    # scale against the definition's.
    ("date", [{"name": "max", "value": "2026-12-31"}], "2027-01-01", "Value has a maximum of 2026-12-31."),
    ("date_time", [{"name": "max", "value": "2026-12-31T23:59:59+00:00"}], "2027-01-01T00:00:00+00:00",
     "Value has a maximum of 2026-12-31 23:59:59 +0000."),
    ("date", [{"name": "min", "value": "2026-01-01"}], "2025-12-31", "Value has a minimum of 2026-01-01."),
    ("rating", [{"name": "scale_min", "value": "1.0"}, {"name": "scale_max", "value": "5.0"}],
     '{"value":"6.0","scale_min":"1.0","scale_max":"10.0"}',
     "Value min and max on the rating value must be the same as the min and max on the definition."),
    ("list.number_integer", [{"name": "max", "value": "5"}], "[1, 9]", "Value has a maximum of 5."),
])
def test_definition_validations_hold_values(sim: Sim, type_, validations, value, message):
    pid = product_gid(sim, "red-shirt")
    created = sim.data(DEFINITION, {"d": {"name": "Bound", "namespace": "custom", "key": "bound",
                                          "ownerType": "PRODUCT", "type": type_, "validations": validations}})
    assert created["metafieldDefinitionCreate"]["userErrors"] == []
    refused = sim.data(SET, {"m": [{"ownerId": pid, "namespace": "custom", "key": "bound", "type": type_,
                                    "value": value}]})["metafieldsSet"]["userErrors"]
    assert [e["message"] for e in refused] == [message]
