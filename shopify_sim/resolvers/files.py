"""The Files library: `files`, `fileCreate`, `fileUpdate`, `fileDelete`, and
the gallery operations shared with product mutations."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional


from .. import faults, limits, processing, search, search_filters
from ..catalog import (EXTERNAL_VIDEO, GENERIC_FILE, MEDIA_IMAGE, MEDIA_KINDS, MODEL_3D, VIDEO, File, Product,
                       gid, parse_gid)
from . import mutation, query
from .common import connection, error, has_any_scope, user_error
from .sources import (CONTENT_TYPE_KINDS, KIND_CONTENT_TYPES, MAX_SOURCE_LENGTH, append_uuid, default_filename,
                      raw_extension_of, guess_kind, is_external_video_url, read_source)
from .views import CONTENT_TYPES, file_view

MAX_ALT_LENGTH = limits.alt_length()
MAX_PRODUCT_MEDIA = limits.MAX_PRODUCT_MEDIA
ALT_TOO_LONG = f"The alt value exceeds the maximum limit of {MAX_ALT_LENGTH} characters."
# A filename names a file, not a path: blank names, path separators and control
# characters are refused (FilesErrorCode.INVALID_FILENAME, "The provided filename is
# invalid."; which names Shopify refuses is not documented: strict).
INVALID_FILENAME = "The provided filename is invalid."
NON_READY_UPDATE = "Non-ready files cannot be updated."
MEDIA_LIMIT_MESSAGE = f"Exceeded the maximum of {MAX_PRODUCT_MEDIA} media per product."


def delay(ctx: Any) -> float:
    return float(ctx.config.get("SIM_PROCESSING_DELAY", 0.5))


STAGED_BYTES_MISSING = {MEDIA_IMAGE: "IMAGE_DOWNLOAD_FAILURE", VIDEO: "VIDEO_VALIDATION_ERROR",
                        GENERIC_FILE: "GENERIC_FILE_DOWNLOAD_FAILURE"}


def begin_processing(ctx: Any, f: File, source: Any) -> None:
    """Start processing a file's new source. An injected file fault decides
    the outcome at once; a staged upload's bytes are already here (a target
    that never received them fails); an external video is an embed, not a
    download; anything else is downloaded now and inspected (downloads.py,
    inspection.py), its outcome applied when processing time is up."""
    code = faults.file_fail_code(ctx.catalog.faults, source.url, f.filename)
    if code:
        f.fail_code = code
        return
    if source.staged is not None:
        if source.staged.data is None:
            f.fail_code = STAGED_BYTES_MISSING.get(f.kind, "UNKNOWN")
        return
    if f.kind == EXTERNAL_VIDEO:
        return
    f.download = ctx.state.downloads.start(source.url, f.kind)
    ctx.catalog.pending_downloads[f.id] = f


def filename_is_valid(name: str) -> bool:
    return bool(name.strip()) and not any(c in name for c in "/\\") and all(ord(c) >= 32 and c != "\x7f" for c in name)


def room_in_gallery(product: Product, adding: int) -> bool:
    return len(product.media_ids) + adding <= MAX_PRODUCT_MEDIA


# -- files query -----------------------------------------------------------
FILE_FIELDS = {
    "filename": search.Field(search.KEYWORD, lambda f: [f.filename]),
    "media_type": search.Field(search.KEYWORD, lambda f: [CONTENT_TYPES.get(f.kind, "GENERIC_FILE")]),
    "status": search.Field(search.KEYWORD, lambda f: [f._status]),
    "id": search.Field(search.NUMBER, lambda f: [f.id]),
    "ids": search.Field(search.NUMBER, lambda f: [f.id]),
    "product_id": search.Field(search.NUMBER, lambda f: f.product_ids),
    "used_in": search.Field(search.KEYWORD, lambda f: ["product"] if f.product_ids else ["none"]),
    "original_upload_size": search.Field(search.NUMBER, lambda f: [f.original_file_size or 0]),
    "created_at": search.Field(search.TIME, lambda f: [f.created_at]),
    "updated_at": search.Field(search.TIME, lambda f: [f.updated_at]),
}
# A bare term searches the name and the alt text; `alt` is no filter of the
# schema's `files(query:)` table (an `alt:` term is ignored, with a warning).
FILE_MATCHER = search.Matcher(FILE_FIELDS, default_fields=("filename", "alt"),
                              searched_only={"alt": search.Field(search.TEXT, lambda f: [f.alt])})
FILE_SORTS = {
    "ID": lambda f: f.id, "RELEVANCE": lambda f: f.id, "CREATED_AT": lambda f: (f.created_at, f.id),
    "UPDATED_AT": lambda f: (f.updated_at, f.id), "FILENAME": lambda f: (f.filename.lower(), f.id),
    "ORIGINAL_UPLOAD_SIZE": lambda f: (f.original_file_size or 0, f.id),
}


# What a files cursor carries as `last_value` per sort key (captured: the
# id as a string for ID).
FILE_CURSOR_VALUES = {
    "CREATED_AT": lambda f: int(f.created_at * 1000), "UPDATED_AT": lambda f: int(f.updated_at * 1000),
    "FILENAME": lambda f: f.filename, "ORIGINAL_UPLOAD_SIZE": lambda f: f.original_file_size or 0,
}


class _StatusFile:
    """A file with its current status attached, for status: filters."""
    __slots__ = ("_file", "_status")

    def __init__(self, f: File, status: str) -> None:
        self._file, self._status = f, status

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


def _file_ids_for(term: search.Term) -> Optional[set[int]]:
    """The files an `id:`/`ids:` term can match (None: any may)."""
    if term.field not in ("id", "ids") or term.comparator or term.prefix:
        return None
    try:
        return {int(part.strip().rsplit("/", 1)[-1]) for part in term.value.split(",") if part.strip()}
    except ValueError:
        return None


@query("files")
def resolve_files(ctx: Any, info: Any, **args: Any) -> dict[str, Any]:
    expr = search_filters.prepare(ctx, info, "QueryRoot", "files", args.get("query"))
    files = ctx.catalog.files
    # Searches by id look those files up instead of checking every file.
    ids = search.candidates(expr, _file_ids_for)
    if ids is not None:
        items = [files[i] for i in sorted(ids) if i in files]
    else:
        items = ctx.catalog.in_id_order(files)  # shared: filtered and sorted into new lists only
    if expr is not None:
        d = delay(ctx)
        items = [f for f in items if FILE_MATCHER.matches(expr, _StatusFile(f, processing.status(f, ctx.now, d)))]
    sort_key = args.get("sortKey") or "ID"
    if sort_key not in ("ID", "RELEVANCE"):
        items = sorted(items, key=FILE_SORTS.get(sort_key, FILE_SORTS["ID"]))
    if args.get("reverse"):
        items = items[::-1]
    return connection(items, args, key=lambda f: f.id, node=lambda f: file_view(ctx, f),
                      keys_sorted=sort_key in ("ID", "RELEVANCE") and not args.get("reverse"),
                      sort_value=FILE_CURSOR_VALUES.get(sort_key, lambda f: str(f.id)))


@query("fileSavedSearches")
def resolve_file_saved_searches(ctx: Any, info: Any, **args: Any) -> dict[str, Any]:
    """The shop's saved searches of files, oldest first (captured empty on a
    fresh store in files-upload-local-runtime)."""
    items = sorted(ctx.catalog.file_saved_searches, key=lambda s: s["id"])
    if args.get("reverse"):
        items.reverse()
    return connection(items, args, key=lambda s: s["id"], keys_sorted=not args.get("reverse"), node=lambda s: {
        "__typename": "SavedSearch", "id": gid("SavedSearch", s["id"]), "legacyResourceId": str(s["id"]),
        "name": s["name"], "query": s["query"], "resourceType": "FILE", "searchTerms": s["query"], "filters": []})


# -- fileCreate ------------------------------------------------------------
@dataclass
class _Planned:
    """One valid fileCreate input: what to create (or which file to replace)."""
    kind: str
    source: Any
    item: dict[str, Any]
    name: str
    replace: Optional[File]


class _Refused(Exception):
    """One input's userError (fileCreate reports the first problem per input)."""

    def __init__(self, field: str, message: str, code: str) -> None:
        super().__init__(message)
        self.field, self.message, self.code = field, message, code


