"""The shared record of work the executor's steps read and fill in.

`Work` is one chunk of products being carried out: the Shopify client, the
journal, the options, and per product a `ProductWork` (its plan, the state it
was planned from, and what happened to it so far). Each step
(uploads, processing, galleries, ordering, variants, metafields) takes the
`Work`, does its calls for every product at once, and writes down what came of
them here; `results.result_of` turns a ProductWork into the report.

Stopping: before a step sends a write for products, it asks `writers(...)`
which of them may write. A product whose writes have begun always finishes
(its gallery and its productmedia_v1 must agree); one whose writes have not
begun is not started once an abort was requested.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from jobs.planner.plan import Action, ProductPlan
from jobs.planner.productmedia import ProductMediaEntry
from jobs.planner.request import AssetKey
from shopify_app.admin_api import GraphQLErrors
from shopify_app.admin_api.client import AdminApiClient

from .files import NewFile, PollOptions
from .journal import Journal
from .state import ReadState
from .video import MAX_VIDEO_BYTES, Downloader, Uploader


def _never() -> bool:
    return False


@dataclass
class ExecutorOptions:
    poll: PollOptions = field(default_factory=PollOptions)
    job_poll: PollOptions = field(default_factory=lambda: PollOptions(first_wait=0.5, max_interval=5.0,
                                                                      max_total=120.0))
    max_video_bytes: int = MAX_VIDEO_BYTES
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    # Order galleries by taking media off and re-attaching them after the new
    # ones (two fileUpdate rows per moved media, batched) instead of one
    # productReorderMedia per product (10 points). Off by default: the media
    # are off the storefront for the moment between the two calls.
    move_by_reattaching: bool = False
    # Asked before every write: True once the merchant aborted the sync.
    stop_requested: Callable[[], bool] = _never


@dataclass
class Upload:
    """One file to make for one (product, asset, role)."""

    product_id: str
    key: AssetKey
    role: str
    action: Action
    owner: str | None
    filename: str
    content_type: str
    alt: str
    delivery_url: str
    entry_json: str | None = None
    file: NewFile | None = None
    file_id: str | None = None
    error: str | None = None

    @property
    def ident(self) -> tuple[str, AssetKey, str]:
        return (self.product_id, self.key, self.role)


@dataclass
class ProductWork:
    """One product's execution: its plan, the state it was planned from, and
    what the steps did for it."""

    plan: ProductPlan
    state: ReadState
    uploads: list[Upload] = field(default_factory=list)
    new_media: dict[AssetKey, str] = field(default_factory=dict)
    failed: dict[AssetKey, str] = field(default_factory=dict)         # asset -> why its upload failed
    removed: set[str] = field(default_factory=set)
    removal_errors: dict[str, str] = field(default_factory=dict)
    alt_errors: dict[str, str] = field(default_factory=dict)
    add_errors: dict[AssetKey, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    wrote: bool = False
    gallery: list[str] = field(default_factory=list)               # the target, once known
    document: list[ProductMediaEntry] = field(default_factory=list)
    swatch_files: dict[str, str] = field(default_factory=dict)      # owner -> file id
    swatch_errors: dict[str, str] = field(default_factory=dict)
    detached: set[str] = field(default_factory=set)                 # taken off to be put back in order
    reattached: set[str] = field(default_factory=set)               # ... and put back
    media_names: dict[str, str] = field(default_factory=dict)       # merchant media without alt -> file name
    started: bool = False      # a write for this product was sent: it is finished whatever happens
    stopped: bool = False      # an abort came before its first write: nothing is written for it

    @property
    def product_id(self) -> str:
        return self.plan.product_id

    @property
    def active(self) -> bool:
        return not self.stopped


@dataclass
class Work:
    """The record every step works on: one chunk of products."""

    client: AdminApiClient
    journal: Journal
    options: ExecutorOptions
    downloader: Downloader
    uploader: Uploader
    products: list[ProductWork] = field(default_factory=list)
    ready: set[str] = field(default_factory=set)                     # file ids Shopify processed
    not_ready: dict[str, str] = field(default_factory=dict)          # file id -> why not
    files_made_at: float | None = None                               # clock() when fileCreate answered
    abort_seen: bool = False

    @property
    def uploads(self) -> list[Upload]:
        return [u for p in self.products for u in p.uploads]

    def active(self) -> list[ProductWork]:
        return [p for p in self.products if p.active]

    def stop_requested(self) -> bool:
        if not self.abort_seen and self.options.stop_requested():
            self.abort_seen = True
        return self.abort_seen

    def writers(self, products: Iterable[ProductWork]) -> list[ProductWork]:
        """The products that may write now: those already started, and the
        rest only while no abort was requested (they are marked started).
        Products turned away are stopped for good."""
        allowed: list[ProductWork] = []
        pending = [p for p in products if p.active]
        fresh = [p for p in pending if not p.started]
        stopping = bool(fresh) and self.stop_requested()
        for product in pending:
            if product.started:
                allowed.append(product)
            elif stopping:
                product.stopped = True
            else:
                product.started = True
                allowed.append(product)
        return allowed

    def aliased(self, document: str, variables: dict[str, Any], cost: int, products: Sequence[ProductWork],
                name: str) -> dict[str, Any]:
        """Send a document of aliased mutations (aliases.py); when Shopify
        refuses it whole, each product it was for gets the error."""
        try:
            return self.client.execute(document, variables, expected_cost=cost, raise_user_errors=False)
        except GraphQLErrors as exc:
            for product in products:
                product.errors.append(f"{name}: {exc}")
            return {}
