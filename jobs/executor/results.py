"""What the executor reports per product: a ProductResult with one RowResult
per report row (contract: product, asset, action, position, media_id, error),
built from the shared record once the steps are done (pure functions)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Mapping

from jobs.planner.plan import Action, ProductPlan
from jobs.planner.productmedia import ProductMediaEntry

from .record import ProductWork
from .state import ReadState

# "stopped": an abort came before the product's first write; nothing was written for it.
Status = Literal["succeeded", "unchanged", "partially_succeeded", "failed", "stopped"]
LINKED = ("created", "replaced", "moved", "unchanged")


@dataclass
class RowResult:
    """One report row (contract: product, asset, action, position, media_id, error)."""

    action: str
    public_id: str | None
    group_value: str | None
    position: int | None
    media_id: str | None
    error: str | None = None
    reason: str | None = None
    swatch_owner: str | None = None


@dataclass
class ProductResult:
    product_id: str
    title: str
    status: Status
    error: str | None
    rows: list[RowResult]
    gallery: tuple[str, ...] = ()
    productmedia: tuple[ProductMediaEntry, ...] = ()
    # What the variants' images and the swatches are once the product is
    # done (owner -> media or file id; only owners the state read covered):
    # the run's after-state, kept for undo (jobs.undo_plan).
    variant_media: dict[str, str | None] = field(default_factory=dict)
    swatch_files: dict[str, str] = field(default_factory=dict)

    @property
    def assets_linked(self) -> int:
        return sum(1 for r in self.rows if r.error is None and r.public_id and r.swatch_owner is None
                   and r.action in LINKED)


def result_of(work: ProductWork) -> ProductResult:
    """The report of a product the steps worked on."""
    plan = work.plan
    if work.stopped:
        return ProductResult(plan.product_id, plan.title, "stopped", None, [], tuple(work.state.gallery),
                             work.state.productmedia)
    position = {media_id: index for index, media_id in enumerate(work.gallery, start=1)}
    rows: list[RowResult] = []
    for action in plan.actions:
        rows += _rows_of(work, action, position)
    errors = [r.error for r in rows if r.error] + work.errors
    status: Status
    if not errors:
        status = "succeeded"
    else:
        status = "partially_succeeded" if work.wrote else "failed"
    return ProductResult(plan.product_id, plan.title, status, "; ".join(dict.fromkeys(errors)) or None, rows,
                         tuple(work.gallery), tuple(work.document), *_variants_and_swatches_after(work))


def _variants_and_swatches_after(work: ProductWork) -> tuple[dict[str, str | None], dict[str, str]]:
    """Each variant's image and each swatch once the steps are done, as far
    as this run knows: media taken off the product leave its variants, the
    planned variant images that reached the gallery are set, swatch files
    written without error are referenced."""
    state = work.state
    on_gallery = set(work.gallery)
    variants = {v: (None if m in work.removed else m) for v, m in state.variant_media.items()}
    failed = any(e.startswith("productVariant") for e in work.errors)
    for image in work.plan.variant_images:
        media_id = work.new_media.get(image.key) or image.media_id
        if media_id in on_gallery and not failed:
            variants[image.variant_id] = media_id
    swatches = dict(state.swatch_files)
    swatches.update({o: f for o, f in work.swatch_files.items() if o not in work.swatch_errors})
    return variants, swatches


def _rows_of(work: ProductWork, action: Action, position: dict[str, int]) -> list[RowResult]:
    key = action.asset.key if action.asset is not None else None
    # A row the plan already failed (e.g. a source URL Shopify won't take) is an error of the product.
    planned_error = action.reason if action.action == "failed" else None
    if action.swatch_owner is not None:
        media_id, error = action.media_id, planned_error
        if action.action == "created":
            media_id = work.swatch_files.get(action.swatch_owner)
            error = work.swatch_errors.get(action.swatch_owner)
        return [RowResult("failed" if error else action.action, action.public_id, action.group_value, None,
                          media_id, error, action.reason, action.swatch_owner)]
    if action.action == "removed":
        error = work.removal_errors.get(action.media_id or "")
        return [RowResult("failed" if error else "removed", action.public_id, action.group_value, None,
                          action.media_id, error, _naming_merchant_media(work.state, action, work.media_names))]
    media_id, error = action.media_id, planned_error
    if action.needs_upload and key is not None:
        media_id = work.new_media.get(key)
        error = work.failed.get(key) or work.add_errors.get(key)
    elif action.action == "replaced" and action.media_id:
        error = work.alt_errors.get(action.media_id)
    rows = [RowResult("failed" if error else action.action, action.public_id, action.group_value,
                      position.get(media_id or "") if not error else None, media_id, error, action.reason)]
    if action.action == "replaced" and action.replaces and not error and action.media_id is None:
        # The media an overwrite displaced, reported like a removal.
        removal_error = work.removal_errors.get(action.replaces)
        if removal_error:
            rows.append(RowResult("failed", None, action.group_value, None, action.replaces, removal_error,
                                  "displaced by an overwrite"))
    return rows


# The merchant's media AssetLink takes off has no public ID; the report names
# it by its alt text as the product had it, else by its file name (the admin
# shows either, see shopify_app/ui/run_summary.py MEDIA_NAME).
MEDIA_ALT_NOTE = "; media alt text: “{alt}”"
MEDIA_FILE_NOTE = "; media file: “{name}”"


def _naming_merchant_media(state: ReadState, action: Action, names: Mapping[str, str]) -> str | None:
    if action.public_id is not None or not action.media_id:
        return action.reason
    info = state.media_info(action.media_id)
    if info is not None and info.alt:
        return (action.reason or "removed") + MEDIA_ALT_NOTE.format(alt=info.alt)
    if action.media_id in names:
        return (action.reason or "removed") + MEDIA_FILE_NOTE.format(name=names[action.media_id])
    return action.reason


def failed_plan(plan: ProductPlan, error: str | None = None) -> ProductResult:
    """A plan that is not carried out: the planner failed it, or the product is gone."""
    message = error or plan.error
    rows = [RowResult("failed" if error else a.action, a.public_id, a.group_value, a.position, a.media_id,
                      error or (a.reason if a.action == "failed" else None), a.reason, a.swatch_owner)
            for a in plan.actions]
    return ProductResult(plan.product_id, plan.title, "failed", message, rows,
                         tuple(s.media_id for s in plan.gallery if s.media_id))


def unchanged(plan: ProductPlan, state: ReadState) -> ProductResult:
    """A plan with nothing to write: its rows as planned."""
    rows = [RowResult(a.action, a.public_id, a.group_value, a.position, a.media_id, None, a.reason, a.swatch_owner)
            for a in plan.actions]
    return ProductResult(plan.product_id, plan.title, "unchanged", None, rows, state.gallery, state.productmedia,
                         dict(state.variant_media), dict(state.swatch_files))