@mutation("fileCreate")
def file_create(ctx: Any, info: Any, files: list[dict[str, Any]]) -> dict[str, Any]:
    """Argument checks (top-level errors), then every input (all-or-nothing:
    one invalid input creates nothing), then the files."""
    _check_create_arguments(files)
    errors: list[dict[str, Any]] = []
    plans: list[_Planned] = []
    names_in_batch: set[str] = set()
    for i, item in enumerate(files):
        try:
            planned = _plan_create(ctx, item, names_in_batch)
        except _Refused as refused:
            errors.append(user_error(["files", i, refused.field], refused.message, refused.code))
            continue
        names_in_batch.add(planned.name)
        plans.append(planned)
    if errors:
        return {"files": [], "userErrors": errors}
    return {"files": [file_view(ctx, _create(ctx, p)) for p in plans], "userErrors": []}


def _check_create_arguments(files: list[dict[str, Any]]) -> None:
    """Argument checks answer a top-level error before any input is read."""
    for item in files:
        url = item.get("originalSource")
        if isinstance(url, str) and not url:
            raise error("originalSource is too short (minimum is 1)", "INVALID_FIELD_ARGUMENTS")
        if isinstance(url, str) and len(url) > MAX_SOURCE_LENGTH:
            raise error(f"originalSource is too long (maximum is {MAX_SOURCE_LENGTH})", "INVALID_FIELD_ARGUMENTS")


