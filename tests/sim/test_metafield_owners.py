"""Metafields on every owner type the 2026-10 schema's MetafieldOwnerType
names, collections (collectionCreate, rule sets, reads), and
productVariantsBulkUpdate (variant SKU, barcode, price, metafields)."""
from __future__ import annotations

from shopify_sim.catalog import OwnerRecord

from .graphql_support import DOMAIN, make_sim, product_gid, shirt

SET = """mutation Set($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) {
  metafields { id namespace key value ownerType owner { ... on Node { id } } } userErrors { field message code } } }"""
COLLECTION_CREATE = """mutation C($input: CollectionInput!) { collectionCreate(input: $input) {
  collection { id title handle ruleSet { appliedDisjunctively rules { column relation condition
    conditionObject { __typename ... on CollectionRuleMetafieldCondition { metafieldDefinition { id key } } } } }
    products(first: 10) { nodes { title } } productsCount { count } }
  userErrors { field message } } }"""
DEFINITION = """mutation D($d: MetafieldDefinitionInput!) { metafieldDefinitionCreate(definition: $d) {
  createdDefinition { id } userErrors { field message code } } }"""
DELETE_DEFINITION = """mutation X($id: ID!) { metafieldDefinitionDelete(id: $id, deleteAllAssociatedMetafields: true) {
  deletedDefinitionId userErrors { field message code } } }"""
VARIANTS = """mutation V($p: ID!, $v: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $p, variants: $v) {
  productVariants { id sku barcode price metafield(namespace: "custom", key: "fit") { value } }
  userErrors { field message code } } }"""


def _sim():
    sim = make_sim()
    sim.create_shop(products=[shirt("Blue Shirt", skus=("B-1", "B-2"), tags=["blue"]),
                              shirt("Red Shirt", skus=("R-1",), tags=["red"])])
    return sim


def test_metafields_set_on_a_collection_and_read_back():
    sim = _sim()
    created = sim.data(COLLECTION_CREATE, {"input": {"title": "Summer", "products": [product_gid(sim, "red-shirt")]}})
    collection = created["collectionCreate"]["collection"]
    assert collection["handle"] == "summer" and collection["ruleSet"] is None
    assert collection["products"]["nodes"] == [{"title": "Red Shirt"}]
    written = sim.data(SET, {"m": [{"ownerId": collection["id"], "namespace": "custom", "key": "season",
                                    "type": "single_line_text_field", "value": "summer"}]})["metafieldsSet"]
    assert written["userErrors"] == [] and written["metafields"][0]["ownerType"] == "COLLECTION"
    assert written["metafields"][0]["owner"]["id"] == collection["id"]
    read = sim.data('query($id: ID!) { collection(id: $id) { title metafield(namespace: "custom", key: "season") '
                    '{ value } } node(id: $id) { id } }', {"id": collection["id"]})
    assert read["collection"] == {"title": "Summer", "metafield": {"value": "summer"}}
    assert read["node"]["id"] == collection["id"]
    assert sim.data(COLLECTION_CREATE, {"input": {"title": " "}})["collectionCreate"]["userErrors"] == [
        {"field": ["title"], "message": "Title can't be blank"}]


