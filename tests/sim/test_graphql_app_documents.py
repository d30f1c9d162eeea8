"""Every document the app sends (shopify_app/admin_api/queries.py) runs on
the simulator without errors and reads what the app expects."""
from __future__ import annotations

from shopify_app.admin_api import queries

from .graphql_support import DOMAIN, create_ready_image, product_gid, shirt


def test_shop_info_reports_the_shop_and_granted_scopes(sim_api):
    sim_api.create_shop(plan="plus")
    token = sim_api.token(scopes=["write_products", "write_files"])
    data = sim_api.data(queries.SHOP_INFO, token=token)
    assert data["shop"]["myshopifyDomain"] == DOMAIN and data["shop"]["plan"]["shopifyPlus"] is True
    assert [s["handle"] for s in data["currentAppInstallation"]["accessScopes"]] == ["write_products", "write_files"]


def test_the_apps_read_documents_run_cleanly(sim_api):
    sim_api.create_shop(products=[shirt(media=2, skus=("A-1", "A-2"))])
    pid = product_gid(sim_api, "red-shirt")
    image = create_ready_image(sim_api, "https://img.example.com/x.png")
    state = {"mediaFirst": 20, "withVariants": True, "withSwatches": True}
    variables = {
        "MATCH_VARIANTS": {"query": "sku:A-1 OR sku:A-2", "first": 50},
        "MATCH_PRODUCTS": {"query": "handle:red-shirt", "first": 50},
        "MATCH_PRODUCTS_BY_METAFIELD": {"query": "handle:red-shirt", "first": 50, "namespace": "cloudinary",
                                        "key": "productmedia_v1"},
        "PRODUCT_STATES": {"query": f"id:{pid.rsplit('/', 1)[1]}", "first": 250, **state},
        "PRODUCT_STATES_BY_IDS": {"ids": [pid], **state},
        "FILE_STATUS": {"id": image},
        "FILE_STATUSES": {"query": f"id:{image.rsplit('/', 1)[1]}", "first": 250},
        "FILE_STATUSES_BY_IDS": {"ids": [image]},
        "FILE_ERRORS": {"query": f"id:{image.rsplit('/', 1)[1]}", "first": 250},
        "FILE_ERRORS_BY_IDS": {"ids": [image]},
        "FILES_BY_QUERY": {"query": "filename:x.png", "first": 5},
        "FILE_NAMES": {"query": f"id:{image.rsplit('/', 1)[1]}", "first": 250},
        "FILE_NAMES_BY_IDS": {"ids": [image]},
        "PRODUCT_METAFIELD_DEFINITIONS": {"first": 50},
    }
    for name, values in variables.items():
        body = sim_api.gql(getattr(queries, name), values)
        assert "errors" not in body, (name, body["errors"])
    for name, root in (("PRODUCT_STATES", ("products", "nodes")), ("PRODUCT_STATES_BY_IDS", ("nodes",))):
        states = sim_api.data(getattr(queries, name), variables[name])
        for key in root:
            states = states[key]
        assert len(states[0]["media"]["nodes"]) == 2 and len(states[0]["variants"]["nodes"]) == 2, name
    slim = sim_api.data(queries.PRODUCT_STATES, {**variables["PRODUCT_STATES"], "withVariants": False,
                                                 "withSwatches": False})["products"]["nodes"][0]
    assert "variants" not in slim and "swatch" not in slim and len(slim["media"]["nodes"]) == 2
    statuses = sim_api.data(queries.FILE_STATUSES, variables["FILE_STATUSES"])["files"]["nodes"]
    assert [(f["id"], f["fileStatus"]) for f in statuses] == [(image, "READY")]
    matched = sim_api.data(queries.MATCH_VARIANTS, variables["MATCH_VARIANTS"])["productVariants"]["nodes"]
    assert [v["sku"] for v in matched] == ["A-1", "A-2"] and matched[0]["product"]["mediaCount"]["count"] == 2
    found = sim_api.data(queries.FILES_BY_QUERY, variables["FILES_BY_QUERY"])["files"]["nodes"]
    assert [f["id"] for f in found] == [image]
