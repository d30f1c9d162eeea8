"""Product galleries: adding media (`productUpdate(media:)`,
`productCreateMedia`), `productReorderMedia`, and variant media."""
from __future__ import annotations

import uuid
from typing import Any

from .. import limits, processing
from ..catalog import EXTERNAL_VIDEO, MEDIA_IMAGE, MODEL_3D, VIDEO, Job, Product, gid
from . import mutation
from .common import user_error
from .files import MAX_ALT_LENGTH, MAX_PRODUCT_MEDIA, MEDIA_LIMIT_MESSAGE, begin_processing, delay
from .sources import default_filename, is_external_video_url, read_source
from .views import file_view, product_view, variant_view

MEDIA_CONTENT_KINDS = {"IMAGE": MEDIA_IMAGE, "VIDEO": VIDEO, "EXTERNAL_VIDEO": EXTERNAL_VIDEO, "MODEL_3D": MODEL_3D}
SOURCE_INVALID = {"IMAGE": "Image URL is invalid", "VIDEO": "Video URL is invalid",
                  "EXTERNAL_VIDEO": "External video URL is invalid", "MODEL_3D": "3D model URL is invalid"}


def create_media_inputs(ctx: Any, product: Product, inputs: list[dict[str, Any]], *, field: str,
                        dry_run: bool) -> tuple[list, list[dict[str, Any]]]:
    """Check (dry_run) or create `CreateMediaInput`s appended to a gallery.
    Returns (created files, MediaUserError-shaped errors with indexed fields)."""
    errors: list[dict[str, Any]] = []
    plans = []
    for i, item in enumerate(inputs):
        content = item["mediaContentType"]
        kind = MEDIA_CONTENT_KINDS[content]
        url = item["originalSource"]
        alt = item.get("alt")
        if alt is not None and len(alt) > MAX_ALT_LENGTH:
            errors.append(user_error([field, i, "alt"], "The alt value exceeds the maximum limit of 512 characters.",
                                     "INVALID"))
            continue
        source = read_source(ctx, url)
        invalid = source is None
        if not invalid and kind in (VIDEO, MODEL_3D) and not source.uploaded:
            invalid = True  # videos and 3D models only from staged uploads
        if not invalid and kind == EXTERNAL_VIDEO and not is_external_video_url(url):
            invalid = True
        if invalid:
            errors.append(user_error([field, i, "originalSource"], SOURCE_INVALID[content], "INVALID"))
            continue
        plans.append((kind, source, alt))
    if not errors and len(product.media_ids) + len(plans) > MAX_PRODUCT_MEDIA:
        errors.append(user_error([field], MEDIA_LIMIT_MESSAGE, "PRODUCT_MEDIA_LIMIT_EXCEEDED"))
    if dry_run or errors:
        return [], errors
    created = []
    for kind, source, alt in plans:
        name = default_filename(source, kind)
        f = ctx.catalog.add_file(kind=kind, original_source=source.url, filename=name, mime_type=source.mime_type,
                                 alt=alt or "", now=ctx.now)
        begin_processing(ctx, f, source)
        ctx.catalog.attach(f, product)
        created.append(f)
    product.updated_at = ctx.now
    return created, errors


