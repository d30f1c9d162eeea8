"""The Files library: `files`, `fileCreate`, `fileUpdate`, `fileDelete`, and
the gallery operations shared with product mutations."""
from __future__ import annotations

import json
from typing import Any, Optional


from .. import faults, processing, search
from ..catalog import (EXTERNAL_VIDEO, GENERIC_FILE, MEDIA_IMAGE, MEDIA_KINDS, MODEL_3D, VIDEO, File, Product,
                       gid, parse_gid)
from . import mutation, query
from .common import connection, error, has_any_scope, user_error
from .sources import (CONTENT_TYPE_KINDS, KIND_CONTENT_TYPES, MAX_SOURCE_LENGTH, append_uuid, default_filename,
                      raw_extension_of, guess_kind, is_external_video_url, read_source)
from .views import CONTENT_TYPES, file_view

MAX_ALT_LENGTH = 512
MAX_PRODUCT_MEDIA = 250
ALT_TOO_LONG = "The alt value exceeds the maximum limit of 512 characters."
NON_READY_UPDATE = "Non-ready files cannot be updated."
MEDIA_LIMIT_MESSAGE = f"Exceeded the maximum of {MAX_PRODUCT_MEDIA} media per product."


def delay(ctx: Any) -> float:
    return float(ctx.config.get("SIM_PROCESSING_DELAY", 0.5))


def fail_code_for(ctx: Any, kind: str, url: str, filename: str, staged: Any) -> Optional[str]:
    """Why a new source will fail processing: an injected fault, or staged
    bytes that never arrived."""
    code = faults.file_fail_code(ctx.catalog.faults, url, filename)
    if code:
        return code
    if staged is not None and staged.data is None:
        return {MEDIA_IMAGE: "IMAGE_DOWNLOAD_FAILURE", VIDEO: "VIDEO_VALIDATION_ERROR",
                GENERIC_FILE: "GENERIC_FILE_DOWNLOAD_FAILURE"}.get(kind, "UNKNOWN")
    return None


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
    "alt": search.Field(search.TEXT, lambda f: [f.alt]),
}
FILE_MATCHER = search.Matcher(FILE_FIELDS, default_fields=("filename", "alt"))
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


