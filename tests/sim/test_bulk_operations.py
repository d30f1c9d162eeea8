"""Bulk operations in the simulator, each rule with its source (the sources'
keys are those of shopify_sim/bulk/__init__.py: [G-Q] the bulk query guide,
[G-M] the bulk import guide, [C-2026-01] the changelog "Faster bulk
operations", [S] the 2026-10 schema's descriptions, [CAP] the recorded
captures in tests/conformance_data/…/bulk-operations)."""
from __future__ import annotations

import json
import os

import pytest

from shopify_sim import schema as schema_mod
from shopify_sim.bulk import jsonl, rules
from shopify_sim.state import App

from .graphql_support import make_sim

RUN_QUERY = """mutation Run($q: String!) { bulkOperationRunQuery(query: $q) {
  bulkOperation { id status type objectCount rootObjectCount url query }
  userErrors { field message code } } }"""
RUN_MUTATION = """mutation Import($m: String!, $path: String!, $ci: String) {
  bulkOperationRunMutation(mutation: $m, stagedUploadPath: $path, clientIdentifier: $ci) {
    bulkOperation { id status type } userErrors { field message code } } }"""
BY_ID = """query Op($id: ID!) { bulkOperation(id: $id) { id status type errorCode createdAt completedAt
  objectCount rootObjectCount fileSize url partialDataUrl query } }"""
CANCEL = """mutation Cancel($id: ID!) { bulkOperationCancel(id: $id) {
  bulkOperation { id status } userErrors { field message } } }"""
STAGE = """mutation Stage($input: [StagedUploadInput!]!) { stagedUploadsCreate(input: $input) {
  stagedTargets { url resourceUrl parameters { name value } } userErrors { field message } } }"""
PRODUCTS_WITH_CHILDREN = ('{ products { edges { node { id title variants { edges { node { id sku } } } '
                          'media { edges { node { id alt } } } } } } }')
CREATE_PRODUCT = ("mutation C($product: ProductCreateInput!) { productCreate(product: $product) "
                  "{ product { id title } userErrors { field message } } }")
CAPTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "conformance_data", "fixtures", "conformance",
                        "harry-test-heelo.myshopify.com", "2026-04", "bulk-operations")


def _problems(text: str) -> list[str]:
    return [p.message for p in rules.query_problems(schema_mod.admin_schema(), text)]


@pytest.fixture
def sim():
    s = make_sim(SIM_BULK_DELAY=1.0)
    s.create_shop(generate={"products": 3, "variants_per_product": 2, "media_per_product": 1})
    return s


def _run(sim, query: str = PRODUCTS_WITH_CHILDREN, **kwargs) -> dict:
    return sim.data(RUN_QUERY, {"q": query}, **kwargs)["bulkOperationRunQuery"]


def _finish(sim) -> None:
    sim.clock.advance(1.01)


def _download(sim, url: str):
    return sim.client.get(url.replace("http://sim.test", ""))


