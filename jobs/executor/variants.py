"""Step 5, variant images (with `variant_images`): a variant holds one media,
so its old one is detached (`productVariantDetachMedia`) before the new one
is appended (`productVariantAppendMedia`), 100 pairs per product per call and
several products per request under aliases."""
from __future__ import annotations

from typing import Any

from shopify_app.admin_api import queries

from . import aliases
from .ordering import ALIASES_PER_REQUEST, MUTATION_COST
from .record import ProductWork, Work

MAX_VARIANT_PAIRS = 100           # productVariantAppendMedia / DetachMedia per product
Call = tuple[ProductWork, list[dict[str, Any]]]


def set_variant_images(work: Work) -> None:
    detach: list[Call] = []
    append: list[Call] = []
    for product in work.active():
        if not product.plan.variant_images:
            continue
        unpairs, pairs = variant_pairs(product)
        detach += [(product, unpairs[i:i + MAX_VARIANT_PAIRS]) for i in range(0, len(unpairs), MAX_VARIANT_PAIRS)]
        append += [(product, pairs[i:i + MAX_VARIANT_PAIRS]) for i in range(0, len(pairs), MAX_VARIANT_PAIRS)]
    for template, calls, name in ((queries.PRODUCT_VARIANT_DETACH_MEDIA, detach, "productVariantDetachMedia"),
                                  (queries.PRODUCT_VARIANT_APPEND_MEDIA, append, "productVariantAppendMedia")):
        allowed = set(map(id, work.writers(p for p, _ in calls)))
        calls = [(p, pairs) for p, pairs in calls if id(p) in allowed]
        for start in range(0, len(calls), ALIASES_PER_REQUEST):
            send_variant_media(work, template, calls[start:start + ALIASES_PER_REQUEST], name)


def variant_pairs(product: ProductWork) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(detach, append) inputs that give each variant its planned image."""
    on_product = set(product.gallery)
    pairs: list[dict[str, Any]] = []
    unpairs: list[dict[str, Any]] = []
    for image in product.plan.variant_images:
        media_id = product.new_media.get(image.key) or image.media_id
        if media_id is None or media_id not in on_product:
            product.errors.append(f"variant image for {image.variant_id}: {image.public_id} is not on the "
                                  f"product ({product.failed.get(image.key, 'not linked')})")
            continue
        current = product.state.variant_media.get(image.variant_id)
        if current in product.removed:
            current = None  # removing media from a product clears it from its variants
        if current == media_id:
            continue
        if current is not None:
            unpairs.append({"variantId": image.variant_id, "mediaIds": [current]})
        pairs.append({"variantId": image.variant_id, "mediaIds": [media_id]})
    return unpairs, pairs


def send_variant_media(work: Work, template: str, chunk: list[Call], name: str) -> None:
    """One aliased request of a variant-media mutation for these products; a
    product's userErrors become its errors (the executor's and undo's step)."""
    document = aliases.aliased_document(template, len(chunk))
    variables = aliases.aliased_variables([{"productId": p.product_id, "variantMedia": pairs} for p, pairs in chunk])
    data = work.aliased(document, variables, MUTATION_COST * len(chunk), [p for p, _ in chunk], name)
    for (product, _), payload in zip(chunk, aliases.aliased_results(data, len(chunk))):
        errors = (payload or {}).get("userErrors") or []
        if errors:
            product.errors.append(f"{name}: " + "; ".join(e.get("message") or "" for e in errors))
        elif payload is not None:
            product.wrote = True