def _plan_create(ctx: Any, item: dict[str, Any], names_in_batch: set[str]) -> _Planned:
    """One input checked in Shopify's captured precedence: alt, source URL,
    filename, content type, duplicate mode."""
    url = item["originalSource"]
    alt = item.get("alt")
    if alt is not None and len(alt) > MAX_ALT_LENGTH:
        raise _Refused("alt", ALT_TOO_LONG, "ALT_VALUE_LIMIT_EXCEEDED")
    source = read_source(ctx, url)
    if source is None:
        raise _Refused("originalSource", "File URL is invalid", "INVALID_IMAGE_SOURCE_URL")
    filename, content_type = item.get("filename"), item.get("contentType")
    if filename is not None and not filename_is_valid(filename):
        raise _Refused("filename", INVALID_FILENAME, "INVALID_FILENAME")
    # The extension comparison is case-sensitive (`.PNG` source, `.png` name: refused).
    if filename is not None and source.raw_extension and content_type != "EXTERNAL_VIDEO" \
            and raw_extension_of(filename) != source.raw_extension:
        raise _Refused("filename", "Provided filename extension must match original source.",
                       "MISMATCHED_FILENAME_AND_ORIGINAL_SOURCE")
    kind = CONTENT_TYPE_KINDS[content_type] if content_type else guess_kind(source)
    if kind in (VIDEO, MODEL_3D) and not source.uploaded:
        # Shopify accepts videos and 3D models only from staged uploads.
        raise _Refused("originalSource", f"Invalid {'video' if kind == VIDEO else '3d model'} url={url}", "INVALID")
    if kind == EXTERNAL_VIDEO and not is_external_video_url(url):
        raise _Refused("originalSource", "External video URL is invalid", "INVALID")
    mode = item.get("duplicateResolutionMode") or "APPEND_UUID"
    if mode == "REPLACE" and not content_type:
        raise _Refused("duplicateResolutionMode", "Duplicate resolution mode 'REPLACE' is not supported for "
                       "'MISSING' media type.", "INVALID_DUPLICATE_MODE_FOR_TYPE")
    if mode == "REPLACE" and not filename:
        raise _Refused("filename", "Missing filename argument when attempting to use REPLACE duplicate mode.",
                       "MISSING_FILENAME_FOR_DUPLICATE_MODE_REPLACE")
    name = filename or default_filename(source, kind)
    existing = ctx.catalog.file_named(name)
    if existing is None and name not in names_in_batch:
        return _Planned(kind, source, item, name, None)
    if mode == "RAISE_ERROR":
        raise _Refused("filename", f"File name '{name}' already exists.", "FILENAME_ALREADY_EXISTS")
    if mode == "REPLACE" and existing is not None:
        if existing.kind != kind:
            raise _Refused("duplicateResolutionMode", f"Duplicate resolution mode 'REPLACE' is not supported for "
                           f"'{KIND_CONTENT_TYPES.get(existing.kind, 'FILE')}' media type.",
                           "INVALID_DUPLICATE_MODE_FOR_TYPE")
        return _Planned(kind, source, item, name, existing)
    return _Planned(kind, source, item, append_uuid(name), None)


