"""`productVariantsBulkUpdate`: the variant fields this simulator models.

The 2026-10 schema: "Updates multiple product variants for a single product
in one operation"; `allowPartialUpdates` (default false) — "When partial
updates are not allowed, any error will prevent all variants from
updating". Modelled inputs: `id` (required for an update:
PRODUCT_VARIANT_ID_MISSING), `inventoryItem` (`sku`, `tracked`,
`requiresShipping`), `barcode`, `price` (NEGATIVE_PRICE_VALUE),
`compareAtPrice`, `taxable`, `inventoryPolicy`, `metafields` (metafieldsSet's
rules, the variant as owner). A variant of another product is PRODUCT_VARIANT_DOES_NOT_EXIST, an
unknown product PRODUCT_DOES_NOT_EXIST (codes of
ProductVariantsBulkUpdateUserErrorCode). Inputs the simulator does not model
(inventory, options, media, tax…) are refused with the usual "not
implemented" error rather than silently dropped.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Optional

from ..catalog import Variant, fold_key
from . import mutation
from .common import not_implemented, user_error
from .views import product_view, variant_view

MODELLED = {"id", "inventoryItem", "barcode", "price", "compareAtPrice", "taxable", "inventoryPolicy", "metafields"}
MODELLED_INVENTORY_ITEM = {"sku", "tracked", "requiresShipping"}


def _unmodelled(variants: list[dict[str, Any]]) -> Optional[str]:
    for item in variants:
        extra = set(item) - MODELLED
        extra |= {f"inventoryItem.{k}" for k in set(item.get("inventoryItem") or {}) - MODELLED_INVENTORY_ITEM}
        if extra:
            return sorted(extra)[0]
    return None


def _row_errors(ctx: Any, product_id: int, n: int, item: dict[str, Any]) -> list[dict[str, Any]]:
    if not item.get("id"):
        return [user_error(["variants", n, "id"], "Product variant id is missing.", "PRODUCT_VARIANT_ID_MISSING")]
    variant = ctx.catalog.variant_by_gid(item["id"])
    if variant is None or variant.product_id != product_id:
        return [user_error(["variants", n, "id"], "Product variant does not exist",
                           "PRODUCT_VARIANT_DOES_NOT_EXIST")]
    price = item.get("price")
    if price is not None:
        try:
            negative = Decimal(str(price)) < 0
        except InvalidOperation:
            return [user_error(["variants", n, "price"], "Price is invalid", "INVALID_INPUT")]
        if negative:
            return [user_error(["variants", n, "price"], "Price must be greater than or equal to 0",
                               "NEGATIVE_PRICE_VALUE")]
    return []


def _apply(ctx: Any, variant: Variant, item: dict[str, Any]) -> None:
    catalog = ctx.catalog
    sku = (item.get("inventoryItem") or {}).get("sku")
    if sku is not None or item.get("barcode") is not None:
        for index, old in ((catalog.sku_index, variant.sku), (catalog.barcode_index, variant.barcode)):
            if old:
                index.get(fold_key(old), set()).discard(variant.id)
        if sku is not None:
            variant.sku = sku
        if item.get("barcode") is not None:
            variant.barcode = item["barcode"]
        catalog._index_variant(variant)
    if item.get("price") is not None:
        variant.price = str(item["price"])
    if "compareAtPrice" in item:  # null clears it
        variant.compare_at_price = None if item["compareAtPrice"] is None else str(item["compareAtPrice"])
    for name, attr in (("taxable", "taxable"), ("inventoryPolicy", "inventory_policy")):
        if item.get(name) is not None:
            setattr(variant, attr, item[name])
    for name, attr in (("tracked", "tracked"), ("requiresShipping", "requires_shipping")):
        if (item.get("inventoryItem") or {}).get(name) is not None:
            setattr(variant, attr, item["inventoryItem"][name])
    variant.updated_at = ctx.now


@mutation("productVariantsBulkUpdate")
def product_variants_bulk_update(ctx: Any, info: Any, productId: str, variants: list[dict[str, Any]],
                                 allowPartialUpdates: bool = False, media: Any = None) -> dict[str, Any]:
    from .metafields import set_metafields
    unmodelled = _unmodelled(variants) or ("media" if media else None)
    if unmodelled is not None:
        raise not_implemented("ProductVariantsBulkInput", unmodelled)
    product = ctx.catalog.product_by_gid(productId)
    if product is None:
        return {"product": None, "productVariants": None,
                "userErrors": [user_error(["productId"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")]}
    errors: list[dict[str, Any]] = []
    good: list[tuple[int, dict[str, Any]]] = []
    for n, item in enumerate(variants):
        found = _row_errors(ctx, product.id, n, item)
        errors.extend(found)
        if not found:
            good.append((n, item))
    if errors and not allowPartialUpdates:
        return {"product": product_view(ctx, product), "productVariants": None, "userErrors": errors}
    updated = []
    for n, item in good:
        variant = ctx.catalog.variant_by_gid(item["id"])
        if item.get("metafields"):
            rows = [{**mf, "ownerId": variant.gid} for mf in item["metafields"]]
            _, problems = set_metafields(ctx, rows)
            if problems:
                errors.extend({**e, "field": ["variants", str(n)] + list(e.get("field") or [])[1:]} for e in problems)
                continue
        _apply(ctx, variant, item)
        updated.append(variant)
    product.updated_at = ctx.now
    return {"product": product_view(ctx, product), "productVariants": [variant_view(ctx, v) for v in updated],
            "userErrors": errors}
