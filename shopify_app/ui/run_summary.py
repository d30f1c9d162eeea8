"""What a run was and what it did, in a merchant's words (pure).

The Sync history and Home pages show runs as a store admin reads them:
"Link 12 assets in 4 groups by SKU (Overwrite)", "from Cloudinary
acme-production", "Nothing to change". The bridge's status object stays as
the contract has it; these are extra keys the admin's API adds to it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping, Optional

from cloudinary.utils import cloudinary_url

from ..batch_status import UNFINISHED

THUMBNAIL_TRANSFORMATION = "c_fill,w_64,h_64,f_auto,q_auto"

FIELD_LABELS = {
    "sku": "SKU", "barcode": "barcode", "handle": "handle", "title": "title", "vendor": "vendor",
    "product_type": "product type", "tag": "tag", "tags": "tag", "id": "product ID",
}
LINK_MODES = {
    "overwrite": ("Overwrite", "replaces the product's media at the same positions; extra assets go to the end"),
    "reset": ("Reset", "the gallery becomes exactly the synced assets"),
    "append": ("Append", "added after the product's media"),
    "prepend": ("Prepend", "added before the product's media"),
    "position": ("Insert", "inserted at a position in the gallery"),
}
# batch_views' `trigger` of an automation's run (automation helper's AutomationRun).
AUTOMATION_TRIGGERS = {
    "upload": "an upload or change in Cloudinary", "delete": "a deleted asset in Cloudinary",
    "new_product": "a new or changed product in Shopify", "daily": "the daily check",
}
# What a finished run did, by report word: (done, planned in a dry run).
_COUNT_WORDS = (
    ("created", "added", "to add"), ("replaced", "refreshed", "to refresh"), ("moved", "moved", "to move"),
    ("removed", "removed", "to remove"), ("unchanged", "already in place", "already in place"),
    ("skipped", "skipped", "to skip"), ("failed", "failed", "would fail"),
)
WRITES = ("created", "replaced", "moved", "removed")
# Runs only the embedded admin starts (an undo may come from the bridge too,
# so it keeps its credential's source).
ADMIN_KINDS = ("cleanup",)


@dataclass(frozen=True)
class Source:
    """Who asked for the run: the credential it came in with, or automation."""

    kind: Optional[str]          # "connection" | "api_key" | None (deleted credential)
    label: Optional[str]
    cloud_name: Optional[str]


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def field_label(field: str | None) -> str:
    if not field:
        return "a field"
    if field.startswith("metafield:"):
        return f"metafield {field.removeprefix('metafield:')}"
    return FIELD_LABELS.get(field, field.replace("_", " "))


def group_count(assets: Iterable[Mapping[str, Any]], cloudinary_field: str | None) -> int:
    """How many match values the assets carry (a list value counts each;
    `tags` groups by each tag), as the planner groups them."""
    values: set[str] = set()
    for asset in assets:
        if cloudinary_field == "tags":
            raw: Any = asset.get("tags") or []
        else:
            raw = (asset.get("metadata") or {}).get(cloudinary_field or "")
        for value in raw if isinstance(raw, list) else [raw]:
            if value not in (None, ""):
                values.add(str(value).strip().casefold())
    return len(values)


def _assets(request: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    assets = request.get("assets")
    return [a for a in assets if isinstance(a, Mapping)] if isinstance(assets, list) else []


def title(kind: str, request: Mapping[str, Any], dry_run: bool, undone_title: str | None = None) -> str:
    """One line that tells runs apart: what was asked, of how much
    (`undone_title`: for an undo, the title of the run it undoes)."""
    prefix = "Dry run: " if dry_run else ""
    if kind == "sync":
        assets = _assets(request)
        match = request.get("match") if isinstance(request.get("match"), Mapping) else {}
        if not assets:  # a request the bridge no longer keeps (older runs)
            return f"{prefix}Link to Products"
        groups = group_count(assets, match.get("cloudinary_field"))
        mode, _why = LINK_MODES.get(str(request.get("link_mode")), (str(request.get("link_mode") or "—"), ""))
        if request.get("link_mode") == "position" and request.get("position"):
            mode = f"Insert at position {request['position']}"
        return (f"{prefix}Link {plural(len(assets), 'asset')} in {plural(groups, 'group')} "
                f"by {field_label(match.get('shopify_field'))} ({mode})")
    if kind == "unlink":
        if not request.get("product_ids"):
            return f"{prefix}Unlink"
        products = len(request.get("product_ids") or [])
        public_ids = len(request.get("public_ids") or [])
        return f"{prefix}Unlink {plural(public_ids, 'asset')} from {plural(products, 'product')}"
    if kind == "upload":
        if not _assets(request):
            return f"{prefix}Upload to Shopify Files"
        return f"{prefix}Upload {plural(len(_assets(request)), 'asset')} to Shopify Files"
    if kind == "undo":
        return f"{prefix}Undo: {undone_title}" if undone_title else f"{prefix}Undo of an earlier run"
    if kind == "cleanup":
        return "Preview: AssetLink files no product uses" if dry_run else "Remove AssetLink files no product uses"
    return f"{prefix}{kind.capitalize()}"


def source_text(status: Mapping[str, Any], source: Source | None, cloud_name: str | None) -> str:
    """Where the run came from: automation with its trigger (the status
    object's `source` and `trigger`), the API key's label, or the Cloudinary
    environment."""
    if status.get("source") == "automation":
        trigger = status.get("trigger")
        words = AUTOMATION_TRIGGERS.get(str(trigger), str(trigger) if trigger else "")
        return f"Automation: {words}" if words else "Automation"
    if status.get("kind") in ADMIN_KINDS:
        return "Started here in the Shopify admin"
    if source is not None and source.kind == "api_key":
        label = f"API key “{source.label}”" if source.label else "An API key"
        return f"{label} ({cloud_name})" if cloud_name else label
    if cloud_name:
        return f"Cloudinary: {cloud_name}"
    return "Cloudinary"


def facts(kind: str, request: Mapping[str, Any]) -> list[dict[str, str]]:
    """The request's settings that matter to a merchant, labelled."""
    out: list[dict[str, str]] = []
    if kind == "sync" and request.get("match"):
        match = request.get("match") if isinstance(request.get("match"), Mapping) else {}
        mode, why = LINK_MODES.get(str(request.get("link_mode")), (str(request.get("link_mode") or "—"), ""))
        if request.get("link_mode") == "position" and request.get("position"):
            why = f"inserted at position {request['position']} of the gallery"
        out.append({"label": "Link mode", "value": f"{mode}: {why}" if why else mode})
        out.append({"label": "Matched", "value": f"Cloudinary {field_label(match.get('cloudinary_field'))} "
                                                  f"to Shopify {field_label(match.get('shopify_field'))}"})
        assets = _assets(request)
        groups = group_count(assets, match.get("cloudinary_field"))
        out.append({"label": "Assets", "value": f"{plural(len(assets), 'asset')} in {plural(groups, 'group')}"})
        if request.get("order_by"):
            out.append({"label": "Order", "value": f"by {str(request['order_by']).replace('_', ' ')}"})
    elif kind == "unlink" and request.get("product_ids"):
        out.append({"label": "Asked", "value": f"{plural(len(request.get('public_ids') or []), 'asset')} from "
                                                f"{plural(len(request.get('product_ids') or []), 'product')}"})
    elif kind == "upload" and _assets(request):
        out.append({"label": "Assets", "value": plural(len(_assets(request)), "asset")})
    return out


def outcome(kind: str, status: str, dry_run: bool, counts: Mapping[str, int],
            progress: Mapping[str, int]) -> Optional[dict[str, str]]:
    """What a finished run did, in one sentence and a tone; None while it runs."""
    if status in UNFINISHED:
        return None
    if status == "aborted":
        done, total = progress.get("products_done", 0), progress.get("products_total", 0)
        text = "Stopped on request" + (f" after {done:,} of {plural(total, 'product')}" if total else "")
        return {"tone": "caution", "text": text + ". What was done stays done."}
    if kind == "upload":
        made, reused = counts.get("created", 0), counts.get("unchanged", 0)
        parts = [plural(made, "file") + " created in Shopify Files"] + ([f"{reused:,} reused"] if reused else [])
        parts += [f"{counts['failed']:,} failed"] if counts.get("failed") else []
        return {"tone": _tone(status), "text": ", ".join(parts) + "."}
    if kind == "unlink":
        removed = counts.get("removed", 0)
        products = progress.get("products_done", 0)
        if removed == 0 and not counts.get("failed"):
            return {"tone": "success", "text": "Nothing to change: these assets weren't linked any more."}
        verb = "Would remove" if dry_run else "Removed"
        text = f"{verb} {plural(removed, 'asset')} from {plural(products, 'product')}"
        text += f", {counts['failed']:,} failed" if counts.get("failed") else ""
        return {"tone": _tone(status), "text": text + "."}
    if kind == "undo":
        return _undo_outcome(status, counts, progress)
    if kind == "cleanup":
        removed, kept = counts.get("removed", 0), counts.get("skipped", 0)
        text = f"{'Would remove' if dry_run else 'Removed'} {plural(removed, 'unused AssetLink file')}"
        text += f"; {kept:,} kept because something still uses them" if kept else ""
        text += f"; {counts['failed']:,} failed" if counts.get("failed") else ""
        return {"tone": _tone(status), "text": text + "."}
    writes = sum(counts.get(w, 0) for w in WRITES)
    if status in ("succeeded", "partially_succeeded") and writes == 0 and not counts.get("failed"):
        return {"tone": "success", "text": ("Nothing would change" if dry_run else "Nothing to change")
                + ": the products already had these assets in place."}
    parts = [f"{counts[word]:,} {planned if dry_run else done}" for word, done, planned in _COUNT_WORDS
             if counts.get(word)]
    text = ("Planned: " if dry_run else "") + (", ".join(parts) if parts else "no product was touched")
    return {"tone": _tone(status), "text": text[:1].upper() + text[1:] + "."}


def _undo_outcome(status: str, counts: Mapping[str, int], progress: Mapping[str, int]) -> dict[str, str]:
    """An undo's products: put back, already as before, or left alone
    because they changed since (jobs.undo_job reports those as skipped)."""
    refused = counts.get("skipped", 0)
    writes = sum(counts.get(w, 0) for w in WRITES)
    if writes == 0 and refused == 0 and not counts.get("failed"):
        return {"tone": "success", "text": "Nothing to undo: the products were already as before that run."}
    parts = []
    restored = max(progress.get("products_done", 0) - refused - counts.get("unchanged", 0), 0)
    if restored:
        parts.append(f"Put {plural(restored, 'product')} back as they were")
    if refused:
        parts.append(f"left {plural(refused, 'product')} alone: changed since that run")
    if counts.get("failed"):
        parts.append(f"{counts['failed']:,} failed")
    text = "; ".join(parts) or "Done"
    return {"tone": _tone(status), "text": text[:1].upper() + text[1:] + "."}


def _tone(status: str) -> str:
    return {"succeeded": "success", "partially_succeeded": "warning", "failed": "critical"}.get(status, "neutral")


def retry_json(attempt: int, attempts_max: int, reason: str, failed_at: datetime, retry_at: datetime,
               rfc3339: Any) -> dict[str, Any]:
    return {"attempt": attempt, "attempts_max": attempts_max, "reason": reason,
            "failed_at": rfc3339(failed_at), "retry_at": rfc3339(retry_at)}


# ------------------------------------------------------------------ report rows

# The engine's reasons (jobs.planner, jobs.unlink_job, jobs.upload_job) as a
# merchant would say them; the downloaded report keeps the engine's words.
_DETAIL_WORDS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), w) for p, w in (
    (r"^transformation changed$", "the transformation changed, so the image was refreshed"),
    (r"^new version \d+$", "a new version was uploaded to Cloudinary, so the image was refreshed"),
    (r"^alt text changed$", "the alt text changed in Cloudinary, so it was updated"),
    (r"^delivery changed from (\w+) to (\w+)$", "the video setting changed, so the media was made again"),
    (r"^overwrites the media at this position$", "took the place of the media at this position (Overwrite)"),
    (r"^position (\d+) overwritten by (.+)$", r"replaced by \2 at position \1 (Overwrite)"),
    (r"^reset: not in the synced group$", "taken off: Reset keeps only the synced assets"),
    (r"^overwritten$", "replaced by a synced asset (Overwrite)"),
    (r"^duplicate of media AssetLink linked before$", "a second copy of an image AssetLink had already linked"),
    (r"^now a swatch: swatches don't enter the gallery$", "now a swatch, so it left the gallery"),
    (r"^video_behavior is none$", "videos are set to upload nothing (Settings), so its media was taken off"),
    (r"^video_behavior is none: listed in productmedia_v1 without media$",
     "videos are set to upload nothing (Settings): listed for the storefront block only"),
    (r"^video_behavior now sends media$", "videos are now set to upload media, so it was added"),
    (r"^its media had been deleted from the product$", "its image was deleted from the product: added again"),
    (r"^no product matches '(.*)'$", r"no product has the value “\1”"),
    (r"^unlinked$", "taken off the product as asked"),
    (r"^listed in productmedia_v1 only \(no media\)$", "taken off the storefront list (it had no media)"),
    (r"^not linked to this product by AssetLink$", "AssetLink hadn't linked this asset to this product"),
    (r"^swatch$", "a swatch: set as the variant's swatch"),
    (r"^swatch: uploaded to Files and set as cloudinary.swatch$", "a swatch: uploaded to Files, set as swatch"),
    (r"^reused the file an earlier upload made of this version", "already in Files from an earlier upload, reused"),
    (r"^the upload was aborted before this asset$", "not uploaded: the run was stopped before it"),
    (r"^swatch: cloudinary\.swatch removed from (.+)$", r"a swatch: taken off \1"),
    # An undo's rows (jobs.undo_job).
    (r"^undo: the run added this media; taken off the product \(it stays in Files\)$",
     "added by that run: taken off the product (it stays in Files)"),
    (r"^undo: put back on the product$", "put back on the product"),
    (r"^undo: could not be put back on the product$", "couldn't be put back on the product"),
    (r"^undo: the gallery order as it was before the run$", "the gallery's order, put back as it was"),
    (r"^undo: cloudinary\.productmedia_v1 as it was before the run", "the storefront list, put back as it was"),
    (r"^undo: the image of (.+) as it was before the run$", r"the image of \1, put back as it was"),
    (r"^undo: cloudinary\.swatch of (.+) as it was before the run$", r"the swatch of \1, put back as it was"),
))