def _create(ctx: Any, planned: _Planned) -> File:
    source, item = planned.source, planned.item
    if planned.replace is not None:
        replace = planned.replace
        processing.restart(replace, ctx.now, ctx.shop, delay(ctx), None)
        replace.original_source = source.url
        if item.get("alt") is not None:
            replace.alt = item["alt"]
        begin_processing(ctx, replace, source)
        return replace
    staged = source.staged
    size = (len(staged.data) if staged.data is not None else staged.file_size) if staged is not None else None
    f = ctx.catalog.add_file(kind=planned.kind, original_source=source.url, filename=planned.name,
                             mime_type=source.mime_type, alt=item.get("alt") or "", now=ctx.now,
                             original_file_size=size)
    begin_processing(ctx, f, source)
    return f


# -- fileUpdate ------------------------------------------------------------
def _ids_message(ids: list[str], singular: str, plural: str) -> str:
    if len(ids) == 1:
        return singular.format(json.dumps(ids, separators=(", ", ": ")))
    return plural.format(json.dumps(ids, separators=(", ", ": ")))


@mutation("fileUpdate")
def file_update(ctx: Any, info: Any, files: list[dict[str, Any]]) -> dict[str, Any]:
    """Argument checks (top-level errors), then whole-batch checks (nothing
    applies), then row checks (a bad row is reported and skipped, the
    others apply), in Shopify's captured order."""
    _check_update_arguments(ctx, files)
    targets, batch_errors = _update_batch_errors(ctx, files)
    if batch_errors:
        return {"files": [], "userErrors": batch_errors}
    errors: list[dict[str, Any]] = []
    updated: list[File] = []
    for i, (item, f) in enumerate(zip(files, targets)):
        source, source_errors = _update_source(ctx, i, item, f)
        adds = [ctx.catalog.product_by_gid(r) for r in item.get("referencesToAdd") or []]
        row = _update_row_errors(i, item, f, adds) + source_errors
        if row:
            errors.extend(sorted(row, key=lambda e: _ROW_FIELD_ORDER.index(e["field"][2])))
            continue
        _apply_update(ctx, item, f, source, adds)
        updated.append(f)
    return {"files": [file_view(ctx, f) for f in updated], "userErrors": errors}


# The order a row's errors are reported in (alt, then the sources, then references).
_ROW_FIELD_ORDER = ["alt", "previewImageSource", "originalSource", "referencesToAdd"]


def _check_update_arguments(ctx: Any, files: list[dict[str, Any]]) -> None:
    touches_products = any(item.get("referencesToAdd") or item.get("referencesToRemove") for item in files)
    if touches_products and not has_any_scope(ctx, ["write_products"]):
        raise error("Access denied: Missing permission to manage products.", "ACCESS_DENIED",
                    documentation="https://shopify.dev/api/usage/access-scopes")
    for item in files:
        # Only originalSource is length-checked (an over-long previewImageSource
        # was accepted in the captures).
        source_arg = item.get("originalSource")
        if isinstance(source_arg, str) and len(source_arg) > MAX_SOURCE_LENGTH:
            raise error(f"originalSource is too long (maximum is {MAX_SOURCE_LENGTH})", "INVALID_FIELD_ARGUMENTS")


