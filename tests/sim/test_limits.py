"""Limits read from what Shopify states (shopify_sim/limits.py): the numbers
the 2026-10 schema's descriptions give, and the rules they drive. (The
250-item input arrays, 1,000-point queries, 250 media per product and 25
metafields per call have their own tests in test_graphql_endpoint,
test_media_files, test_graphql_products and test_metafields.)"""
from __future__ import annotations

import json

from shopify_sim import limits

from .graphql_support import FILE_CREATE, FILE_UPDATE, create_ready_image, make_sim


def test_limits_come_from_the_schema_text():
    # metafieldsSet(metafields:) "Maximum of 25."; the mutation: "maximum total request payload size of 10MB".
    assert limits.metafields_set_inputs() == 25
    assert limits.metafields_set_payload_bytes() == 10 * 1024 * 1024
    # FilesErrorCode.ALT_VALUE_LIMIT_EXCEEDED "… maximum limit of 512 characters."
    assert limits.alt_length() == 512
    # MediaUserErrorCode.MAXIMUM_VARIANT_MEDIA_PAIRS_EXCEEDED "… maximum number of 100 variant-media pairs …"
    assert limits.variant_media_pairs() == 100
    # FilesErrorCode.TOO_MANY_FILE_REFERENCE "Cannot add more than 10000 references to a file."
    assert limits.file_references() == 10_000


def test_a_filename_names_a_file_not_a_path(sim_api):
    sim_api.create_shop()
    for name in ("shirts/front.png", "  ", "a\\b.png", "tab\there.png"):
        body = sim_api.data(FILE_CREATE, {"files": [{"originalSource": "https://img.example.com/a.png",
                                                     "filename": name}]})["fileCreate"]
        assert body["files"] == [] and body["userErrors"] == [
            {"field": ["files", "0", "filename"], "message": "The provided filename is invalid.",
             "code": "INVALID_FILENAME"}], name
    ready = create_ready_image(sim_api, "https://img.example.com/b.png")
    body = sim_api.data(FILE_UPDATE, {"files": [{"id": ready, "filename": "dir/b.png"}]})["fileUpdate"]
    assert [(e["field"], e["code"]) for e in body["userErrors"]] == [(["files"], "INVALID_FILENAME")]
    ok = sim_api.data(FILE_CREATE, {"files": [{"originalSource": "https://img.example.com/a.png",
                                               "filename": "front shirt (1).png"}]})["fileCreate"]
    assert ok["userErrors"] == []


def test_a_file_takes_at_most_ten_thousand_references():
    sim = make_sim()
    sim.create_shop(generate={"products": limits.file_references() + 1})
    products = [p["id"] for p in sim.shop_state()["products"]]
    image = create_ready_image(sim, "https://img.example.com/shared.png")
    for start in range(0, limits.file_references(), 250):
        body = sim.data(FILE_UPDATE, {"files": [{"id": image, "referencesToAdd": products[start:start + 250]}]})
        assert body["fileUpdate"]["userErrors"] == [], start
    body = sim.data(FILE_UPDATE, {"files": [{"id": image, "referencesToAdd": products[-1:]}]})["fileUpdate"]
    assert body["userErrors"] == [{"field": ["files", "0", "referencesToAdd"],
                                   "message": "Cannot add more than 10000 references to a file.",
                                   "code": "TOO_MANY_FILE_REFERENCE"}]
    assert body["files"] == []


METAFIELDS_SET = """mutation Set($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) {
  metafields { key } userErrors { field message code } } }"""


def test_metafields_set_refuses_a_request_over_ten_megabytes_and_writes_nothing():
    # The schema's metafieldsSet description: "Allows a maximum of 25 metafields to be set at a time,
    # with a maximum total request payload size of 10MB. This operation is atomic". Each value stays within
    # its type's limit: JSON values of just under 2 MB, which API versions before 2026-04 accept
    # (https://shopify.dev/changelog/reduced-metafield-value-sizes), so six of them exceed 10 MB together.
    sim = make_sim()
    sim.create_shop(generate={"products": 1})
    owner = sim.shop_state()["products"][0]["id"]
    value = json.dumps({"text": "x" * (2 * 1000 * 1000 - 20)})

    def write(count: int) -> dict:
        inputs = [{"ownerId": owner, "namespace": "custom", "key": f"big_{n}", "type": "json", "value": value}
                  for n in range(count)]
        return sim.data(METAFIELDS_SET, {"m": inputs}, version="2025-10")["metafieldsSet"]

    assert write(5)["userErrors"] == []  # about 10,000,000 bytes: within 10 MB (10,485,760)
    refused = write(6)
    assert refused == {"metafields": None, "userErrors": [
        {"field": ["metafields"], "message": "Exceeded the maximum total request payload size of 10MB.",
         "code": "LESS_THAN_OR_EQUAL_TO"}]}
    after = sim.data('query P($id: ID!) { product(id: $id) { metafield(namespace: "custom", key: "big_5") { id } } }',
                     {"id": owner}, version="2025-10")
    assert after["product"]["metafield"] is None