@query("files")
def resolve_files(ctx: Any, info: Any, **args: Any) -> dict[str, Any]:
    expr = search.parse(args.get("query"))
    items = list(ctx.catalog.files.values())
    if expr is not None:
        d = delay(ctx)
        items = [f for f in items if FILE_MATCHER.matches(expr, _StatusFile(f, processing.status(f, ctx.now, d)))]
    sort_key = args.get("sortKey") or "ID"
    items.sort(key=FILE_SORTS.get(sort_key, FILE_SORTS["ID"]))
    if args.get("reverse"):
        items.reverse()
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
@mutation("fileCreate")
def file_create(ctx: Any, info: Any, files: list[dict[str, Any]]) -> dict[str, Any]:
    catalog = ctx.catalog
    errors: list[dict[str, Any]] = []
    plans: list[tuple[str, Any, dict[str, Any], str, Optional[File]]] = []
    names_in_batch: set[str] = set()
    for item in files:
        # Argument checks answer a top-level error before any row is read.
        url = item.get("originalSource")
        if isinstance(url, str) and not url:
            raise error("originalSource is too short (minimum is 1)", "INVALID_FIELD_ARGUMENTS")
        if isinstance(url, str) and len(url) > MAX_SOURCE_LENGTH:
            raise error(f"originalSource is too long (maximum is {MAX_SOURCE_LENGTH})", "INVALID_FIELD_ARGUMENTS")
    for i, item in enumerate(files):
        url = item["originalSource"]
        # Shopify's precedence (captured): alt, source URL, filename
        # extension, then content type and duplicate mode.
        alt = item.get("alt")
        if alt is not None and len(alt) > MAX_ALT_LENGTH:
            errors.append(user_error(["files", i, "alt"], ALT_TOO_LONG, "ALT_VALUE_LIMIT_EXCEEDED"))
            continue
        source = read_source(ctx, url)
        if source is None:
            errors.append(user_error(["files", i, "originalSource"], "File URL is invalid",
                                     "INVALID_IMAGE_SOURCE_URL"))
            continue
        filename = item.get("filename")
        content_type = item.get("contentType")
        # The extension comparison is case-sensitive (`.PNG` source, `.png` name: refused).
        if filename is not None and source.raw_extension and content_type != "EXTERNAL_VIDEO" \
                and raw_extension_of(filename) != source.raw_extension:
            errors.append(user_error(["files", i, "filename"],
                                     "Provided filename extension must match original source.",
                                     "MISMATCHED_FILENAME_AND_ORIGINAL_SOURCE"))
            continue
        kind = CONTENT_TYPE_KINDS[content_type] if content_type else guess_kind(source)
        if kind in (VIDEO, MODEL_3D) and not source.uploaded:
            # Shopify accepts videos and 3D models only from staged uploads.
            errors.append(user_error(["files", i, "originalSource"],
                                     f"Invalid {'video' if kind == VIDEO else '3d model'} url={url}", "INVALID"))
            continue
        if kind == EXTERNAL_VIDEO and not is_external_video_url(url):
            errors.append(user_error(["files", i, "originalSource"], "External video URL is invalid", "INVALID"))
            continue
        mode = item.get("duplicateResolutionMode") or "APPEND_UUID"
        if mode == "REPLACE":
            if not content_type:
                errors.append(user_error(["files", i, "duplicateResolutionMode"],
                                         "Duplicate resolution mode 'REPLACE' is not supported for 'MISSING' "
                                         "media type.",
                                         "INVALID_DUPLICATE_MODE_FOR_TYPE"))
                continue
            if not filename:
                errors.append(user_error(["files", i, "filename"],
                                         "Missing filename argument when attempting to use REPLACE duplicate mode.",
                                         "MISSING_FILENAME_FOR_DUPLICATE_MODE_REPLACE"))
                continue
        name = filename or default_filename(source, kind)
        existing = _file_named(catalog, name)
        replace: Optional[File] = None
        if existing is not None or name in names_in_batch:
            if mode == "RAISE_ERROR":
                errors.append(user_error(["files", i, "filename"], f"File name '{name}' already exists.",
                                         "FILENAME_ALREADY_EXISTS"))
                continue
            if mode == "REPLACE" and existing is not None:
                if existing.kind != kind:
                    errors.append(user_error(["files", i, "duplicateResolutionMode"],
                                             f"Duplicate resolution mode 'REPLACE' is not supported for "
                                             f"'{KIND_CONTENT_TYPES.get(existing.kind, 'FILE')}' media type.",
                                             "INVALID_DUPLICATE_MODE_FOR_TYPE"))
                    continue
                replace = existing
            else:
                name = append_uuid(name)
        names_in_batch.add(name)
        plans.append((kind, source, item, name, replace))
    if errors:
        # fileCreate is all-or-nothing: one invalid input creates nothing.
        return {"files": [], "userErrors": errors}
    created = []
    for kind, source, item, name, replace in plans:
        code = fail_code_for(ctx, kind, source.url, name, source.staged)
        if replace is not None:
            replace.original_source = source.url
            if item.get("alt") is not None:
                replace.alt = item["alt"]
            processing.restart(replace, ctx.now, ctx.shop, delay(ctx), code)
            created.append(replace)
            continue
        size = len(source.staged.data) if source.staged is not None and source.staged.data is not None \
            else (source.staged.file_size if source.staged is not None else None)
        f = catalog.add_file(kind=kind, original_source=source.url, filename=name, mime_type=source.mime_type,
                             alt=item.get("alt") or "", now=ctx.now, fail_code=code, original_file_size=size)
        created.append(f)
    return {"files": [file_view(ctx, f) for f in created], "userErrors": []}


def _file_named(catalog: Any, name: str) -> Optional[File]:
    for f in catalog.files.values():
        if f.filename == name:
            return f
    return None


# -- fileUpdate ------------------------------------------------------------
def _ids_message(ids: list[str], singular: str, plural: str) -> str:
    if len(ids) == 1:
        return singular.format(json.dumps(ids, separators=(", ", ": ")))
    return plural.format(json.dumps(ids, separators=(", ", ": ")))