# -- which queries may run in bulk ---------------------------------------------------
def test_bulk_query_restrictions_worded_as_shopify():
    # [S]/[G-Q]: at least one connection, at most five, nesting at most two levels,
    # no top-level node/nodes; [CAP] the wording.
    assert _problems("{ shop { id } }") == ["Bulk queries must contain at least one connection."]
    assert _problems('{ node(id: "gid://shopify/Product/1") { id } }') == [
        "Bulk queries cannot contain a top level `node` field.", "Bulk queries must contain at least one connection."]
    six = ("{ products { edges { node { id variants { edges { node { id } } } media { edges { node { id } } } "
           "metafields { edges { node { id } } } collections { edges { node { id } } } "
           "images { edges { node { id } } } } } } }")
    assert _problems(six) == ["Bulk queries cannot contain more than 5 connections."]
    three_deep = ("{ collections { edges { node { id products { edges { node { id variants { edges { node { id "
                  "metafields { edges { node { id } } } } } } } } } } } } }")
    assert _problems(three_deep) == ["Bulk queries cannot contain connections with a nesting depth greater than 2."]
    two_deep = ("{ collections { edges { node { id products { edges { node { id variants { edges { node { id "
                "} } } } } } } } } }")
    assert _problems(two_deep) == []
    assert _problems("{ products { nodes { id } } }")[0].endswith("Invalid connection fields: 'products'.")
    assert _problems("{ products { edges { node { title variants { edges { node { id } } } } } } }")[0].endswith(
        "Connection fields without 'id': products.")
    assert _problems("mutation { productCreate(product: {title: \"x\"}) { product { id } } }") == [
        "Invalid operation type. Only `query` operations are supported."]
    assert _problems("") == ["Invalid bulk query: syntax error, unexpected end of file"]
    assert _problems("{ products { edges { node { nope } } } }") == [
        "Invalid bulk query: Field 'nope' doesn't exist on type 'Product'"]
    # [CAP] 65,535 bytes is the document's limit (65,536 refused).
    padding = "#" + "a" * (65_535 - len("\n{ products { edges { node { id } } } }") - 1)
    assert _problems(padding + "\n{ products { edges { node { id } } } }") == []
    assert _problems(padding + "a\n{ products { edges { node { id } } } }") == [
        "Query is too large (65536 bytes; maximum is 65535 bytes)"]


def test_bulk_mutation_restrictions_worded_as_shopify():
    schema = schema_mod.admin_schema()

    def check(text: str, client_identifier=None) -> list[tuple]:
        return [(p.field, p.message, p.code) for p in rules.mutation_problems(schema, text, client_identifier)]
    assert check(CREATE_PRODUCT) == []
    assert check("mutation { not parseable") == [
        (None, "Failed to parse the mutation - syntax error, unexpected end of file at [1, 16]", "INVALID_MUTATION")]
    assert check("query { shop { id } }")[0][1] == "Invalid operation type. Only `mutation` operations are supported."
    assert check("mutation { a: productCreate(product: {title: \"a\"}) { product { id } } "
                 "b: productCreate(product: {title: \"b\"}) { product { id } } }") == [
        (("mutation",), "You must specify a single top level mutation.", None)]
    assert check('mutation { bulkOperationRunQuery(query: "") { bulkOperation { id } } }') == [
        (("mutation",), "You must use an allowed mutation name.", None)]
    assert check(CREATE_PRODUCT, "abc") == [
        (("clientIdentifier",), "is too short (minimum is 10 characters)", "INVALID_MUTATION")]
    assert check(CREATE_PRODUCT, "x" * 256)[0][1] == "is too long (maximum is 255 characters)"


# -- the result file ---------------------------------------------------------------------
def test_jsonl_lines_are_written_byte_for_byte_as_shopify_writes_them():
    assert jsonl.line({"id": "gid://shopify/Product/1", "title": "A & B <c>"}) == (
        b'{"id":"gid:\\/\\/shopify\\/Product\\/1","title":"A \\u0026 B \\u003cc\\u003e"}\n')
    assert jsonl.line({"t": "caf\u00e9 \u2028"}) == '{"t":"café \\u2028"}\n'.encode()
    # Independent check: the captured export's records add up to the byte
    # length Shopify reported for its file only when written this way.
    with open(os.path.join(CAPTURES, "bulk-operation-status-catalog-cancel.json"), encoding="utf-8") as fh:
        result = json.load(fh)["lifecycle"]["queryExportToTerminal"]["result"]
    assert sum(len(jsonl.line(r)) for r in result["records"]) == result["byteLength"] == 116_246


