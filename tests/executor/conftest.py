"""The executor against the real simulator served over HTTP from a thread,
with the app's own Admin API client (pacing, retries) in between."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

import pytest
import requests
from werkzeug.serving import make_server

from jobs.executor import (ExecutorOptions, MemoryJournal, PollOptions, ProductResult, execute,
                           read_product_states)
from jobs.planner import ProductMatch, Settings, SyncRequest, plan_sync
from shopify_app.admin_api.client import AdminApiClient
from shopify_sim import create_app

DOMAIN = "acme.myshopify.com"
CLOUD = "acme-cloud"
SCOPES = ["read_products", "write_products", "read_files", "write_files"]
PROCESSING_DELAY = 0.15
JOB_DELAY = 0.1


class SimServer:
    """A simulator on 127.0.0.1:<free port>; stopped by the fixture."""

    def __init__(self, **config: Any) -> None:
        self.app = create_app({"TESTING": True, "SIM_PROCESSING_DELAY": PROCESSING_DELAY,
                               "SIM_JOB_DELAY": JOB_DELAY, "SIM_WEBHOOK_THREAD": False, **config})
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.app.config["SIM_BASE_URL"] = self.base
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.http = requests.Session()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)
        self.http.close()

    @property
    def state(self) -> Any:
        return self.app.extensions["sim_state"]

    def create_shop(self, products: list[dict], *, plan: str = "standard", domain: str = DOMAIN) -> None:
        response = self.http.post(f"{self.base}/_sim/shops", json={"domain": domain, "plan": plan,
                                                                    "products": products})
        assert response.status_code == 201, response.text

    def client(self, domain: str = DOMAIN, **kwargs: Any) -> AdminApiClient:
        token = self.state.issue_token(domain, "assetlink", list(SCOPES), expiring=False).token
        return AdminApiClient(domain, origin=f"{self.base}/{domain}", token_provider=lambda: token, **kwargs)

    def shop(self, domain: str = DOMAIN) -> dict:
        return self.http.get(f"{self.base}/_sim/shops/{domain}").json()

    def requests_log(self, domain: str = DOMAIN) -> list[dict]:
        return self.http.get(f"{self.base}/_sim/shops/{domain}/requests").json()

    def clear_requests(self, domain: str = DOMAIN) -> None:
        self.http.post(f"{self.base}/_sim/shops/{domain}/requests/clear")

    def fault(self, spec: Any, domain: str = DOMAIN) -> None:
        response = self.http.post(f"{self.base}/_sim/shops/{domain}/faults", json=spec)
        assert response.status_code == 201, response.text

    def product(self, product_id: str, domain: str = DOMAIN) -> dict:
        number = product_id.rsplit("/", 1)[-1]
        return self.http.get(f"{self.base}/_sim/shops/{domain}/products/{number}").json()

    def metafield(self, owner: str, key: str, domain: str = DOMAIN) -> dict | None:
        return next((m for m in self.shop(domain)["metafields"]
                     if m["ownerId"] == owner and m["namespace"] == "cloudinary" and m["key"] == key), None)


@pytest.fixture
def sim():
    server = SimServer()
    try:
        yield server
    finally:
        server.stop()


FAST = ExecutorOptions(poll=PollOptions(first_wait=PROCESSING_DELAY, growth=1.5, max_interval=0.5, max_total=15),
                       job_poll=PollOptions(first_wait=JOB_DELAY, growth=1.5, max_interval=0.5, max_total=15))


def product(title: str, skus: Iterable[str], media: int = 0) -> dict:
    slug = title.lower().replace(" ", "-")
    return {"title": title, "variants": [{"sku": s} for s in skus],
            "media": [{"src": f"https://img.example.com/{slug}-{i}.jpg", "alt": f"{title} {i}"} for i in range(media)]}


def image(public_id: str, sku: str, **extra: Any) -> dict:
    metadata = {"sku": sku, **extra.pop("metadata", {})}
    return {"public_id": public_id, "resource_type": extra.pop("resource_type", "image"), "type": "upload",
            "format": extra.pop("format", "jpg"), "version": extra.pop("version", 1711111111),
            "display_name": extra.pop("display_name", public_id.rsplit("/", 1)[-1].replace("_", " ")),
            "metadata": metadata, **extra}


def matches_by_sku(shop: dict) -> dict[str, list[ProductMatch]]:
    out: dict[str, list[ProductMatch]] = {}
    for p in shop["products"]:
        for v in p["variants"]:
            if v["sku"]:
                out.setdefault(v["sku"], []).append(ProductMatch(p["id"], p["title"], v["id"]))
    return out


@dataclass
class Linker:
    """Plan from the real state read through the client, then execute."""

    sim: SimServer
    client: AdminApiClient
    journal: MemoryJournal = field(default_factory=MemoryJournal)
    settings: Settings = field(default_factory=Settings)
    options: ExecutorOptions = field(default_factory=lambda: FAST)
    downloader: Any = None

    def plan(self, body: dict, *, now: int = 1_800_000_000):
        request = SyncRequest.model_validate({"match": {"cloudinary_field": "sku", "shopify_field": "sku"},
                                              **body})
        matches = matches_by_sku(self.sim.shop())
        ids = list(dict.fromkeys(m.product_id for ms in matches.values() for m in ms))
        states = read_product_states(self.client, ids, journal=self.journal)
        plan = plan_sync(request, self.settings, CLOUD, now, matches, states)
        return plan, states

    def link(self, body: dict, **kwargs: Any) -> dict[str, ProductResult]:
        plan, states = self.plan(body, **kwargs)
        results = execute(self.client, plan.products, states=states, journal=self.journal, options=self.options,
                          downloader=self.downloader)
        return {r.product_id: r for r in results}


@pytest.fixture
def linker(sim):
    def make(products: list[dict], **kwargs: Any) -> Linker:
        sim.create_shop(products)
        return Linker(sim, sim.client(), **kwargs)
    return make


def gallery(sim: SimServer, product_id: str) -> list[dict]:
    return sim.product(product_id)["media"]


def product_id_of(sim: SimServer, title: str) -> str:
    return next(p["id"] for p in sim.shop()["products"] if p["title"] == title)


def writes(log: list[dict]) -> list[dict]:
    return [e for e in log if e["mutation"]]


def wait_briefly() -> None:
    time.sleep(PROCESSING_DELAY * 2.5)