@mutation("fileUpdate")
def file_update(ctx: Any, info: Any, files: list[dict[str, Any]]) -> dict[str, Any]:
    catalog = ctx.catalog
    d = delay(ctx)
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

    # Whole-batch checks: every id exists, every file is READY.
    targets: list[File] = []
    missing: list[str] = []
    for item in files:
        f = catalog.file_by_gid(item["id"])
        if f is None:
            missing.append(item["id"])
        else:
            targets.append(f)
    if missing:
        message = _ids_message(missing, "File id {} does not exist.", "File ids {} do not exist.")
        return {"files": [], "userErrors": [user_error(["files"], message, "FILE_DOES_NOT_EXIST")]}
    if any(processing.status(f, ctx.now, d) != processing.READY or not processing.is_processed(f, ctx.now, d)
           for f in targets):
        return {"files": [], "userErrors": [user_error(["files"], NON_READY_UPDATE, "NON_READY_STATE")]}
    batch_errors: list[dict[str, Any]] = []
    for item, f in zip(files, targets):
        filename = item.get("filename")
        if filename is not None and f.kind not in (MEDIA_IMAGE, GENERIC_FILE):
            batch_errors.append(user_error(["files"], "Updating the filename is only supported on images and "
                                           "generic files", "UNSUPPORTED_MEDIA_TYPE_FOR_FILENAME_UPDATE"))
        elif filename is not None and raw_extension_of(filename) != raw_extension_of(f.filename):
            batch_errors.append(user_error(["files"], "The filename extension provided must match the original "
                                           "filename.", "INVALID_FILENAME_EXTENSION"))
        for ref in (item.get("referencesToAdd") or []) + (item.get("referencesToRemove") or []):
            parsed = parse_gid(ref)
            if parsed is None or parsed[0] != "Product":
                batch_errors.append(user_error(["files"], f"The reference {ref} is not supported. Only product "
                                               "references are supported.", "UNSUPPORTED_FILE_REFERENCE"))
            elif catalog.product_by_gid(ref) is None:
                batch_errors.append(user_error(["files"], f"Reference target {ref} does not exist.",
                                               "REFERENCE_TARGET_DOES_NOT_EXIST"))
    if batch_errors:
        # One error per kind of problem, however many files have it (captured).
        unique = list({(tuple(e["field"]), e["code"], e["message"]): e for e in batch_errors}.values())
        return {"files": [], "userErrors": unique}

    # Row checks: a bad row is reported and skipped, the others apply.
    errors: list[dict[str, Any]] = []
    updated: list[File] = []
    for i, (item, f) in enumerate(zip(files, targets)):
        row: list[dict[str, Any]] = []
        alt = item.get("alt")
        if alt is not None and len(alt) > MAX_ALT_LENGTH:
            row.append(user_error(["files", i, "alt"], ALT_TOO_LONG, "ALT_VALUE_LIMIT_EXCEEDED"))
        new_source = item.get("originalSource")
        preview_source = item.get("previewImageSource")
        source = None
        if new_source is not None and preview_source is not None:
            message = ("Cannot update the preview image and image at the same time because they are one "
                       "and the same.")
            row.append(user_error(["files", i, "previewImageSource"], message, "INVALID"))
            row.append(user_error(["files", i, "originalSource"], message, "INVALID"))
        elif new_source is not None:
            if f.kind not in (MEDIA_IMAGE, GENERIC_FILE):
                row.append(user_error(["files", i, "originalSource"],
                                      "The originalSource can only be updated for images and generic files.",
                                      "INVALID"))
            else:
                source = read_source(ctx, new_source)
                if source is None:
                    # For an image Shopify reports a bad originalSource at
                    # previewImageSource: for images the two are one (captured).
                    where = "previewImageSource" if f.kind == MEDIA_IMAGE else "originalSource"
                    row.append(user_error(["files", i, where], "Invalid image source url value provided",
                                          "INVALID_IMAGE_SOURCE_URL"))
        elif preview_source is not None:
            source = read_source(ctx, preview_source)
            if source is None:
                row.append(user_error(["files", i, "previewImageSource"], "Invalid image source url value provided",
                                      "INVALID_IMAGE_SOURCE_URL"))
            elif f.kind == MEDIA_IMAGE:
                new_source = preview_source  # an image's preview is the image: reprocess it
            else:
                source = None  # other kinds keep their own preview; accepted, not modelled
        adds = [catalog.product_by_gid(r) for r in item.get("referencesToAdd") or []]
        if adds and f.kind not in MEDIA_KINDS:
            row.append(user_error(["files", i, "referencesToAdd"],
                                  "Only media (images, videos, 3D models) can be added to products.", "INVALID"))
        for product in adds:
            if product is not None and f.id not in product.media_ids and not room_in_gallery(product, 1):
                row.append(user_error(["files", i, "referencesToAdd"], MEDIA_LIMIT_MESSAGE,
                                      "PRODUCT_MEDIA_LIMIT_EXCEEDED"))
                break
        if row:
            errors.extend(row)
            continue
        if alt is not None:
            f.alt = alt
        if item.get("filename") is not None:
            f.filename = item["filename"]
        if source is not None:
            f.original_source = source.url
            code = fail_code_for(ctx, f.kind, source.url, f.filename, source.staged)
            processing.restart(f, ctx.now, ctx.shop, d, code)
        for product in adds:
            catalog.attach(f, product)
            product.updated_at = ctx.now
        for ref in item.get("referencesToRemove") or []:
            product = catalog.product_by_gid(ref)
            catalog.detach(f, product)
            product.updated_at = ctx.now
        f.updated_at = ctx.now
        updated.append(f)
    return {"files": [file_view(ctx, f) for f in updated], "userErrors": errors}


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
