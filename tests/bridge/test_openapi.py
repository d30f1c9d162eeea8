"""The OpenAPI document: complete, valid OpenAPI 3.1, and the app keeps to it
for generated input (schemathesis)."""
from __future__ import annotations

import os
import subprocess
import sys
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
from tests.cloudinary_sim.support import csim  # noqa: F401  (automation checks credentials with Cloudinary)
from tests.server_thread import ServerThread
from tests.support import connect

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


def test_generated_requests_never_break_the_contract(app, client, sim_shop, csim):  # noqa: F811
    """Positive and negative examples for every operation, authenticated with
    a real connection token: no 5xx, every status, header, content type and
    body as documented, invalid input rejected."""
    from shopify_app import credentials
    from shopify_app.extensions import db
    from shopify_app.models import Shop

    app.config["BRIDGE_CONNECT_FAILURE_LIMIT"] = "100000 per minute"
    # PUT /automation asks Cloudinary about the credentials: the local one (which refuses made-up ones, a 422).
    app.config["CLOUDINARY_API_ORIGIN"] = csim.base_url
    shop = sim_shop(products=[{"title": "Blue Shirt", "handle": "blue-shirt", "variants": [{"sku": "ABC-1"}]}])
    token = connect(client, shop.domain)["token"]

    def fresh_key() -> str:
        with app.app_context():
            row = db.session.get(Shop, shop.shop_id)
            return credentials.create_api_key(row, f"fuzz {uuid.uuid4().hex[:6]}").token

    schema = schemathesis.openapi.from_wsgi("/bridge/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {(op.path, op.method.lower()) for op in operations}
    assert CONTRACT_PATHS - labels <= {("/bridge/v1/openapi.json", "get")}, labels
    for operation in operations:
        # DELETE /connection revokes what it is called with: give it its own key each time.
        key = fresh_key if operation.method.upper() == "DELETE" else lambda: token
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, key)


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


def _fuzz(operation, mode, key) -> None:
    """Generated cases of one operation in one mode, each sent with `key()`
    as its bearer token."""
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        headers = {"Authorization": f"Bearer {key()}"}
        # Invalid bodies and path parameters must be refused. Unknown
        # query parameters are ignored by design (tolerant reader), and
        # a negated Authorization header is replaced by the real token.
        negated = {loc for loc, info in (case.meta.components if case.meta else {}).items()
                   if info.mode.is_negative}
        strict = negated & {ParameterLocation.BODY, ParameterLocation.PATH}
        case.call_and_validate(headers=headers, checks=CHECKS + ([negative_data_rejection] if strict else []))

    try:
        run()
    except Exception as exc:  # name the operation that failed
        pytest.fail(f"{operation.method.upper()} {operation.path} ({mode.value}): {exc}")


SCHEMATHESIS_EXAMPLES = int(os.environ.get("ASSETLINK_SCHEMATHESIS_EXAMPLES", "25"))
# Deterministic in CI; ASSETLINK_SCHEMATHESIS_SEED=N explores other inputs.
SCHEMATHESIS_GENERATION = (["--seed", os.environ["ASSETLINK_SCHEMATHESIS_SEED"]]
                           if os.environ.get("ASSETLINK_SCHEMATHESIS_SEED") else ["--generation-deterministic"])


@pytest.mark.timeout(1800)  # a fuzzing run; ASSETLINK_SCHEMATHESIS_EXAMPLES scales it
def test_schemathesis_with_every_check_finds_nothing(app, client, sim_shop, tmp_path, csim):  # noqa: F811
    """Issue 15.2/15.7: the schemathesis CLI, every check on (`--checks all`:
    no 5xx, statuses, content types, headers and bodies as documented, schema-
    valid data accepted and invalid data refused, missing headers, methods,
    auth, stateful checks), all phases, over real HTTP, against a store with
    data. DELETE /connection revokes the token the run uses, so it has the
    in-process test above (a fresh key per call) instead."""
    app.config["BRIDGE_CONNECT_FAILURE_LIMIT"] = "100000 per minute"
    # PUT /automation asks Cloudinary about the credentials: the local one (which refuses made-up ones, a 422).
    app.config["CLOUDINARY_API_ORIGIN"] = csim.base_url
    shop = sim_shop(products=[{"title": "Blue Shirt", "handle": "blue-shirt", "variants": [{"sku": "ABC-1"}]}])
    token = connect(client, shop.domain)["token"]
    cli = os.path.join(os.path.dirname(sys.executable), "schemathesis")
    # PUT /automation: the contract answers 422 when Cloudinary refuses the
    # credentials, which no schema can state (the made-up ones are refused).
    (tmp_path / "schemathesis.toml").write_text(
        '[[operations]]\ninclude-path = "/bridge/v1/automation"\ninclude-method = "PUT"\n'
        'checks.positive_data_acceptance.expected-statuses = [200, 401, 403, 404, 409, 422, 429]\n')
    with ServerThread(app) as server:
        result = subprocess.run(
            [cli, "run", server.base_url + "/bridge/v1/openapi.json", "--checks", "all",
             "--phases", "examples,coverage,fuzzing,stateful", "-H", f"Authorization: Bearer {token}",
             "--exclude-path", "/bridge/v1/connection", "--max-examples", str(SCHEMATHESIS_EXAMPLES),
             "--workers", "1", *SCHEMATHESIS_GENERATION, "--no-color", "--continue-on-failure",
             "--report", "ndjson", "--report-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=3600, cwd=tmp_path)
    summary = result.stdout[-6000:]
    if os.environ.get("ASSETLINK_SCHEMATHESIS_OUT"):
        with open(os.environ["ASSETLINK_SCHEMATHESIS_OUT"], "w") as out:
            out.write(result.stdout + result.stderr)
    assert result.returncode == 0, summary
    assert "No issues found" in result.stdout or "0 failures" in result.stdout or "passed" in result.stdout, summary