def test_query_runs_over_time_and_writes_children_after_their_parent(sim):
    run = _run(sim)
    assert run["userErrors"] == [] and run["bulkOperation"]["status"] == "CREATED"
    op_id = run["bulkOperation"]["id"]
    assert sim.data(BY_ID, {"id": op_id})["bulkOperation"]["status"] == "CREATED"  # [CAP] still CREATED
    sim.clock.advance(0.75)
    running = sim.data(BY_ID, {"id": op_id})["bulkOperation"]
    assert running["status"] == "RUNNING" and 0 < int(running["objectCount"]) < 12  # a running count [S]
    sim.clock.advance(0.3)
    done = sim.data(BY_ID, {"id": op_id})["bulkOperation"]
    assert (done["status"], done["objectCount"], done["rootObjectCount"]) == ("COMPLETED", "12", "3")
    response = _download(sim, done["url"])
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/jsonl"
    body = response.get_data()
    assert done["fileSize"] == str(len(body))
    rows = [json.loads(line) for line in body.decode().splitlines()]
    products = [r for r in rows if "__parentId" not in r]
    assert len(products) == 3
    # [G-Q] each child is a line of its own after its parent, pointing at it.
    for n, row in enumerate(rows):
        if "__parentId" in row:
            assert list(row)[-1] == "__parentId"
            parent_index = next(i for i, r in enumerate(rows) if r["id"] == row["__parentId"])
            assert parent_index < n and "__parentId" not in rows[parent_index]
    first = rows[:4]
    assert [r["id"].split("/")[3] for r in first] == ["Product", "ProductVariant", "ProductVariant", "MediaImage"]
    assert "variants" not in first[0] and first[1]["sku"]


def test_a_root_connection_larger_than_a_page_is_read_whole():
    sim = make_sim(SIM_BULK_DELAY=1.0)
    sim.create_shop(generate={"products": 600, "variants_per_product": 1})
    op = _run(sim, "{ products { edges { node { id variants { edges { node { id } } } } } } }")["bulkOperation"]
    _finish(sim)
    done = sim.data(BY_ID, {"id": op["id"]})["bulkOperation"]
    assert (done["objectCount"], done["rootObjectCount"]) == ("1200", "600")
    rows = _download(sim, done["url"]).get_data().decode().splitlines()
    assert len(rows) == 1200 and len({json.loads(r)["id"] for r in rows}) == 1200


def test_a_query_without_results_has_no_file(sim):
    op = _run(sim, '{ products(query: "sku:NOPE") { edges { node { id } } } }')["bulkOperation"]
    _finish(sim)
    done = sim.data(BY_ID, {"id": op["id"]})["bulkOperation"]
    assert (done["status"], done["objectCount"], done["url"], done["fileSize"]) == ("COMPLETED", "0", None, None)


def test_results_expire_after_seven_days(sim):
    op = _run(sim)["bulkOperation"]
    _finish(sim)
    url = sim.data(BY_ID, {"id": op["id"]})["bulkOperation"]["url"]
    sim.clock.advance(7 * 24 * 3600)
    assert sim.data(BY_ID, {"id": op["id"]})["bulkOperation"]["status"] == "EXPIRED"
    assert _download(sim, url).status_code == 400


def test_a_field_the_token_may_not_read_fails_the_operation_with_access_denied(sim):
    token = sim.token(scopes=["read_files", "write_files"], client_id="files-only")
    op = _run(sim, "{ files { edges { node { id } } } }", token=token)["bulkOperation"]
    refused = _run(sim, "{ products { edges { node { id } } } }", token=token)["bulkOperation"]
    _finish(sim)
    assert sim.data(BY_ID, {"id": op["id"]}, token=token)["bulkOperation"]["status"] == "COMPLETED"
    failed = sim.data(BY_ID, {"id": refused["id"]}, token=token)["bulkOperation"]
    assert (failed["status"], failed["errorCode"], failed["url"]) == ("FAILED", "ACCESS_DENIED", None)


