"""Step 3a: the gallery and productmedia_v1 document a product gets, given
which of its uploads worked (a pure function of the plan, the state and the
new media): a failed new asset is left out, a failed overwrite keeps the
media it was to replace, a failed refresh keeps the old media."""
from __future__ import annotations

from typing import Mapping

from jobs.planner.plan import ProductPlan
from jobs.planner.productmedia import ProductMediaEntry
from jobs.planner.request import AssetKey

from .record import Work
from .state import ReadState


def settle_targets(work: Work) -> None:
    for product in work.active():
        product.gallery, product.document = target_of(product.plan, product.state, product.new_media)


def target_of(plan: ProductPlan, state: ReadState, new_media: Mapping[AssetKey, str]
              ) -> tuple[list[str], list[ProductMediaEntry]]:
    displaced = {a.asset.key: a.replaces for a in plan.actions
                 if a.action == "replaced" and a.media_id is None and a.replaces and a.asset}
    gallery: list[str] = []
    for slot in plan.gallery:
        if slot.asset is None:
            assert slot.media_id is not None
            gallery.append(slot.media_id)
            continue
        key = slot.asset.key
        if key in new_media:
            gallery.append(new_media[key])
        elif slot.media_id is not None:
            gallery.append(slot.media_id)
        elif displaced.get(key):
            gallery.append(displaced[key])  # type: ignore[arg-type]
    on_gallery = set(state.gallery)
    old_entries = {e.asset_key: e for e in state.productmedia if e.media_id in on_gallery}
    kept = set(gallery)
    document: list[ProductMediaEntry] = []
    for entry in plan.productmedia:
        if entry.media_id is None and entry.delivery != "none":
            if entry.asset_key in new_media:
                document.append(entry.model_copy(update={"media_id": new_media[entry.asset_key]}))
            elif entry.asset_key in old_entries and old_entries[entry.asset_key].media_id in kept:
                document.append(old_entries[entry.asset_key])
            continue
        document.append(entry)
    return gallery, document
