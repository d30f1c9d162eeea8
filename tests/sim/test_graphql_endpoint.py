"""The simulated Admin GraphQL endpoint: authentication, validation against
the real schema, variables, scopes, cost, throttling, input limits, the
request log."""
from __future__ import annotations

from .graphql_support import DOMAIN, FILE_CREATE, make_sim, shirt

SHOP_QUERY = "query ShopName { shop { name myshopifyDomain } }"


def test_answers_a_valid_query_with_data_and_cost(sim_api):
    sim_api.create_shop(products=[shirt()])
    body = sim_api.gql(SHOP_QUERY)
    assert body["data"]["shop"] == {"name": "Acme", "myshopifyDomain": DOMAIN}
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] >= cost["actualQueryCost"] >= 1
    assert set(cost["throttleStatus"]) == {"maximumAvailable", "currentlyAvailable", "restoreRate"}


def test_rejects_missing_unknown_and_foreign_tokens_like_shopify(sim_api):
    sim_api.create_shop()
    sim_api.create_shop("other.myshopify.com")
    expected = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
    for token in ("", "shpat_nope", sim_api.token("other.myshopify.com")):
        response = sim_api.post(SHOP_QUERY, token=token)
        assert response.status_code == 401
        assert response.get_json() == expected
    log = sim_api.client.get(f"/_sim/shops/{DOMAIN}/requests").get_json()
    assert [(e["status"], e["clientId"], e["operationName"]) for e in log] == [(401, None, None)] * 3


def test_unknown_shop_is_404_and_missing_query_is_400(sim_api):
    sim_api.create_shop()
    assert sim_api.post(SHOP_QUERY, domain="nowhere.myshopify.com", token="x").status_code == 404
    response = sim_api.client.post(f"/{DOMAIN}/admin/api/2026-10/graphql.json", json={"variables": {}},
                                   headers={"X-Shopify-Access-Token": sim_api.token()})
    assert response.status_code == 400
    assert response.get_json() == {"errors": {"query": "Required parameter missing or invalid"}}


def test_undefined_field_answers_shopifys_error_and_no_data(sim_api):
    sim_api.create_shop()
    body = sim_api.gql("{ shop { nme } }")
    assert "data" not in body
    assert body["errors"] == [{
        "message": "Field 'nme' doesn't exist on type 'Shop'",
        "locations": [{"line": 1, "column": 10}],
        "path": ["query", "shop", "nme"],
        "extensions": {"code": "undefinedField", "typeName": "Shop", "fieldName": "nme"},
    }]
    body = sim_api.gql('query Named { product(id: "gid://shopify/Product/1", idd: 1) { id } }')
    assert body["errors"][0]["path"] == ["query Named", "product", "idd"]


def test_other_validation_errors_use_graphql_ruby_codes(sim_api):
    sim_api.create_shop()
    cases = {
        '{ product(idd: "gid://shopify/Product/1") { id } }': "argumentNotAccepted",
        "{ product { id } }": "missingRequiredArguments",
        "query Q($a: Int) { shop { name } }": "variableNotUsed",
        "{ shop }": "selectionMismatch",
        "{ ...Missing }": "useAndDefineFragment",
        '{ product(id: "not-a-gid") { id } }': "argumentLiteralsIncompatible",
    }
    staged = ('mutation M { stagedUploadsCreate(input: [{resource: IMAGE, mimeType: "image/png"}]) '
              '{ userErrors { message } } }')
    cases[staged] = "missingRequiredInputObjectAttribute"
    for query, code in cases.items():
        body = sim_api.gql(query)
        assert "data" not in body, query
        assert body["errors"][0]["extensions"]["code"] == code, (query, body)
    body = sim_api.gql("query Q($a: Int) { shop { name } }")
    assert body["errors"][0]["message"] == "Variable $a is declared by Q but not used"
    body = sim_api.gql("{ product { id } }")
    assert body["errors"][0]["message"] == "Field 'product' is missing required arguments: id"
    body = sim_api.gql('mutation M { stagedUploadsCreate(input: [{resource: IMAGE, mimeType: "image/png"}]) { '
                       'userErrors { message } } }')
    assert body["errors"][0]["message"] == ("Argument 'filename' on InputObject 'StagedUploadInput' is required. "
                                            "Expected type String!")
    assert body["errors"][0]["path"] == ["mutation M", "stagedUploadsCreate", "input", 0, "filename"]