def test_automated_collection_rules_pick_products_and_hold_their_definition():
    sim = _sim()
    definition = sim.data(DEFINITION, {"d": {"name": "Shade", "namespace": "custom", "key": "shade",
                                             "ownerType": "PRODUCT", "type": "single_line_text_field",
                                             "capabilities": {"smartCollectionCondition": {"enabled": True}}}})
    definition_id = definition["metafieldDefinitionCreate"]["createdDefinition"]["id"]
    sim.data(SET, {"m": [{"ownerId": product_gid(sim, "blue-shirt"), "namespace": "custom", "key": "shade",
                          "type": "single_line_text_field", "value": "navy"}]})
    by_tag = sim.data(COLLECTION_CREATE, {"input": {"title": "Reds", "ruleSet": {"appliedDisjunctively": False,
                      "rules": [{"column": "TAG", "relation": "EQUALS", "condition": "red"}]}}})
    assert by_tag["collectionCreate"]["collection"]["products"]["nodes"] == [{"title": "Red Shirt"}]
    by_field = sim.data(COLLECTION_CREATE, {"input": {"title": "Navy", "ruleSet": {"appliedDisjunctively": False,
                        "rules": [{"column": "PRODUCT_METAFIELD_DEFINITION", "relation": "EQUALS",
                                   "condition": "navy", "conditionObjectId": definition_id}]}}})
    collection = by_field["collectionCreate"]["collection"]
    assert collection["products"]["nodes"] == [{"title": "Blue Shirt"}] and collection["productsCount"]["count"] == 1
    rule = collection["ruleSet"]["rules"][0]
    assert rule["conditionObject"] == {"__typename": "CollectionRuleMetafieldCondition",
                                       "metafieldDefinition": {"id": definition_id, "key": "shade"}}
    # Captured: a definition an automated collection uses cannot be deleted.
    refused = sim.data(DELETE_DEFINITION, {"id": definition_id})["metafieldDefinitionDelete"]
    assert refused["deletedDefinitionId"] is None and refused["userErrors"][0]["code"] == "METAFIELD_DEFINITION_IN_USE"


def test_metafields_on_owner_types_the_store_has():
    sim = _sim()
    catalog = sim.state.shops[DOMAIN].catalog
    for kind, number in (("Location", 11), ("Page", 12), ("Market", 13)):
        record = OwnerRecord(kind=kind, id=number, fields={"name": f"{kind} one"})
        catalog.owners[record.gid] = record
    rows = [{"ownerId": f"gid://shopify/{kind}/{n}", "namespace": "custom", "key": "note",
             "type": "single_line_text_field", "value": kind} for kind, n in (("Location", 11), ("Page", 12),
                                                                              ("Market", 13))]
    written = sim.data(SET, {"m": rows}, token=sim.token(scopes=["write_products", "read_markets",
                                                                 "read_locations", "read_content"]))
    assert [m["ownerType"] for m in written["metafieldsSet"]["metafields"]] == ["LOCATION", "PAGE", "MARKET"]
    missing = sim.data(SET, {"m": [{**rows[0], "ownerId": "gid://shopify/Location/999"}]})["metafieldsSet"]
    assert missing["userErrors"][0]["code"] == "INVALID_VALUE"
    read = sim.data('{ location(id: "gid://shopify/Location/11") { name metafield(namespace: "custom", key: "note") '
                    '{ value } } }', token=sim.token(scopes=["read_locations"]))
    assert read["location"] == {"name": "Location one", "metafield": {"value": "Location"}}


def test_product_variants_bulk_update():
    sim = _sim()
    product = product_gid(sim, "blue-shirt")
    variants = sim.data('query($id: ID!) { product(id: $id) { variants(first: 5) { nodes { id } } } }',
                        {"id": product})["product"]["variants"]["nodes"]
    updated = sim.data(VARIANTS, {"p": product, "v": [{"id": variants[0]["id"], "barcode": "123",
                                                       "price": "9.50", "inventoryItem": {"sku": "B-NEW"},
                                                       "metafields": [{"namespace": "custom", "key": "fit",
                                                                       "type": "single_line_text_field",
                                                                       "value": "slim"}]}]})
    result = updated["productVariantsBulkUpdate"]
    assert result["userErrors"] == []
    assert result["productVariants"] == [{"id": variants[0]["id"], "sku": "B-NEW", "barcode": "123",
                                          "price": "9.50", "metafield": {"value": "slim"}}]
    assert sim.data('{ productVariants(first: 5, query: "sku:B-NEW") { nodes { id } } }')[
        "productVariants"]["nodes"] == [{"id": variants[0]["id"]}]
    assert sim.data('{ productVariants(first: 5, query: "sku:B-1") { nodes { id } } }')[
        "productVariants"]["nodes"] == []
    other = product_gid(sim, "red-shirt")
    refused = sim.data(VARIANTS, {"p": other, "v": [{"id": variants[1]["id"], "price": "1"}]})
    assert refused["productVariantsBulkUpdate"]["userErrors"] == [
        {"field": ["variants", "0", "id"], "message": "Product variant does not exist",
         "code": "PRODUCT_VARIANT_DOES_NOT_EXIST"}]
    unmodelled = sim.gql(VARIANTS, {"p": product, "v": [{"id": variants[1]["id"], "taxCode": "P0000000"}]})
    assert "not implemented" in unmodelled["errors"][0]["message"]