def _update_batch_errors(ctx: Any, files: list[dict[str, Any]]) -> tuple[list[File], list[dict[str, Any]]]:
    """The files named, and what refuses the whole batch: an unknown id, a
    file not READY, a bad filename, an unusable reference."""
    catalog, d = ctx.catalog, delay(ctx)
    targets: list[File] = []
    missing: list[str] = []
    for item in files:
        f = catalog.file_by_gid(item["id"])
        (missing.append(item["id"]) if f is None else targets.append(f))
    if missing:
        message = _ids_message(missing, "File id {} does not exist.", "File ids {} do not exist.")
        return targets, [user_error(["files"], message, "FILE_DOES_NOT_EXIST")]
    if any(processing.status(f, ctx.now, d) != processing.READY or not processing.is_processed(f, ctx.now, d)
           for f in targets):
        return targets, [user_error(["files"], NON_READY_UPDATE, "NON_READY_STATE")]
    errors: list[dict[str, Any]] = []
    for item, f in zip(files, targets):
        problem = _filename_problem(item.get("filename"), f)
        if problem is not None:
            errors.append(user_error(["files"], *problem))
        for ref in (item.get("referencesToAdd") or []) + (item.get("referencesToRemove") or []):
            parsed = parse_gid(ref)
            if parsed is None or parsed[0] != "Product":
                errors.append(user_error(["files"], f"The reference {ref} is not supported. Only product "
                                         "references are supported.", "UNSUPPORTED_FILE_REFERENCE"))
            elif catalog.product_by_gid(ref) is None:
                errors.append(user_error(["files"], f"Reference target {ref} does not exist.",
                                         "REFERENCE_TARGET_DOES_NOT_EXIST"))
    # One error per kind of problem, however many files have it (captured).
    return targets, list({(tuple(e["field"]), e["code"], e["message"]): e for e in errors}.values())


def _filename_problem(filename: Optional[str], f: File) -> Optional[tuple[str, str]]:
    if filename is None:
        return None
    if not filename_is_valid(filename):
        return INVALID_FILENAME, "INVALID_FILENAME"
    if f.kind not in (MEDIA_IMAGE, GENERIC_FILE):
        return ("Updating the filename is only supported on images and generic files",
                "UNSUPPORTED_MEDIA_TYPE_FOR_FILENAME_UPDATE")
    if raw_extension_of(filename) != raw_extension_of(f.filename):
        return "The filename extension provided must match the original filename.", "INVALID_FILENAME_EXTENSION"
    return None


def _update_source(ctx: Any, i: int, item: dict[str, Any], f: File) -> tuple[Any, list[dict[str, Any]]]:
    """The row's new source to process, if any, and what is wrong with it."""
    new_source, preview_source = item.get("originalSource"), item.get("previewImageSource")
    if new_source is not None and preview_source is not None:
        message = "Cannot update the preview image and image at the same time because they are one and the same."
        return None, [user_error(["files", i, "previewImageSource"], message, "INVALID"),
                      user_error(["files", i, "originalSource"], message, "INVALID")]
    if new_source is not None:
        if f.kind not in (MEDIA_IMAGE, GENERIC_FILE):
            return None, [user_error(["files", i, "originalSource"],
                                     "The originalSource can only be updated for images and generic files.",
                                     "INVALID")]
        source = read_source(ctx, new_source)
        if source is None:
            # For an image Shopify reports a bad originalSource at
            # previewImageSource: for images the two are one (captured).
            where = "previewImageSource" if f.kind == MEDIA_IMAGE else "originalSource"
            return None, [user_error(["files", i, where], "Invalid image source url value provided",
                                     "INVALID_IMAGE_SOURCE_URL")]
        return source, []
    if preview_source is not None:
        source = read_source(ctx, preview_source)
        if source is None:
            return None, [user_error(["files", i, "previewImageSource"], "Invalid image source url value provided",
                                     "INVALID_IMAGE_SOURCE_URL")]
        # An image's preview is the image: reprocess it; other kinds keep
        # their own preview (accepted, not modelled).
        return (source if f.kind == MEDIA_IMAGE else None), []
    return None, []