def test_syntax_errors_are_rejected(sim_api):
    sim_api.create_shop()
    body = sim_api.gql("{ shop { name }")
    assert "data" not in body
    assert body["errors"][0]["message"].startswith("syntax error, unexpected end of file at [1, ")


def test_invalid_variables_answer_invalid_variable_with_problems(sim_api):
    sim_api.create_shop()
    body = sim_api.gql(FILE_CREATE, {"files": [{"alt": "no source"}]})
    error = body["errors"][0]
    assert error["message"] == ("Variable $files of type [FileCreateInput!]! was provided invalid value for "
                                "0.originalSource (Expected value to not be null)")
    assert error["extensions"]["code"] == "INVALID_VARIABLE"
    assert error["extensions"]["problems"] == [{"path": [0, "originalSource"],
                                                "explanation": "Expected value to not be null"}]
    body = sim_api.gql(FILE_CREATE, {"files": [{"originalSource": "https://x.test/a.png",
                                                "referencesToAdd": ["gid://shopify/Product/1"]}]})
    assert body["errors"][0]["message"] == (
        "Variable $files of type [FileCreateInput!]! was provided invalid value for 0.referencesToAdd "
        "(Field is not defined on FileCreateInput)")
    body = sim_api.gql("query P($id: ID!) { product(id: $id) { id } }", {"id": "not-a-shopify-gid"})
    assert body["errors"][0]["message"] == "Variable $id of type ID! was provided invalid value"
    assert body["errors"][0]["extensions"]["problems"][0]["explanation"] == "Invalid global id 'not-a-shopify-gid'"
    assert sim_api.state.shops[DOMAIN].catalog.files == {}


def test_a_field_the_simulator_does_not_implement_is_a_clear_error(sim_api):
    sim_api.create_shop()
    token = sim_api.token(scopes=["read_orders"])
    body = sim_api.gql("{ orders(first: 1) { nodes { id } } }", token=token)
    assert body["data"] is None
    assert body["errors"][0]["message"] == "Field 'orders' is not implemented by the AssetLink Shopify simulator"
    assert body["errors"][0]["path"] == ["orders"]


def test_missing_scope_is_access_denied_naming_the_required_access(sim_api):
    sim_api.create_shop()
    token = sim_api.token(scopes=["read_products"])
    body = sim_api.gql(FILE_CREATE, {"files": [{"originalSource": "https://x.test/a.png"}]}, token=token)
    assert body["data"] == {"fileCreate": None}
    error = body["errors"][0]
    assert error["extensions"]["code"] == "ACCESS_DENIED"
    assert error["message"].startswith("Access denied for fileCreate field. Required access: `write_files`")
    assert error["path"] == ["fileCreate"]
    assert sim_api.state.shops[DOMAIN].catalog.files == {}
    # Without read_products the products connection is denied too.
    body = sim_api.gql("{ products(first: 1) { nodes { id } } }", token=sim_api.token(scopes=["read_files"]))
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert "`read_products`" in body["errors"][0]["message"]


def test_write_scope_implies_read_scope(sim_api):
    sim_api.create_shop()
    token = sim_api.token(scopes=["write_files", "write_products"])
    data = sim_api.data("{ files(first: 1) { nodes { id } } products(first: 1) { nodes { id } } }", token=token)
    assert data == {"files": {"nodes": []}, "products": {"nodes": []}}


def test_input_arrays_over_250_are_refused_before_anything_runs(sim_api):
    sim_api.create_shop()
    files = [{"originalSource": f"https://x.test/{i}.png"} for i in range(251)]
    body = sim_api.gql(FILE_CREATE, {"files": files})
    assert "data" not in body
    assert body["errors"][0]["message"] == "The input array size of 251 is greater than the maximum allowed of 250."
    assert body["errors"][0]["extensions"] == {"code": "MAX_INPUT_SIZE_EXCEEDED"}
    assert body["errors"][0]["path"] == ["fileCreate", "files"]
    assert body["extensions"]["cost"]["actualQueryCost"] is None
    assert sim_api.state.shops[DOMAIN].catalog.files == {}
    ok = sim_api.data(FILE_CREATE, {"files": files[:250]})
    assert len(ok["fileCreate"]["files"]) == 250


def test_first_over_250_is_rejected(sim_api):
    sim_api.create_shop()
    body = sim_api.gql("{ products(first: 251) { nodes { id } } }")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "250" in body["errors"][0]["message"]


