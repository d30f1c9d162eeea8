"""Carry a chunk of ProductPlans out on Shopify: steps over a shared record
of work (record.Work), each doing its calls for every product at once.

The order of the steps is what makes a chunk cheap and safe:

1. files      uploads.py: one `fileCreate` per 250 new media of the whole
              chunk (swatches included), each with its contentType and the
              filename the settings give; full videos are fetched from
              Cloudinary and staged first. The journal records intent
              before, ids after.
2. wait       processing.py: cheap status reads with growing intervals until
              every file is READY or FAILED.
3. galleries  target.py decides each product's gallery and document from
              which uploads worked; galleries.py sends `fileUpdate` rows,
              250 per call across products (displaced media off, alt text,
              then the new files on); naming.py reads the file names of
              merchant media taken off that have no alt text (for the report).
4. order      ordering.py: the changed galleries are read back and
              `productReorderMedia` is sent only where the order differs.
5. variants   variants.py: with `variant_images`, detach/append media.
6. metafields metafields.py: `metafieldsSet` 25 per call, with the
              compareDigest read before planning.

`productSet(files:)` could attach and order in one call but replaces the whole
list (media not named are removed) and needs every file READY first; with
shared and merchant media in galleries, fileUpdate's explicit add/remove is
the safer tool, and it batches across products where productSet cannot.

An asset whose upload fails is reported failed and left out (a merchant's
media it was to overwrite stays); the rest of the product goes on. A plan the
planner failed (e.g. over 250 media) makes no write at all.

Aborts: `ExecutorOptions.stop_requested` is asked between steps and before
every write call; a product whose writes have begun is finished, one whose
writes have not begun is reported `stopped` with nothing written.

`start` runs step 1 and returns an `Execution`; its `finish` runs the rest.
Between the two the caller may start the next chunk, so that chunk's files
are created while this chunk's are being processed (`execute` does both at
once).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from jobs.planner.plan import ProductPlan
from shopify_app.admin_api.client import AdminApiClient

from .galleries import update_galleries
from .journal import Journal
from .metafields import write_metafields
from .naming import name_merchant_media
from .ordering import reorder
from .processing import wait_for_processing
from .record import ExecutorOptions, ProductWork, Work
from .results import ProductResult, failed_plan, result_of, unchanged
from .state import ReadState
from .target import settle_targets
from .uploads import collect_uploads, create_uploads, resume_uploads
from .variants import set_variant_images
from .video import Downloader, Uploader, put_staged, stream_download

Step = Callable[[Work], None]
FINISHING_STEPS: tuple[Step, ...] = (wait_for_processing, settle_targets, update_galleries, name_merchant_media,
                                     reorder, set_variant_images, write_metafields)


@dataclass
class Execution:
    """A chunk whose files are being made: `finish()` carries the rest out."""

    work: Work
    plans: Sequence[ProductPlan]
    results: dict[str, ProductResult]

    def finish(self) -> list[ProductResult]:
        work = self.work
        if work.products:
            for step in FINISHING_STEPS:
                _stop_unstarted_if_aborted(work)
                step(work)
            work.journal.complete_all([p.product_id for p in work.products if not p.errors and not p.stopped])
            for product in work.products:
                self.results[product.product_id] = result_of(product)
        return [self.results[p.product_id] for p in self.plans]


def start(client: AdminApiClient, plans: Sequence[ProductPlan], *, states: Mapping[str, ReadState],
          journal: Journal, options: ExecutorOptions | None = None,
          downloader: Downloader | None = None, uploader: Uploader | None = None) -> Execution:
    """Sort the plans out (failed, gone, nothing to do, work) and make the
    files the work needs."""
    work = Work(client, journal, options or ExecutorOptions(), downloader or stream_download,
                uploader or put_staged)
    results: dict[str, ProductResult] = {}
    for plan in plans:
        state = states.get(plan.product_id)
        if plan.status != "planned":
            results[plan.product_id] = failed_plan(plan)
        elif state is None or not state.found:
            results[plan.product_id] = failed_plan(plan, "the product no longer exists")
        elif not plan.has_writes and not state.detached:
            results[plan.product_id] = unchanged(plan, state)
        else:
            work.products.append(ProductWork(plan, state))
    journal.complete_all([p for p, r in results.items() if r.status == "unchanged"])
    if work.products:
        for product in work.products:
            collect_uploads(product)
        resume_uploads(work)
        create_uploads(work)
    return Execution(work, plans, results)


def execute(client: AdminApiClient, plans: Sequence[ProductPlan], *, states: Mapping[str, ReadState],
            journal: Journal, options: ExecutorOptions | None = None,
            downloader: Downloader | None = None, uploader: Uploader | None = None) -> list[ProductResult]:
    """Carry `plans` out (planned from `states`, as `read_product_states`
    returned them) and report per product, in plan order.

    Transient failures (Shopify down after the client's retries, the journal's
    storage gone) propagate: the job retries and the journal makes that safe.
    """
    return start(client, plans, states=states, journal=journal, options=options, downloader=downloader,
                 uploader=uploader).finish()


def _stop_unstarted_if_aborted(work: Work) -> None:
    """Between steps: after an abort, products with no write yet stop here."""
    if work.stop_requested():
        for product in work.products:
            if not product.started:
                product.stopped = True