@mutation("productCreateMedia")
def product_create_media(ctx: Any, info: Any, productId: str, media: list[dict[str, Any]]) -> dict[str, Any]:
    """Deprecated but still served: partial success, valid items are created."""
    product = ctx.catalog.product_by_gid(productId)
    if product is None:
        err = user_error(["productId"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")
        return {"media": None, "product": None, "mediaUserErrors": [err],
                "userErrors": [{"field": err["field"], "message": err["message"]}]}
    errors = []
    created = []
    for i, item in enumerate(media):
        _, item_errors = create_media_inputs(ctx, product, [item], field="media", dry_run=True)
        if item_errors:
            for e in item_errors:
                if e["field"] and len(e["field"]) > 1:
                    e["field"][1] = str(i)
            errors.extend(item_errors)
            continue
        made, _ = create_media_inputs(ctx, product, [item], field="media", dry_run=False)
        created.extend(made)
    return {"media": [file_view(ctx, f) for f in created], "product": product_view(ctx, product),
            "mediaUserErrors": errors,
            "userErrors": [{"field": e["field"], "message": e["message"]} for e in errors]}


# -- reorder ---------------------------------------------------------------
def apply_moves(order: list[int], moves: list[tuple[int, int]]) -> list[int]:
    """Shopify's MoveInput semantics: moves apply one after another, each
    `newPosition` is zero-based in the list as the previous moves left it,
    a position past the end means last, and ids not in the list are skipped."""
    result = list(order)
    for item, position in moves:
        if item not in result:
            continue
        result.remove(item)
        result.insert(min(max(position, 0), len(result)), item)
    return result


@mutation("productReorderMedia")
def product_reorder_media(ctx: Any, info: Any, id: str, moves: list[dict[str, Any]]) -> dict[str, Any]:
    catalog = ctx.catalog
    product = catalog.product_by_gid(id)
    if product is None:
        err = user_error(["id"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")
        return {"job": None, "mediaUserErrors": [err], "userErrors": [{"field": ["id"], "message": err["message"]}]}
    parsed_moves: list[tuple[int, int]] = []
    for i, move in enumerate(moves):
        try:
            position = int(move["newPosition"])
        except (TypeError, ValueError):
            err = user_error(["moves", i, "newPosition"], "New position is invalid", "INVALID")
            return {"job": None, "mediaUserErrors": [err],
                    "userErrors": [{"field": err["field"], "message": err["message"]}]}
        f = catalog.file_by_gid(move["id"])
        # Unknown media ids are not checked synchronously (observed); they
        # simply do not move anything.
        parsed_moves.append((f.id if f is not None else -1, position))
    product_id = product.id
    job_id = str(uuid.uuid4())

    def apply() -> None:
        p = catalog.products.get(product_id)
        if p is not None:
            p.media_ids = apply_moves(p.media_ids, parsed_moves)
            p.updated_at = max(p.updated_at, job.done_at)

    job = Job(id=job_id, created_at=ctx.now, done_at=ctx.now + float(ctx.config.get("SIM_JOB_DELAY", 0.3)),
              apply=apply)
    catalog.jobs[job_id] = job
    return {"job": {"__typename": "Job", "id": job.gid, "done": False, "query": None},
            "mediaUserErrors": [], "userErrors": []}


# -- variant media ---------------------------------------------------------
MAX_VARIANT_MEDIA_PAIRS = limits.variant_media_pairs()


def _variant_media_errors(ctx: Any, product: Product, pairs: list[dict[str, Any]], attaching: bool) -> list:
    catalog = ctx.catalog
    d = delay(ctx)
    errors = []
    if len(pairs) > MAX_VARIANT_MEDIA_PAIRS:
        return [user_error(["variantMedia"], "Exceeded 100 variant-media pairs per mutation.",
                           "MAXIMUM_VARIANT_MEDIA_PAIRS_EXCEEDED")]
    # Captured (product-variant-media-validation): a variant named twice is
    # one error at its first input, and nothing else is checked.
    firsts: dict[str, int] = {}
    repeated: list[int] = []
    for i, pair in enumerate(pairs):
        if pair["variantId"] in firsts and firsts[pair["variantId"]] not in repeated:
            repeated.append(firsts[pair["variantId"]])
        firsts.setdefault(pair["variantId"], i)
    if repeated:
        return [user_error(["variantMedia", i, "variantId"], "Variant was specified in more than one media input.",
                           "PRODUCT_VARIANT_SPECIFIED_MULTIPLE_TIMES") for i in repeated]
    for i, pair in enumerate(pairs):
        variant = catalog.variant_by_gid(pair["variantId"])
        if variant is None or variant.product_id != product.id:
            errors.append(user_error(["variantMedia", i, "variantId"], "Variant does not exist on the specified "
                                     "product.", "PRODUCT_VARIANT_DOES_NOT_EXIST_ON_PRODUCT"))
            continue
        ids = pair["mediaIds"]
        if not ids:
            errors.append(user_error(["variantMedia", i, "mediaIds"], "The mediaIds list cannot be empty.", "BLANK"))
            continue
        if len(ids) > 1:
            errors.append(user_error(["variantMedia", i, "mediaIds"], "Only one mediaId is allowed per media input.",
                                     "TOO_MANY_MEDIA_PER_INPUT_PAIR"))
            continue
        f = catalog.file_by_gid(ids[0])
        if f is None or f.id not in product.media_ids:
            errors.append(user_error(["variantMedia", i, "mediaIds"], "Media does not exist on the specified "
                                     "product.", "MEDIA_DOES_NOT_EXIST_ON_PRODUCT"))
            continue
        if attaching:
            if f.kind != MEDIA_IMAGE:
                errors.append(user_error(["variantMedia", i, "mediaIds"], "Non-image media cannot be attached to "
                                         "variants.", "INVALID_MEDIA_TYPE"))
            elif processing.status(f, ctx.now, d) != processing.READY:
                errors.append(user_error(["variantMedia", i, "mediaIds"], "Non-ready media cannot be attached to "
                                         "variants.", "NON_READY_MEDIA"))
            elif variant.media_id is not None and variant.media_id != f.id:
                errors.append(user_error(["variantMedia", i, "variantId"], "The given variant already has "
                                         "attached media.", "PRODUCT_VARIANT_ALREADY_HAS_MEDIA"))
        elif variant.media_id != f.id:
            errors.append(user_error(["variantMedia", i, "variantId"], "The specified media is not attached to "
                                     "the specified variant.", "MEDIA_IS_NOT_ATTACHED_TO_VARIANT"))
    return errors


def _variant_media(ctx: Any, productId: str, variantMedia: list[dict[str, Any]], attaching: bool) -> dict:
    catalog = ctx.catalog
    product = catalog.product_by_gid(productId)
    if product is None:
        return {"product": None, "productVariants": None, "userErrors": [
            user_error(["productId"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")]}
    errors = _variant_media_errors(ctx, product, variantMedia, attaching)
    if errors:
        return {"product": None, "productVariants": None, "userErrors": errors}
    variants = []
    for pair in variantMedia:
        variant = catalog.variant_by_gid(pair["variantId"])
        f = catalog.file_by_gid(pair["mediaIds"][0])
        variant.media_id = f.id if attaching else None
        variant.updated_at = ctx.now
        variants.append(variant)
    return {"product": product_view(ctx, product), "productVariants": [variant_view(ctx, v) for v in variants],
            "userErrors": []}


@mutation("productVariantAppendMedia")
def product_variant_append_media(ctx: Any, info: Any, productId: str,
                                 variantMedia: list[dict[str, Any]]) -> dict[str, Any]:
    return _variant_media(ctx, productId, variantMedia, attaching=True)


@mutation("productVariantDetachMedia")
def product_variant_detach_media(ctx: Any, info: Any, productId: str,
                                 variantMedia: list[dict[str, Any]]) -> dict[str, Any]:
    return _variant_media(ctx, productId, variantMedia, attaching=False)



# -- deprecated per-product media mutations (still served in 2026-10) ----------
def _missing_media_error(field: str, missing: list[str]) -> dict[str, Any]:
    message = (f"Media id {missing[0]} does not exist" if len(missing) == 1
               else f"Media ids {','.join(missing)} do not exist")
    return user_error([field], message, "MEDIA_DOES_NOT_EXIST")


def _mirrored(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The deprecated `userErrors` repeat `mediaUserErrors` without codes."""
    return [{"field": e["field"], "message": e["message"]} for e in errors]


@mutation("productUpdateMedia")
def product_update_media(ctx: Any, info: Any, productId: str, media: list[dict[str, Any]]) -> dict[str, Any]:
    """All-or-nothing: one unknown or non-ready media item rejects the batch."""
    catalog = ctx.catalog
    product = catalog.product_by_gid(productId)
    if product is None:
        errors = [user_error(["productId"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")]
        return {"media": None, "product": None, "mediaUserErrors": errors, "userErrors": _mirrored(errors)}
    files = [catalog.file_by_gid(item["id"]) for item in media]
    missing = [item["id"] for item, f in zip(media, files) if f is None or f.id not in product.media_ids]
    errors: list[dict[str, Any]] = []
    if missing:
        errors = [_missing_media_error("media", missing)]
    elif any(processing.status(f, ctx.now, delay(ctx)) != processing.READY for f in files):
        errors = [user_error(["media"], "Non-ready media cannot be updated.", "NON_READY_MEDIA")]
    else:
        for i, item in enumerate(media):
            if item.get("alt") is not None and len(item["alt"]) > MAX_ALT_LENGTH:
                errors.append(user_error(["media", i, "alt"], "The alt value exceeds the maximum limit of 512 "
                                         "characters.", "INVALID"))
    if errors:
        return {"media": None, "product": product_view(ctx, product), "mediaUserErrors": errors,
                "userErrors": _mirrored(errors)}
    for item, f in zip(media, files):
        if item.get("alt") is not None:
            f.alt = item["alt"]
            f.updated_at = ctx.now
    product.updated_at = ctx.now
    return {"media": [file_view(ctx, f) for f in files], "product": product_view(ctx, product),
            "mediaUserErrors": [], "userErrors": []}


@mutation("productDeleteMedia")
def product_delete_media(ctx: Any, info: Any, productId: str, mediaIds: list[str]) -> dict[str, Any]:
    """All-or-nothing; the deleted media leave the Files library too (a
    product's media item is the file)."""
    catalog = ctx.catalog
    product = catalog.product_by_gid(productId)
    if product is None:
        errors = [user_error(["productId"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")]
        return {"deletedMediaIds": None, "deletedProductImageIds": None, "product": None,
                "mediaUserErrors": errors, "userErrors": _mirrored(errors)}
    files = [catalog.file_by_gid(value) for value in mediaIds]
    missing = [value for value, f in zip(mediaIds, files) if f is None or f.id not in product.media_ids]
    if missing:
        errors = [_missing_media_error("mediaIds", missing)]
        return {"deletedMediaIds": None, "deletedProductImageIds": None, "product": product_view(ctx, product),
                "mediaUserErrors": errors, "userErrors": _mirrored(errors)}
    deleted, images = [], []
    for f in files:
        if f.id in catalog.files:
            deleted.append(f.gid)
            if f.kind == MEDIA_IMAGE:
                images.append(gid("ProductImage", catalog.product_image_id(f, product.id)))
            catalog.delete_file(f)
    product.updated_at = ctx.now
    return {"deletedMediaIds": deleted, "deletedProductImageIds": images, "product": product_view(ctx, product),
            "mediaUserErrors": [], "userErrors": []}
