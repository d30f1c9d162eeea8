"""standardMetafieldDefinitionEnable in the simulator: Shopify's answers as
recorded in the standard-metafield-definition-enable-* captures."""
from __future__ import annotations

from tests.sim.graphql_support import Sim, shirt

import pytest

ENABLE = """
mutation($ownerType: MetafieldOwnerType!, $id: ID, $namespace: String, $key: String, $pin: Boolean,
         $capabilities: MetafieldCapabilityCreateInput, $access: StandardMetafieldDefinitionAccessInput) {
  standardMetafieldDefinitionEnable(ownerType: $ownerType, id: $id, namespace: $namespace, key: $key, pin: $pin,
                                    capabilities: $capabilities, access: $access) {
    createdDefinition { id namespace key name ownerType pinnedPosition type { name } validations { name value }
                        access { storefront } }
    userErrors { field message code }
  }
}"""
TEMPLATE = "gid://shopify/StandardMetafieldDefinitionTemplate/{}"


@pytest.fixture
def sim(sim_api: Sim) -> Sim:
    sim_api.create_shop(products=[shirt("Red Shirt")])
    return sim_api


def enable(sim: Sim, **variables) -> dict:
    return sim.data(ENABLE, {"ownerType": "PRODUCT", **variables})["standardMetafieldDefinitionEnable"]


def test_enabling_a_template_creates_its_definition_once(sim: Sim):
    first = enable(sim, id=TEMPLATE.format(1))
    created = first["createdDefinition"]
    assert first["userErrors"] == [] and created["id"].startswith("gid://shopify/MetafieldDefinition/")
    assert {k: created[k] for k in ("namespace", "key", "name", "ownerType", "pinnedPosition", "type",
                                    "validations", "access")} == {
        "namespace": "descriptors", "key": "subtitle", "name": "Product subtitle", "ownerType": "PRODUCT",
        "pinnedPosition": None, "type": {"name": "single_line_text_field"},
        "validations": [{"name": "max", "value": "70"}], "access": {"storefront": "PUBLIC_READ"}}
    # Re-enabling answers the same definition; pin: true pins it at the next position.
    assert enable(sim, namespace="descriptors", key="subtitle")["createdDefinition"]["id"] == created["id"]
    pinned = enable(sim, id=TEMPLATE.format(1), pin=True)["createdDefinition"]
    assert (pinned["id"], pinned["pinnedPosition"]) == (created["id"], 1)


def test_enable_refusals_as_shopify_words_them(sim: Sim):
    assert enable(sim, namespace="codex_missing_standard", key="codex_missing_key") == {
        "createdDefinition": None, "userErrors": [{"field": None, "code": "TEMPLATE_NOT_FOUND", "message":
                                                   "A standard definition wasn't found for the specified owner "
                                                   "type, namespace, and key."}]}
    assert enable(sim, id=TEMPLATE.format(1), ownerType="COLLECTION")["userErrors"][0]["code"] == "TEMPLATE_NOT_FOUND"
    assert enable(sim, id=TEMPLATE.format(1), access={"admin": "MERCHANT_READ"})["userErrors"] == [{
        "field": ["access"], "code": "INVALID",
        "message": 'Setting this access control is not permitted. It must be one of ["public_read_write"].'}]
    assert enable(sim, id=TEMPLATE.format(2), capabilities={"smartCollectionCondition": {"enabled": True}})[
        "userErrors"] == [{"field": None, "code": "INVALID_CAPABILITY",
                           "message": "The capability smart_collection_condition is not valid for this definition."}]
    assert enable(sim, id=TEMPLATE.format(10004), capabilities={"uniqueValues": {"enabled": True}})[
        "userErrors"][0]["message"] == "The capability unique_values is not valid for this definition."
    assert enable(sim, id=TEMPLATE.format(10004), pin=True)["userErrors"] == [{
        "field": None, "code": "UNSUPPORTED_PINNING",
        "message": "Constrained metafield definitions do not support pinning."}]
    # Nothing was created by any refusal.
    listed = sim.data("{ metafieldDefinitions(ownerType: PRODUCT, first: 5) { nodes { key } } }")
    assert listed["metafieldDefinitions"]["nodes"] == []


def test_access_on_a_shopify_namespace_template_is_refused(sim: Sim):
    # Captured (metafield-definitions-access-validation): shopify.color-pattern.
    refused = enable(sim, namespace="shopify", key="color-pattern", access={"storefront": "PUBLIC_READ"})
    assert refused == {"createdDefinition": None, "userErrors": [{
        "field": ["access"], "code": "INVALID",
        "message": "Setting access controls on a definition under this namespace is not permitted."}]}
    created = enable(sim, namespace="shopify", key="color-pattern")["createdDefinition"]
    assert (created["namespace"], created["key"], created["access"]) == (
        "shopify", "color-pattern", {"storefront": "PUBLIC_READ"})
