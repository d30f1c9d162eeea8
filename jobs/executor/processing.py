"""Step 2, wait: until Shopify has processed the new files (and the media
this run updates are READY), then settle per product which uploads worked.

The wait starts from when the files were made, not from now: when other
work ran meanwhile (the next chunk's fileCreate, say) the first status read
comes without a further sleep.
"""
from __future__ import annotations

from jobs.planner.plan import ProductPlan

from .files import READY, wait_until_processed
from .journal import ROLE_GALLERY
from .record import ProductWork, Work


def wait_for_processing(work: Work) -> None:
    products = work.active()
    ids = [u.file_id for p in products for u in p.uploads if u.file_id]
    known: dict[str, str] = {}
    # Media this run changes on the product (removals, alt) must be READY too.
    for product in products:
        for media_id in touched_media(product.plan):
            info = product.state.media_info(media_id)
            if info is not None:
                known[media_id] = info.status
                ids.append(media_id)
    options = work.options
    waited = options.clock() - work.files_made_at if work.files_made_at is not None else 0.0
    outcome = wait_until_processed(work.client, ids, options=options.poll, sleep=options.sleep,
                                   clock=options.clock, known=known, already_waited=waited)
    work.ready = {i for i, s in outcome.status.items() if s == READY}
    work.not_ready = {i: outcome.errors.get(i) or f"the file is {s.lower()}"
                      for i, s in outcome.status.items() if s != READY}
    for product in products:
        settle_uploads(work, product)


def settle_uploads(work: Work, product: ProductWork) -> None:
    """Which of the product's uploads gave a processed file, and why the others did not."""
    for upload in product.uploads:
        if upload.file_id and upload.file_id not in work.ready and upload.error is None:
            upload.error = f"Shopify could not process the file: {work.not_ready.get(upload.file_id)}"
        worked = upload.error is None and upload.file_id
        if upload.role == ROLE_GALLERY:
            if worked:
                product.new_media[upload.key] = upload.file_id  # type: ignore[assignment]
            else:
                product.failed[upload.key] = upload.error or "not uploaded"
        elif upload.owner is not None:
            if worked:
                product.swatch_files[upload.owner] = upload.file_id  # type: ignore[assignment]
            else:
                product.swatch_errors[upload.owner] = upload.error or "not uploaded"


def touched_media(plan: ProductPlan) -> list[str]:
    """Existing media this plan updates: removals and alt-only changes."""
    out = list(plan.removals)
    out += [a.media_id for a in plan.actions
            if a.action == "replaced" and a.media_id and a.replaces is None and a.swatch_owner is None]
    return list(dict.fromkeys(out))