# -- concurrency, cancel, reads -----------------------------------------------------------
def test_five_operations_of_a_type_per_app_and_shop(sim):
    # [G-Q]: five at a time from API 2026-01 (the 2026-10 schema defers to the guide);
    # [CAP] the sixth lists those in progress; a CANCELING one still counts.
    ids = [_run(sim)["bulkOperation"]["id"] for _ in range(5)]
    sim.data(CANCEL, {"id": ids[0]})
    sixth = _run(sim)
    assert sixth["bulkOperation"] is None
    assert sixth["userErrors"] == [{"field": None, "code": "OPERATION_IN_PROGRESS", "message":
                                    f"A bulk query operation for this app and shop is already in progress: "
                                    f"{', '.join(ids)}."}]
    other_app = sim.token(client_id="another-app")
    assert _run(sim, token=other_app)["bulkOperation"]["status"] == "CREATED"
    _finish(sim)
    assert _run(sim)["bulkOperation"]["status"] == "CREATED"


def test_cancel_branches_and_reads(sim):
    op = _run(sim)["bulkOperation"]
    canceled = sim.data(CANCEL, {"id": op["id"]})["bulkOperationCancel"]
    assert canceled == {"bulkOperation": {"id": op["id"], "status": "CANCELING"}, "userErrors": []}
    assert sim.data(CANCEL, {"id": op["id"]})["bulkOperationCancel"]["userErrors"] == []  # still canceling
    _finish(sim)
    assert sim.data(BY_ID, {"id": op["id"]})["bulkOperation"]["status"] == "CANCELED"
    terminal = sim.data(CANCEL, {"id": op["id"]})["bulkOperationCancel"]["userErrors"]
    assert terminal == [{"field": None, "message": "A bulk operation cannot be canceled when it is canceled"}]
    unknown = sim.data(CANCEL, {"id": "gid://shopify/BulkOperation/1"})["bulkOperationCancel"]
    assert unknown == {"bulkOperation": None, "userErrors": [{"field": ["id"], "message":
                                                               "Bulk operation does not exist"}]}
    # Another app neither sees nor cancels it.
    other = sim.token(client_id="another-app")
    assert sim.data(BY_ID, {"id": op["id"]}, token=other)["bulkOperation"] is None
    wrong_type = sim.gql('{ bulkOperation(id: "gid://shopify/Product/1") { id } }')
    assert wrong_type["data"] == {"bulkOperation": None}
    assert wrong_type["errors"][0]["message"] == "Invalid id: gid://shopify/Product/1"


def test_bulk_operations_list_filters_sort_and_search_warnings(sim):
    first = _run(sim)["bulkOperation"]["id"]
    _finish(sim)
    second = _run(sim)["bulkOperation"]["id"]
    listing = sim.gql("""{ all: bulkOperations(first: 5) { edges { cursor node { id } } }
      running: bulkOperations(first: 5, query: "status:created operation_type:query") { nodes { id } }
      done: bulkOperations(first: 5, query: "status:completed AND created_at:>=2000-01-01") { nodes { id } }
      bad: bulkOperations(first: 5, query: "status:EXPIRED made_up:x") { nodes { id } }
      current: currentBulkOperation { id } }""")
    data = listing["data"]
    assert [e["node"]["id"] for e in data["all"]["edges"]] == [second, first]  # newest first [S]
    cursor = json.loads(__import__("base64").b64decode(data["all"]["edges"][0]["cursor"]))
    assert set(cursor) == {"last_id", "last_value"} and len(cursor["last_value"].split(".")[1]) == 6
    assert [n["id"] for n in data["running"]["nodes"]] == [second]
    assert [n["id"] for n in data["done"]["nodes"]] == [first]
    assert data["bad"]["nodes"] == [] and data["current"]["id"] == second
    (warning,) = listing["extensions"]["search"]
    assert warning["path"] == ["bad"] and warning["warnings"] == [
        {"field": "status", "message": "Input `EXPIRED` is not an accepted value.", "code": "invalid_value"},
        {"field": "made_up", "message": "Invalid search field for this query.", "code": "invalid_field"}]
    refused = sim.gql('{ bulkOperations(first: 1, query: "created_at:soon") { nodes { id } } }')
    assert refused["data"] is None and refused["errors"][0]["message"] == \
        "Invalid timestamp for query filter `created_at`."
    assert refused["extensions"]["cost"]["actualQueryCost"] == 2  # [CAP] the connection's own cost
    assert sim.gql(RUN_QUERY, {"q": PRODUCTS_WITH_CHILDREN})["extensions"]["cost"]["requestedQueryCost"] == 10


