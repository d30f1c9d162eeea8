"""API versions (shopify_sim/versions.py): which versions answer, and the rules
Shopify documents as changing with the version — each test names its source."""
from __future__ import annotations

import json

import pytest

from shopify_sim import versions

from .graphql_support import make_sim

RUN_QUERY = """mutation Run($q: String!) { bulkOperationRunQuery(query: $q) {
  bulkOperation { id status } userErrors { field message code } } }"""
SET = """mutation Set($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) {
  metafields { id } userErrors { field message code } } }"""
PRODUCT = "{ products(first: 1) { nodes { id } } }"


@pytest.fixture
def sim():
    s = make_sim(SIM_BULK_DELAY=1.0)
    s.create_shop(products=[{"title": "Shirt", "variants": [{"sku": "S-1"}]}])
    return s


def test_quarterly_versions_answer_and_name_the_version_served(sim):
    # https://shopify.dev/docs/api/usage/versioning: quarterly `YYYY-MM` versions; an unsupported
    # one "falls forward … to the oldest supported stable version"; X-Shopify-API-Version names it.
    for requested, answered in (("2026-10", "2026-10"), ("2026-04", "2026-04"), ("2025-10", "2025-10"),
                                ("2025-01", "2025-10"), ("2019-04", "2025-10")):
        response = sim.post(PRODUCT, version=requested)
        assert response.status_code == 200, requested
        assert response.headers["X-Shopify-API-Version"] == answered
    for refused in ("2026-02", "2027-01", "unstable", "latest", "2026-4"):
        response = sim.post(PRODUCT, version=refused)
        assert response.status_code == 404, refused
        assert "not served" in response.get_json()["errors"]


def test_the_oldest_supported_version_is_configurable():
    assert versions.served("2025-01", {"SIM_OLDEST_API_VERSION": "2025-01"}) == "2025-01"
    assert versions.served("2024-10", {"SIM_OLDEST_API_VERSION": "2025-01"}) == "2025-01"
    assert versions.served("2026-07", {}) == "2026-07"
    with pytest.raises(ValueError):
        versions.oldest_supported({"SIM_OLDEST_API_VERSION": "2027-01"})


@pytest.mark.parametrize("version, allowed", [("2025-10", 1), ("2026-01", 5), ("2026-04", 5), ("2026-10", 5)])
def test_concurrent_bulk_operations_follow_the_version(sim, version, allowed):
    # Bulk query guide: "In API versions 2026-01 and higher … up to five bulk query operations at a
    # time per shop. In API versions prior to 2026-01, … only one bulk operation of each type".
    query = "{ products { edges { node { id } } } }"
    started = [sim.data(RUN_QUERY, {"q": query}, version=version)["bulkOperationRunQuery"] for _ in range(allowed)]
    assert all(s["bulkOperation"]["status"] == "CREATED" for s in started)
    refused = sim.data(RUN_QUERY, {"q": query}, version=version)["bulkOperationRunQuery"]
    assert refused["bulkOperation"] is None
    assert [e["code"] for e in refused["userErrors"]] == ["OPERATION_IN_PROGRESS"]


def test_json_metafield_size_follows_the_version(sim):
    # https://shopify.dev/changelog/reduced-metafield-value-sizes: "When using API version 2026-04 or
    # later, JSON type metafield writes will be limited to 128KB"; the 2 MB limit before.
    owner = sim.data(PRODUCT)["products"]["nodes"][0]["id"]
    value = json.dumps({"text": "x" * (200 * 1024)})

    def write(version: str) -> list:
        return sim.data(SET, {"m": [{"ownerId": owner, "namespace": "custom", "key": "big", "type": "json",
                                     "value": value}]}, version=version)["metafieldsSet"]["userErrors"]

    assert write("2025-10") == []
    assert write("2026-04") == [{"field": ["metafields", "0", "value"], "code": "INVALID_VALUE",
                                 "message": "Value is too long (maximum is 128 KB)."}]
    too_big = json.dumps({"text": "x" * (2 * 1024 * 1024)})
    refused = sim.data(SET, {"m": [{"ownerId": owner, "namespace": "custom", "key": "big", "type": "json",
                                    "value": too_big}]}, version="2026-01")["metafieldsSet"]["userErrors"]
    assert [e["code"] for e in refused] == ["INVALID_VALUE"]


@pytest.mark.parametrize("type_,fits,too_long,limit", [
    # https://shopify.dev/docs/apps/build/metafields/metafield-limits: 64 KB for a value of most types,
    # 2 KB for `url` and `id` (json is above: 128 KB at the app's version).
    ("multi_line_text_field", "x" * (64 * 1024), "x" * (64 * 1024 + 1), "64 KB"),
    ("url", "https://example.com/" + "a" * (2 * 1024 - 20), "https://example.com/" + "a" * (2 * 1024 - 19), "2 KB"),
])
def test_value_size_limits_of_other_types(sim, type_, fits, too_long, limit):
    owner = sim.data(PRODUCT)["products"]["nodes"][0]["id"]

    def write(value: str) -> list:
        return sim.data(SET, {"m": [{"ownerId": owner, "namespace": "custom", "key": f"big_{type_}", "type": type_,
                                     "value": value}]})["metafieldsSet"]["userErrors"]

    assert len(fits.encode()) == {"64 KB": 64 * 1024, "2 KB": 2 * 1024}[limit]
    assert write(fits) == []
    assert write(too_long) == [{"field": ["metafields", "0", "value"], "code": "INVALID_VALUE",
                                "message": f"Value is too long (maximum is {limit})."}]
