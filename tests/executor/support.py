"""Helpers of the executor tests: catalogue and asset builders, a Linker
that plans from the state read through the client and executes, and reads
of the simulator's state. The fixtures (`sim`, `linker`) are in conftest.py."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from jobs.executor import (ExecutorOptions, MemoryJournal, PollOptions, ProductResult, execute,
                           read_product_states)
from jobs.planner import ProductMatch, Settings, SyncRequest, plan_sync
from shopify_app.admin_api.client import AdminApiClient
from tests.simulator_fixture import Sim

DOMAIN = "acme.myshopify.com"
CLOUD = "acme-cloud"
PROCESSING_DELAY = 0.15
JOB_DELAY = 0.1

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

    sim: Sim
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


def gallery(sim: Sim, product_id: str) -> list[dict]:
    return sim.product(product_id)["media"]


def product_id_of(sim: Sim, title: str) -> str:
    return next(p["id"] for p in sim.shop()["products"] if p["title"] == title)


def writes(log: list[dict]) -> list[dict]:
    return [e for e in log if e["mutation"]]