def _update_row_errors(i: int, item: dict[str, Any], f: File, adds: list[Any]) -> list[dict[str, Any]]:
    row: list[dict[str, Any]] = []
    alt = item.get("alt")
    if alt is not None and len(alt) > MAX_ALT_LENGTH:
        row.append(user_error(["files", i, "alt"], ALT_TOO_LONG, "ALT_VALUE_LIMIT_EXCEEDED"))
    if adds and f.kind not in MEDIA_KINDS:
        row.append(user_error(["files", i, "referencesToAdd"],
                              "Only media (images, videos, 3D models) can be added to products.", "INVALID"))
    if len(set(f.product_ids) | {p.id for p in adds if p is not None}) > limits.file_references():
        row.append(user_error(["files", i, "referencesToAdd"],
                              f"Cannot add more than {limits.file_references()} references to a file.",
                              "TOO_MANY_FILE_REFERENCE"))
    if any(p is not None and f.id not in p.media_ids and not room_in_gallery(p, 1) for p in adds):
        row.append(user_error(["files", i, "referencesToAdd"], MEDIA_LIMIT_MESSAGE, "PRODUCT_MEDIA_LIMIT_EXCEEDED"))
    return row


def _apply_update(ctx: Any, item: dict[str, Any], f: File, source: Any, adds: list[Any]) -> None:
    catalog = ctx.catalog
    if item.get("alt") is not None:
        f.alt = item["alt"]
    if item.get("filename") is not None:
        catalog.rename_file(f, item["filename"])
    if source is not None:
        processing.restart(f, ctx.now, ctx.shop, delay(ctx), None)
        f.original_source = source.url
        begin_processing(ctx, f, source)
    for product in adds:
        catalog.attach(f, product)
        product.updated_at = ctx.now
    for ref in item.get("referencesToRemove") or []:
        product = catalog.product_by_gid(ref)
        catalog.detach(f, product)
        product.updated_at = ctx.now
    f.updated_at = ctx.now


# -- fileDelete ------------------------------------------------------------
@mutation("fileDelete")
def file_delete(ctx: Any, info: Any, fileIds: list[str]) -> dict[str, Any]:
    catalog = ctx.catalog
    found: list[File] = []
    missing: list[str] = []
    for value in fileIds:
        # Shopify deletes by the numeric id whatever type the gid names
        # (a MediaImage deleted as gid://shopify/Video/N answers its real gid).
        f = catalog.file_by_number(value)
        (found.append(f) if f is not None else missing.append(value))
    if missing:
        message = (f"File id {missing[0]} does not exist." if len(missing) == 1
                   else f"File ids {','.join(missing)} do not exist.")
        return {"deletedFileIds": None, "userErrors": [user_error(["fileIds"], message, "FILE_DOES_NOT_EXIST")]}
    # Files still processing can be deleted (captured: a just-created file
    # was deleted at once); NON_READY_STATE belongs to fileAcknowledgeUpdateFailed.
    deleted = []
    for f in found:
        if f.id in catalog.files:
            for pid in f.product_ids:
                if pid in catalog.products:
                    catalog.products[pid].updated_at = ctx.now
            catalog.delete_file(f)
            deleted.append(f.gid)
    return {"deletedFileIds": deleted, "userErrors": []}



# -- fileAcknowledgeUpdateFailed ---------------------------------------------
@mutation("fileAcknowledgeUpdateFailed")
def file_acknowledge_update_failed(ctx: Any, info: Any, fileIds: list[str]) -> dict[str, Any]:
    """"Acknowledges file update failure by resetting FAILED status to READY
    and clearing any media errors." Files still processing are refused."""
    catalog = ctx.catalog
    d = delay(ctx)
    found: list[File] = []
    missing: list[str] = []
    for value in fileIds:
        f = catalog.file_by_gid(value)
        (found.append(f) if f is not None else missing.append(value))
    if missing:
        message = (f"File id {missing[0]} does not exist." if len(missing) == 1
                   else f"File ids {','.join(missing)} do not exist.")
        return {"files": None, "userErrors": [user_error(["fileIds"], message, "FILE_DOES_NOT_EXIST")]}
    busy = [f.gid for f in found if not processing.is_processed(f, ctx.now, d)]
    if busy:
        message = (f"File with id {busy[0]} is not in the READY state." if len(busy) == 1
                   else f"Files with ids {', '.join(busy)} are not in the READY state.")
        return {"files": None, "userErrors": [user_error(["fileIds"], message, "NON_READY_STATE")]}
    for f in found:
        if f.fail_code:
            f.fail_code = None
            f.updated_at = ctx.now
    return {"files": [file_view(ctx, f) for f in found], "userErrors": []}
