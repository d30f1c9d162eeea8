"""The OpenAPI document: complete, valid OpenAPI 3.1, and the app keeps to it
for generated input (schemathesis)."""
from __future__ import annotations

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_headers_conformance, response_schema_conformance,
                                               status_code_conformance)

from cloudinary_bridge.openapi import undocumented
from tests.bridge.conftest import connect

CONTRACT_PATHS = {("/bridge/v1/connect", "post"), ("/bridge/v1/connection", "delete"), ("/bridge/v1/store", "get"),
                  ("/bridge/v1/settings", "get"), ("/bridge/v1/settings", "put"), ("/bridge/v1/fields", "get"),
                  ("/bridge/v1/matches", "post"), ("/bridge/v1/openapi.json", "get")}
EXAMPLES_PER_OPERATION = 12


def test_document_is_public_valid_and_complete(client, app):
    response = client.get("/bridge/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"] == "3.1.0"
    schemathesis.openapi.from_dict(doc).validate()  # against the OpenAPI 3.1 meta-schema
    assert undocumented(app) == []
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert CONTRACT_PATHS <= documented
    assert doc["paths"]["/bridge/v1/connect"]["post"]["security"] == []
    assert doc["paths"]["/bridge/v1/store"]["get"]["security"] == [{"bearerAuth": []}]
    settings_schema = doc["components"]["schemas"]["Settings"]
    assert settings_schema["additionalProperties"] is False
    assert set(settings_schema["properties"]) == {
        "default_transformation", "alt_text_source", "filename_format", "video_behavior", "asset_type_field",
        "sync_completed_webhook_url", "cache_busting"}


def test_an_undeclared_route_is_reported(app):
    from cloudinary_bridge import bp
    # A route added without @openapi.operation shows up in undocumented().
    view = app.view_functions["bridge.get_store"]
    try:
        app.view_functions["bridge.get_store"] = lambda: None
        assert undocumented(app) == ["GET /bridge/v1/store"]
    finally:
        app.view_functions["bridge.get_store"] = view
    assert bp.name == "bridge"


def test_generated_requests_never_break_the_contract(app, client, sim_shop):
    """Positive and negative examples for every operation, authenticated with
    a real connection token: no 5xx, every status, header, content type and
    body as documented, invalid input rejected."""
    from shopify_app import credentials
    from shopify_app.extensions import db
    from shopify_app.models import Shop

    app.config["BRIDGE_CONNECT_FAILURE_LIMIT"] = "100000 per minute"
    shop = sim_shop(products=[{"title": "Blue Shirt", "handle": "blue-shirt", "variants": [{"sku": "ABC-1"}]}])
    token = connect(client, shop.domain)["token"]

    def fresh_key() -> str:
        with app.app_context():
            row = db.session.get(Shop, shop.shop_id)
            return credentials.create_api_key(row, f"fuzz {uuid.uuid4().hex[:6]}").token

    schema = schemathesis.openapi.from_wsgi("/bridge/v1/openapi.json", app)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_headers_conformance, response_schema_conformance]
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {(op.path, op.method.lower()) for op in operations}
    assert CONTRACT_PATHS - labels <= {("/bridge/v1/openapi.json", "get")}, labels
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            # DELETE /connection revokes what it is called with: give it its own key each time.
            revoking = operation.method.upper() == "DELETE"

            @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                headers = {"Authorization": f"Bearer {fresh_key() if revoking else token}"}
                # Invalid bodies and path parameters must be refused. Unknown
                # query parameters are ignored by design (tolerant reader), and
                # a negated Authorization header is replaced by the real token.
                negated = {loc for loc, info in (case.meta.components if case.meta else {}).items()
                           if info.mode.is_negative}
                strict = negated & {ParameterLocation.BODY, ParameterLocation.PATH}
                case.call_and_validate(headers=headers, checks=checks + ([negative_data_rejection] if strict else []))

            try:
                run()
            except Exception as exc:  # name the operation that failed
                pytest.fail(f"{operation.method.upper()} {operation.path} ({mode.value}): {exc}")