# -- bulk imports ---------------------------------------------------------------------------
def _stage(sim, method: str = "POST", filename: str = "vars.jsonl") -> dict:
    body = sim.data(STAGE, {"input": [{"resource": "BULK_MUTATION_VARIABLES", "filename": filename,
                                       "mimeType": "text/jsonl", "httpMethod": method}]})
    (target,) = body["stagedUploadsCreate"]["stagedTargets"]
    return target


def _upload(sim, target: dict, data: bytes, method: str = "POST") -> int:
    import io
    params = {p["name"]: p["value"] for p in target["parameters"]}
    path = target["url"].replace("http://sim.test", "")
    if method == "POST":
        form = {**params, "file": (io.BytesIO(data), "vars.jsonl")}
        return sim.client.post(path, data=form, content_type="multipart/form-data").status_code
    return sim.client.put(path, data=data, headers={"Content-Type": params["content_type"]}).status_code


def test_bulk_import_runs_the_mutation_once_per_line(sim):
    # [G-M]: BULK_MUTATION_VARIABLES staged upload (a GCS POST policy whose key
    # is the stagedUploadPath [CAP]), one mutation per line, JSONL results.
    target = _stage(sim)
    params = {p["name"]: p["value"] for p in target["parameters"]}
    assert target["url"] == target["resourceUrl"] and params["key"].startswith("tmp/")
    assert params["key"].split("/")[2] == "bulk" and params["key"].endswith("/vars.jsonl")
    lines = b'{"product":{"title":"Bulk A"}}\n{"product":{"title":""}}\nnot json\n{"product":{"title":"Bulk B"}}\n'
    assert _upload(sim, target, lines) == 201
    run = sim.data(RUN_MUTATION, {"m": CREATE_PRODUCT, "path": params["key"]})["bulkOperationRunMutation"]
    assert run["userErrors"] == [] and run["bulkOperation"]["type"] == "MUTATION"
    _finish(sim)
    done = sim.data(BY_ID, {"id": run["bulkOperation"]["id"]})["bulkOperation"]
    assert (done["status"], done["objectCount"]) == ("COMPLETED", "4")
    rows = [json.loads(r) for r in _download(sim, done["url"]).get_data().decode().splitlines()]
    assert [r["__lineNumber"] for r in rows] == [0, 1, 2, 3]
    assert rows[0]["data"]["productCreate"]["product"]["title"] == "Bulk A"
    assert rows[1]["data"]["productCreate"]["userErrors"] == [{"field": ["title"], "message": "Title can't be blank"}]
    assert "errors" in rows[2] and "data" not in rows[2]
    titles = [n["title"] for n in sim.data('{ products(first: 10, query: "title:Bulk") { nodes { title } } }')
              ["products"]["nodes"]]
    assert sorted(titles) == ["Bulk A", "Bulk B"]


