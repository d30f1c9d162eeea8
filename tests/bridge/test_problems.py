"""Every refusal is a problem document; bad input is never a 5xx."""
from __future__ import annotations

import json

import pytest

from tests.support import bearer


def _problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = json.loads(response.get_data(as_text=True))
    assert body["status"] == status and {"type", "title", "detail"} <= set(body)
    return body


def test_unknown_path_and_method(client):
    _problem(client.get("/bridge/v1/nothing-here"), 404)
    _problem(client.post("/bridge/v1/store"), 405)
    _problem(client.get("/bridge/v1/connect"), 405)


@pytest.mark.parametrize("raw", ["{", "{\"values\": [}", "NaN", "{\"a\": Infinity}", "\xff\xfe", " "])
def test_malformed_json_is_400(client, connected, raw):
    _, result = connected
    response = client.post("/bridge/v1/matches", headers=bearer(result["token"]),
                           data=raw.encode("latin-1"), content_type="application/json")
    _problem(response, 400)


@pytest.mark.parametrize("raw", ["[" * 100000, "[" * 33 + "]" * 33])
def test_nesting_past_the_depth_limit_is_422_naming_the_limit(client, connected, raw):
    # The depth limit is met before the unclosed flood is found malformed.
    _, result = connected
    response = client.post("/bridge/v1/matches", headers=bearer(result["token"]),
                           data=raw, content_type="application/json")
    assert _problem(response, 422)["limit"] == "nesting depth 32"


def test_body_over_5_mb_is_413(client, connected):
    _, result = connected
    big = json.dumps({"shopify_field": "sku", "values": ["x" * 1000] * 5300})
    assert len(big) > 5 * 1024 * 1024
    body = _problem(client.post("/bridge/v1/matches", headers=bearer(result["token"]), data=big,
                                content_type="application/json"), 413)
    assert "5 MB" in body["detail"]


def test_over_1000_values_is_422_naming_the_limit(client, connected):
    _, result = connected
    body = _problem(client.post("/bridge/v1/matches", headers=bearer(result["token"]),
                                json={"shopify_field": "sku", "values": [str(i) for i in range(1001)]}), 422)
    assert "1000" in body["detail"]
    assert body["errors"][0]["field"] == "values"


def test_field_paths_in_errors(client, connected):
    _, result = connected
    body = _problem(client.post("/bridge/v1/matches", headers=bearer(result["token"]),
                                json={"shopify_field": "sku", "values": ["ok", None, ["x"]]}), 422)
    assert {e["field"] for e in body["errors"]} >= {"values[1]", "values[2]"}


def test_unknown_field_is_422(client, connected):
    _, result = connected
    body = _problem(client.post("/bridge/v1/matches", headers=bearer(result["token"]),
                                json={"shopify_field": "colour", "values": ["x"]}), 422)
    assert body["errors"][0]["field"] == "shopify_field"


@pytest.mark.parametrize("payload", [
    {"connection_code": "\x00", "cloud_name": "a"},
    {"connection_code": "x" * 10000, "cloud_name": "a"},
    {"connection_code": "abc", "cloud_name": "a", "label": "\x00bad"},
    {"connection_code": ["abc"], "cloud_name": {"a": 1}},
    {"connection_code": "😀" * 50, "cloud_name": "a"},
])
def test_odd_connect_bodies_are_4xx(client, payload):
    response = client.post("/bridge/v1/connect", json=payload)
    assert 400 <= response.status_code < 500
    _problem(response, response.status_code)


def test_settings_reject_nul_and_huge_strings(client, connected):
    _, result = connected
    for body in ({"default_transformation": "w_1\x00"}, {"asset_type_field": "a\x00"},
                 {"sync_completed_webhook_url": "https://example.com/\x00"},
                 {"default_transformation": "w_1," * 5000}):
        _problem(client.put("/bridge/v1/settings", headers=bearer(result["token"]), json=body), 422)