def test_pricing_and_inventory_of_a_new_variant_and_its_inventory_item():
    # Captured (2025-01/products/products-partial-overlay-read.json, a product made by productCreate):
    # compareAtPrice null, taxable true, inventoryPolicy DENY, inventoryQuantity 0, totalInventory 0,
    # tracksInventory false, an inventory item not tracked that requires shipping.
    sim = _sim()
    created = sim.data("""mutation { productCreate(product: {title: "Cap"}) { product { id totalInventory
      tracksInventory collections(first: 5) { nodes { id } } variants(first: 1) { nodes { id sku barcode price
      compareAtPrice taxable inventoryPolicy inventoryQuantity inventoryItem { id tracked requiresShipping } } } } }
    }""")
    product = created["productCreate"]["product"]
    variant = product["variants"]["nodes"][0]
    assert (product["totalInventory"], product["tracksInventory"], product["collections"]["nodes"]) == (0, False, [])
    assert {k: v for k, v in variant.items() if k not in ("id", "inventoryItem")} == {
        "sku": None, "barcode": None, "price": "0.00", "compareAtPrice": None, "taxable": True,
        "inventoryPolicy": "DENY", "inventoryQuantity": 0}
    item = variant["inventoryItem"]
    assert item["id"].startswith("gid://shopify/InventoryItem/")
    assert (item["tracked"], item["requiresShipping"]) == (False, True)
    # The inventory item is a node of its own, and productVariantsBulkUpdate sets what it models.
    changed = sim.data("""mutation V($p: ID!, $v: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(
      productId: $p, variants: $v) { productVariants { compareAtPrice taxable inventoryPolicy
      inventoryItem { tracked requiresShipping sku } } userErrors { message } } }""", {"p": product["id"], "v": [{
        "id": variant["id"], "compareAtPrice": "12.00", "taxable": False, "inventoryPolicy": "CONTINUE",
        "inventoryItem": {"tracked": True, "requiresShipping": False, "sku": "CAP-1"}}]})
    assert changed["productVariantsBulkUpdate"]["productVariants"] == [{
        "compareAtPrice": "12.00", "taxable": False, "inventoryPolicy": "CONTINUE",
        "inventoryItem": {"tracked": True, "requiresShipping": False, "sku": "CAP-1"}}]
    node = sim.data('query($id: ID!, $p: ID!) { node(id: $id) { ... on InventoryItem { tracked variant { id } } } '
                    'product(id: $p) { tracksInventory } }', {"id": item["id"], "p": product["id"]})
    assert node == {"node": {"tracked": True, "variant": {"id": variant["id"]}}, "product": {"tracksInventory": True}}
    # A product is in the collections that list it.
    collection = sim.data(COLLECTION_CREATE, {"input": {"title": "Hats", "products": [product["id"]]}})
    listed = sim.data('query($id: ID!) { product(id: $id) { collections(first: 5) { nodes { title } } } }',
                      {"id": product["id"]})
    assert listed["product"]["collections"]["nodes"] == [{"title": "Hats"}]
    assert collection["collectionCreate"]["collection"]["id"]