def test_bulk_import_file_checks(sim):
    def run(path: str) -> list:
        return sim.data(RUN_MUTATION, {"m": CREATE_PRODUCT, "path": path})["bulkOperationRunMutation"]["userErrors"]
    assert run("tmp/1/bulk/none/missing.jsonl")[0]["code"] == "NO_SUCH_FILE"
    put_target = _stage(sim, "PUT", "empty.jsonl")
    assert _upload(sim, put_target, b"", "PUT") == 200  # a 0-byte PUT is stored [CAP]
    key = put_target["url"].split("/_sim/staged-uploads/", 1)[1].split("?", 1)[0]
    assert run(key) == [{"field": None, "message": "The input file is empty.", "code": "INVALID_STAGED_UPLOAD_FILE"}]
    # [S] BulkMutationErrorCode.NO_SUCH_FILE: "check that you've entered the URL
    # correctly for the `stagedUploadPath` mutation argument" - the object's URL
    # names it too (a PUT target has no `key` parameter, only that URL): by its
    # path in the bucket; the query string is the signature, not the name.
    empty = [{"field": None, "message": "The input file is empty.", "code": "INVALID_STAGED_UPLOAD_FILE"}]
    assert run(put_target["url"]) == empty
    assert run(put_target["url"].split("?", 1)[0]) == empty
    # ... and in Google Cloud Storage's forms of Shopify's bucket [CAP: its targets' host]
    assert run(f"https://shopify-staged-uploads.storage.googleapis.com/{key}?X-Goog-Signature=x") == empty
    assert run(f"https://storage.googleapis.com/shopify-staged-uploads/{key}") == empty
    # A URL outside the bucket names no staged file.
    assert run(f"https://cdn.shopify.com/{key}")[0]["code"] == "NO_SUCH_FILE"
    assert run(f"http://sim.test/_sim/uploads/{key}")[0]["code"] == "NO_SUCH_FILE"
    post_target = _stage(sim, "POST", "too-small.jsonl")
    assert _upload(sim, post_target, b"") == 400  # the POST policy's content-length-range starts at 1


def test_a_staged_file_over_the_size_limit_is_refused(sim, monkeypatch):
    # [C-2026-01] "Upload files up to 100MB"; [CAP] bulk-operation-run-mutation-file-size: 104,866,200 bytes
    # answer INVALID_STAGED_UPLOAD_FILE "The input file size exceeds the maximum allowed size of 100 MB."
    # The bytes decide (a PUT stores any body): the limit is lowered here so the test stays small.
    from shopify_sim.resolvers import bulk_operations
    monkeypatch.setattr(bulk_operations, "MAX_VARIABLES_BYTES", 16)
    target = _stage(sim, "PUT", "big.jsonl")
    assert _upload(sim, target, b'{"product":{}}\n' * 2, "PUT") == 200
    run = sim.data(RUN_MUTATION, {"m": CREATE_PRODUCT, "path": target["url"]})["bulkOperationRunMutation"]
    assert run == {"bulkOperation": None, "userErrors": [{
        "field": None, "message": "The input file size exceeds the maximum allowed size of 100 MB.",
        "code": "INVALID_STAGED_UPLOAD_FILE"}]}


def test_finish_webhook_goes_to_subscribed_apps(sim):
    sim.state.apps["app-1"] = App(client_id="app-1", client_secret="s", application_url="https://app.test",
                                  scopes=["write_products"], webhooks=[("bulk_operations/finish",
                                                                        "https://app.test/webhooks/bulk")])
    op = _run(sim)["bulkOperation"]
    _finish(sim)
    sim.data(BY_ID, {"id": op["id"]})
    (delivery,) = [d for d in sim.state.webhook_deliveries if d.topic == "bulk_operations/finish"]
    payload = json.loads(delivery.body)
    assert payload["admin_graphql_api_id"] == op["id"]
    assert (payload["status"], payload["type"], payload["error_code"]) == ("completed", "query", None)
    assert payload["completed_at"].endswith("Z") and payload["created_at"].endswith("Z")


def test_work_spreads_over_requests_and_counts_what_was_written(monkeypatch):
    # A request does a bounded share of the work (here one page of 250):
    # the operation completes only when its work is done, however much time passed.
    from shopify_sim.bulk import lifecycle
    monkeypatch.setitem(lifecycle.STEPS_PER_REQUEST, "QUERY", 1)
    sim = make_sim(SIM_BULK_DELAY=1.0)
    sim.create_shop(generate={"products": 600, "variants_per_product": 1})
    op = _run(sim, "{ products { edges { node { id } } } }")["bulkOperation"]
    sim.clock.advance(5)
    seen = []
    for _ in range(3):
        read = sim.data(BY_ID, {"id": op["id"]})["bulkOperation"]
        seen.append((read["status"], read["objectCount"]))
    assert seen == [("RUNNING", "250"), ("RUNNING", "500"), ("COMPLETED", "600")]