def test_queries_over_the_single_query_cost_limit_are_refused(sim_api):
    sim_api.create_shop()
    query = """{ products(first: 250) { nodes { id variants(first: 250) { nodes { id
      media(first: 250) { nodes { id } } } } } } }"""
    body = sim_api.gql(query)
    assert "data" not in body
    error = body["errors"][0]
    assert error["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert error["message"].startswith(f"Query cost is {error['extensions']['cost']}, which exceeds the single "
                                       "query max cost limit (1000).")


def test_a_drained_bucket_answers_throttled_without_data():
    sim = make_sim(SIM_PLANS={"standard": {"maximumAvailable": 30, "restoreRate": 1}})
    sim.create_shop()
    first = sim.gql(FILE_CREATE, {"files": [{"originalSource": "https://x.test/a.png"}]})
    assert "errors" not in first
    second = sim.gql(FILE_CREATE, {"files": [{"originalSource": "https://x.test/b.png"}]})
    assert "data" not in second
    assert second["errors"] == [{"message": "Throttled", "extensions": {
        "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}]
    assert second["extensions"]["cost"]["actualQueryCost"] is None
    assert len(sim.state.shops[DOMAIN].catalog.files) == 1
    sim.clock.advance(30)
    assert "errors" not in sim.gql(FILE_CREATE, {"files": [{"originalSource": "https://x.test/b.png"}]})


def test_each_app_has_its_own_bucket():
    sim = make_sim(SIM_PLANS={"standard": {"maximumAvailable": 30, "restoreRate": 1}})
    sim.create_shop()
    sim.gql(FILE_CREATE, {"files": [{"originalSource": "https://x.test/a.png"}]})
    other = sim.token(client_id="app-2")
    body = sim.gql(FILE_CREATE, {"files": [{"originalSource": "https://x.test/b.png"}]}, token=other)
    assert "errors" not in body


def test_every_request_is_logged_with_its_cost(sim_api):
    sim_api.create_shop()
    sim_api.gql(SHOP_QUERY)
    sim_api.gql(FILE_CREATE, {"files": [{"originalSource": "https://x.test/a.png"}]})
    sim_api.gql("{ shop { nme } }")
    log = sim_api.client.get(f"/_sim/shops/{DOMAIN}/requests").get_json()
    assert [e["operationName"] for e in log] == ["ShopName", "FileCreate", None]
    assert [e["mutation"] for e in log] == [False, True, False]
    assert log[1]["rootFields"] == ["fileCreate"]
    assert log[1]["requestedCost"] >= 20 and log[1]["actualCost"] is not None
    assert log[2]["errors"] == ["Field 'nme' doesn't exist on type 'Shop'"]
    assert all(e["status"] == 200 and e["throttled"] is False for e in log)
    assert sim_api.shop_state()["requests"] == log
    assert sim_api.client.post(f"/_sim/shops/{DOMAIN}/requests/clear").status_code == 204
    assert sim_api.client.get(f"/_sim/shops/{DOMAIN}/requests").get_json() == []


def test_nodes_and_job_lookup(sim_api):
    sim_api.create_shop(products=[shirt(media=1)])
    state = sim_api.shop_state()
    product = state["products"][0]
    data = sim_api.data("query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Product { title } } }",
                        {"ids": [product["id"], product["media"][0]["id"], "gid://shopify/Product/1"]})
    assert data["nodes"] == [{"__typename": "Product", "id": product["id"], "title": "Red Shirt"},
                             {"__typename": "MediaImage", "id": product["media"][0]["id"]}, None]


def test_objects_reached_through_node_still_need_their_types_access(sim_api):
    sim_api.create_shop(products=[shirt(media=1)])
    product = sim_api.shop_state()["products"][0]
    token = sim_api.token(scopes=["read_orders"])
    body = sim_api.gql("query($ids: [ID!]!) { nodes(ids: $ids) { ... on Product { title } } }",
                       {"ids": [product["id"]]}, token=token)
    assert body["data"] == {"nodes": [None]}
    assert body["errors"][0]["path"] == ["nodes", 0]
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert "`read_products`" in body["errors"][0]["message"]
    body = sim_api.gql("query($id: ID!) { node(id: $id) { id } }", {"id": product["id"]}, token=token)
    assert body["data"] == {"node": None} and body["errors"][0]["path"] == ["node"]
    # A file is readable with read_files alone (MediaImage allows read_products or read_files).
    body = sim_api.gql("query($id: ID!) { node(id: $id) { id } }", {"id": product["media"][0]["id"]},
                       token=sim_api.token(scopes=["read_files"]))
    assert body["data"] == {"node": {"id": product["media"][0]["id"]}}
