"""Shared helpers for the simulator's Admin GraphQL tests: a simulator app on
a hand-driven clock, shops created through the control API, and a `gql`
call that posts with an access token issued directly on the state."""
from __future__ import annotations

import time
from typing import Any, Optional


from shopify_sim import create_app
from tests.delivery_server import shared_delivery

DOMAIN = "acme.myshopify.com"
ALL_SCOPES = ["read_products", "write_products", "read_files", "write_files"]
PROCESSING_DELAY = 0.05
JOB_DELAY = 0.05


class Clock:
    """The simulator's clock; tests move it instead of sleeping."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Sim:
    def __init__(self, app: Any, clock: Clock) -> None:
        self.app = app
        self.client = app.test_client()
        self.clock = clock
        self.tokens: dict[str, str] = {}

    @property
    def state(self) -> Any:
        return self.app.extensions["sim_state"]

    def create_shop(self, domain: str = DOMAIN, *, products: Optional[list] = None,
                    generate: Optional[dict] = None, plan: str = "standard") -> dict:
        body: dict[str, Any] = {"domain": domain, "plan": plan, "products": products or []}
        if generate is not None:
            body["generate"] = generate
        response = self.client.post("/_sim/shops", json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def token(self, domain: str = DOMAIN, scopes: Optional[list[str]] = None, client_id: str = "app-1") -> str:
        token = self.state.issue_token(domain, client_id, list(ALL_SCOPES if scopes is None else scopes),
                                       expiring=False)
        return token.token

    def post(self, query: str, variables: Optional[dict] = None, *, domain: str = DOMAIN,
             token: Optional[str] = None, operation_name: Optional[str] = None, version: str = "2026-10") -> Any:
        if token is None:
            token = self.tokens.get(domain) or self.tokens.setdefault(domain, self.token(domain))
        body: dict[str, Any] = {"query": query, "variables": variables or {}}
        if operation_name:
            body["operationName"] = operation_name
        return self.client.post(f"/{domain}/admin/api/{version}/graphql.json", json=body,
                                headers={"X-Shopify-Access-Token": token})

    def gql(self, query: str, variables: Optional[dict] = None, **kwargs: Any) -> dict:
        response = self.post(query, variables, **kwargs)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def data(self, query: str, variables: Optional[dict] = None, **kwargs: Any) -> dict:
        body = self.gql(query, variables, **kwargs)
        assert "errors" not in body, body["errors"]
        return body["data"]

    def shop_state(self, domain: str = DOMAIN) -> dict:
        response = self.client.get(f"/_sim/shops/{domain}")
        assert response.status_code == 200
        return response.get_json()

    def finish_processing(self) -> None:
        """Move the clock past every processing and job delay (videos take 2×)."""
        self.clock.advance(max(PROCESSING_DELAY * 2, JOB_DELAY) + 0.01)


def make_sim(**config: Any) -> Sim:
    """A simulator on a hand-driven clock whose downloads reach a local
    static host for every origin (tests/delivery_server.py, the stand-in
    rule of shopify_sim.standin): sources whose path names an image are images."""
    clock = Clock()
    app = create_app({"TESTING": True, "SIM_PROCESSING_DELAY": PROCESSING_DELAY, "SIM_JOB_DELAY": JOB_DELAY,
                      "SIM_BASE_URL": "http://sim.test", "SIM_WEBHOOK_THREAD": False, "SIM_CLOCK": clock,
                      "SIM_FETCH_ORIGINS": {"*": shared_delivery(cloudinary=False).base_url}, **config})
    return Sim(app, clock)


def shirt(title: str = "Red Shirt", *, skus: tuple[str, ...] = ("RS-1",), media: int = 0, **fields: Any) -> dict:
    return {"title": title, "vendor": fields.pop("vendor", "Acme"), "product_type": fields.pop("product_type", "Tops"),
            "tags": fields.pop("tags", ["summer"]),
            "variants": [{"sku": s, "barcode": f"BC-{s}"} for s in skus],
            "media": [{"src": f"https://img.example.com/{title.lower().replace(' ', '-')}-{i}.jpg",
                       "alt": f"{title} {i}"} for i in range(media)],
            **fields}


FILE_CREATE = """
mutation FileCreate($files: [FileCreateInput!]!) {
  fileCreate(files: $files) {
    files { id alt fileStatus fileErrors { code message } ... on MediaImage { image { url } } }
    userErrors { field message code }
  }
}"""

FILE_UPDATE = """
mutation FileUpdate($files: [FileUpdateInput!]!) {
  fileUpdate(files: $files) {
    files { id alt fileStatus ... on MediaImage { image { url } preview { image { url } } } }
    userErrors { field message code }
  }
}"""

GALLERY = """
query Gallery($id: ID!) {
  product(id: $id) {
    id
    media(first: 250) { nodes { id alt status mediaContentType } }
    variants(first: 10) { nodes { id sku media(first: 1) { nodes { id } } } }
  }
}"""


def product_gid(sim: Sim, handle: str, domain: str = DOMAIN) -> str:
    data = sim.data("query($q: String) { products(first: 1, query: $q) { nodes { id } } }",
                    {"q": f"handle:{handle}"}, domain=domain)
    return data["products"]["nodes"][0]["id"]


def gallery_ids(sim: Sim, product_id: str, domain: str = DOMAIN) -> list[str]:
    data = sim.data(GALLERY, {"id": product_id}, domain=domain)
    return [n["id"] for n in data["product"]["media"]["nodes"]]


def create_ready_image(sim: Sim, url: str, alt: str = "", domain: str = DOMAIN) -> str:
    body = sim.data(FILE_CREATE, {"files": [{"originalSource": url, "alt": alt, "contentType": "IMAGE"}]},
                    domain=domain)
    assert body["fileCreate"]["userErrors"] == []
    sim.finish_processing()
    return body["fileCreate"]["files"][0]["id"]