# How the executor names merchant media it took off (jobs.executor.results
# MEDIA_ALT_NOTE and MEDIA_FILE_NOTE): by alt text, else by file name.
MEDIA_NAME = re.compile(r"; media (alt text|file): “(.*)”$", re.DOTALL)


def split_media_name(detail: str | None) -> tuple[str | None, str | None, str | None]:
    """(the reason, the removed merchant media's alt text, its file name),
    as far as the report has them."""
    match = MEDIA_NAME.search(detail or "")
    if match is None:
        return detail, None, None
    reason = detail[:match.start()] or None  # type: ignore[index]
    return (reason, match.group(2), None) if match.group(1) == "alt text" else (reason, None, match.group(2))


def detail_words(detail: str | None) -> str | None:
    if not detail:
        return detail
    for pattern, words in _DETAIL_WORDS:
        if pattern.search(detail):
            return pattern.sub(words, detail) if "\\" in words else words
    return detail


def asset_index(request: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The request's assets by public id (the first one wins)."""
    index: dict[str, Mapping[str, Any]] = {}
    for asset in _assets(request):
        index.setdefault(str(asset.get("public_id")), asset)
    return index


_MEDIA_RESOURCE_TYPES = {"MediaImage": "image", "Video": "video"}


def asset_of_media(media_id: str | None) -> Mapping[str, Any] | None:
    """What a report row's media says of its asset when the run's request
    doesn't list it (an unlink or an undo names public IDs only): a Shopify
    video is a Cloudinary video, so its thumbnail is a still frame, not an
    image URL that answers 404. Other media (3D models, external videos) have
    no Cloudinary thumbnail."""
    if not media_id or not media_id.startswith("gid://shopify/"):
        return None
    kind = media_id.removeprefix("gid://shopify/").split("/", 1)[0]
    return {"resource_type": _MEDIA_RESOURCE_TYPES.get(kind, "raw")}


def thumbnail_url(cloud_name: str | None, public_id: str | None, asset: Mapping[str, Any] | None) -> str | None:
    """A small Cloudinary delivery URL of the asset (a still frame for a
    video), built by the Cloudinary SDK with the run's cloud name."""
    if not cloud_name or not public_id:
        return None
    resource_type = str((asset or {}).get("resource_type") or "image")
    if resource_type not in ("image", "video"):
        return None
    options: dict[str, Any] = {"cloud_name": cloud_name, "secure": True, "resource_type": resource_type,
                               "type": str((asset or {}).get("type") or "upload"),
                               "raw_transformation": THUMBNAIL_TRANSFORMATION}
    if (asset or {}).get("version"):
        options["version"] = asset["version"]  # type: ignore[index]
    if resource_type == "video":
        options.update(format="jpg", raw_transformation="so_auto," + THUMBNAIL_TRANSFORMATION)
    url, _unused = cloudinary_url(public_id, **options)
    return str(url)
