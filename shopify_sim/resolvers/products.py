"""Products and variants: lookup, search, and `productUpdate`."""
from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Optional

from .. import search, search_filters
from ..catalog import Product, Variant, fold_key
from . import mutation, query
from .common import connection, count, cursor_value, user_error
from .media import create_media_inputs
from .views import product_view, variant_view

# -- search fields (the `query` argument's filters, 2026-10 schema docs) -----


def _flag(value: bool) -> list[str]:
    """A boolean filter's value (`gift_card:true`)."""
    return ["true" if value else "false"]


def _product_fields(ctx: Any) -> dict[str, search.Field]:
    """The filters of the schema's `products(query:)` table the simulator
    models. Documented ones it does not model (publication and channel
    status, categories, bundles, delivery profiles, `published_at`) match
    every product, as an ignored filter does."""
    catalog = ctx.catalog

    def variants(p: Product) -> list[Variant]:
        return catalog.product_variants(p)

    def collection_ids(p: Product) -> list[int]:
        from .owners import in_collection
        return [c.id for c in catalog.collections.values() if in_collection(ctx, c, p)]
    return {
        "sku": search.Field(search.KEYWORD, lambda p: [v.sku for v in variants(p)]),
        "barcode": search.Field(search.KEYWORD, lambda p: [v.barcode for v in variants(p)]),
        "handle": search.Field(search.KEYWORD, lambda p: [p.handle]),
        "title": search.Field(search.TEXT, lambda p: [p.title]),
        "vendor": search.Field(search.KEYWORD, lambda p: [p.vendor]),
        "product_type": search.Field(search.KEYWORD, lambda p: [p.product_type]),
        "tag": search.Field(search.KEYWORD, lambda p: p.tags),
        "status": search.Field(search.KEYWORD, lambda p: [p.status]),
        "id": search.Field(search.NUMBER, lambda p: [p.id]),
        "variant_id": search.Field(search.NUMBER, lambda p: p.variant_ids),
        "variant_title": search.Field(search.TEXT, lambda p: [v.title for v in variants(p)]),
        "created_at": search.Field(search.TIME, lambda p: [p.created_at]),
        "updated_at": search.Field(search.TIME, lambda p: [p.updated_at]),
        "collection_id": search.Field(search.NUMBER, collection_ids),
        "price": search.Field(search.DECIMAL, lambda p: [v.price for v in variants(p)]),
        "inventory_total": search.Field(search.NUMBER, lambda p: [sum(v.inventory_quantity for v in variants(p))]),
        "tracks_inventory": search.Field(search.KEYWORD, lambda p: _flag(any(v.tracked for v in variants(p)))),
        "out_of_stock_somewhere": search.Field(search.KEYWORD, lambda p: _flag(any(
            v.tracked and v.inventory_quantity <= 0 for v in variants(p)))),
        "is_price_reduced": search.Field(search.KEYWORD, lambda p: _flag(any(
            v.compare_at_price is not None and _decimal(v.compare_at_price) > _decimal(v.price)
            for v in variants(p)))),
        "has_only_default_variant": search.Field(search.KEYWORD, lambda p: _flag(
            len(variants(p)) == 1 and variants(p)[0].title == "Default Title")),
        "gift_card": search.Field(search.KEYWORD, lambda p: _flag(False)),  # gift cards are not modelled
    }


def _decimal(text: str) -> Any:
    from decimal import Decimal, InvalidOperation
    try:
        return Decimal(text)
    except InvalidOperation:
        return Decimal(0)


def _variant_fields(ctx: Any) -> dict[str, search.Field]:
    """The filters of the schema's `productVariants(query:)` table the
    simulator models (inventory locations, publication and component
    filters match every variant, as an ignored filter does)."""
    catalog = ctx.catalog

    def product(v: Variant) -> Product:
        return catalog.products[v.product_id]

    def collection_ids(v: Variant) -> list[int]:
        from .owners import in_collection
        return [c.id for c in catalog.collections.values() if in_collection(ctx, c, product(v))]
    return {
        "sku": search.Field(search.KEYWORD, lambda v: [v.sku]),
        "barcode": search.Field(search.KEYWORD, lambda v: [v.barcode]),
        "title": search.Field(search.TEXT, lambda v: [v.title]),
        "id": search.Field(search.NUMBER, lambda v: [v.id]),
        "product_id": search.Field(search.NUMBER, lambda v: [v.product_id]),
        "product_ids": search.Field(search.NUMBER, lambda v: [v.product_id]),
        "vendor": search.Field(search.KEYWORD, lambda v: [product(v).vendor]),
        "product_type": search.Field(search.KEYWORD, lambda v: [product(v).product_type]),
        "tag": search.Field(search.KEYWORD, lambda v: product(v).tags),
        "product_status": search.Field(search.KEYWORD, lambda v: [product(v).status]),
        "updated_at": search.Field(search.TIME, lambda v: [v.updated_at]),
        "collection": search.Field(search.NUMBER, collection_ids),
        "inventory_quantity": search.Field(search.NUMBER, lambda v: [v.inventory_quantity]),
        "taxable": search.Field(search.KEYWORD, lambda v: _flag(v.taxable)),
        "managed": search.Field(search.KEYWORD, lambda v: _flag(v.tracked)),
        "gift_card": search.Field(search.KEYWORD, lambda v: _flag(False)),
        # A product made without options has one, "Title" (views.variant_view).
        "option1": search.Field(search.KEYWORD, lambda v: [v.title]),
    }


PRODUCT_DEFAULT_FIELDS = ("title", "sku", "barcode", "vendor", "product_type", "tag", "handle")
VARIANT_DEFAULT_FIELDS = ("sku", "barcode", "title", "vendor", "product_type", "tag")


def _rewrite_tag_not(expr: Optional[search.Expr]) -> Optional[search.Expr]:
    """`tag_not:x` is `NOT tag:x`."""
    if expr is None:
        return None
    if isinstance(expr, search.Term):
        if expr.field == "tag_not":
            return search.Not(search.Term("tag", expr.value, expr.comparator, expr.prefix))
        return expr
    if isinstance(expr, search.Not):
        return search.Not(_rewrite_tag_not(expr.expr))
    return type(expr)(tuple(_rewrite_tag_not(e) for e in expr.items))


# Metafield types Shopify can filter products by
# (https://shopify.dev/docs/apps/build/metafields/query-using-metafields).
FILTERABLE_METAFIELD_TYPES = {
    "single_line_text_field", "boolean", "product_reference", "collection_reference", "page_reference",
    "metaobject_reference", "company_reference", "list.single_line_text_field", "list.product_reference",
    "list.collection_reference", "list.page_reference", "list.metaobject_reference", "list.company_reference",
}
MATCH_ALL: search.Expr = search.And(())


def _metafield_values(catalog: Any, namespace: str, key: str, list_type: bool) -> Any:
    def values(p: Product) -> list[str]:
        mf = catalog.metafields.get(p.gid, {}).get((namespace, key))
        if mf is None:
            return []
        if list_type:
            try:
                items = json.loads(mf.value)
            except ValueError:
                return []
            return [str(v) for v in items] if isinstance(items, list) else []
        return [mf.value]
    return values


def _metafield_filters(catalog: Any, expr: Optional[search.Expr],
                       fields: dict[str, search.Field]) -> Optional[search.Expr]:
    """`metafields.{namespace}.{key}:value` works only for a PRODUCT
    definition with admin filtering enabled and a filterable type, matching
    whole values case-sensitively; otherwise Shopify ignores the filter.
    Registers the usable filters in `fields` and drops the ignored ones."""
    if expr is None:
        return None
    if isinstance(expr, search.Term):
        if not (expr.field or "").startswith("metafields."):
            return expr
        parts = expr.field.split(".")
        if len(parts) != 3:
            return MATCH_ALL
        definition = next((d for d in catalog.metafield_definitions if d.owner_type == "PRODUCT"
                           and d.namespace.lower() == parts[1] and d.key.lower() == parts[2]), None)
        if definition is None or definition.type not in FILTERABLE_METAFIELD_TYPES \
                or not ((definition.capabilities or {}).get("adminFilterable") or {}).get("enabled"):
            return MATCH_ALL
        fields[expr.field] = search.Field(search.EXACT, _metafield_values(
            catalog, definition.namespace, definition.key, definition.type.startswith("list.")))
        return expr
    if isinstance(expr, search.Not):
        inner = _metafield_filters(catalog, expr.expr, fields)
        return MATCH_ALL if inner is MATCH_ALL else search.Not(inner)
    return type(expr)(tuple(_metafield_filters(catalog, e, fields) for e in expr.items))


def _index_lookup(index: dict[str, set[int]], term: search.Term) -> set[int]:
    values = [v.strip() for v in term.value.split(",")] if "," in term.value else [term.value]
    out: set[int] = set()
    for value in values:
        folded = fold_key(value)
        if term.prefix:
            for key, ids in index.items():
                if key.startswith(folded):
                    out |= ids
        else:
            out |= index.get(folded, set())
    return out


def _variant_ids_for(catalog: Any, term: search.Term) -> Optional[set[int]]:
    if term.comparator:
        return None
    if term.field == "sku":
        return _index_lookup(catalog.sku_index, term)
    if term.field == "barcode":
        return _index_lookup(catalog.barcode_index, term)
    return None


def _product_candidates(catalog: Any, expr: Optional[search.Expr]) -> Optional[set[int]]:
    def lookup(term: search.Term) -> Optional[set[int]]:
        variant_ids = _variant_ids_for(catalog, term)
        if variant_ids is not None:
            return {catalog.variants[v].product_id for v in variant_ids if v in catalog.variants}
        if term.field == "handle" and not term.comparator:
            if term.prefix:
                return None
            return {catalog.handle_index[fold_key(h.strip())] for h in term.value.split(",")
                    if fold_key(h.strip()) in catalog.handle_index}
        if term.field == "id" and not term.comparator and not term.prefix:
            try:
                return {int(term.value.rsplit("/", 1)[-1])}
            except ValueError:
                return None
        return None
    return search.candidates(expr, lookup)


def _variant_candidates(catalog: Any, expr: Optional[search.Expr]) -> Optional[set[int]]:
    def lookup(term: search.Term) -> Optional[set[int]]:
        ids = _variant_ids_for(catalog, term)
        if ids is not None:
            return ids
        if term.field == "product_id" and not term.comparator and not term.prefix:
            try:
                p = catalog.products.get(int(term.value.rsplit("/", 1)[-1]))
            except ValueError:
                return None
            return set(p.variant_ids) if p else set()
        return None
    return search.candidates(expr, lookup)


def _indexed_before(ctx: Any) -> Optional[float]:
    """Shopify's search index lags writes (a new product was findable only
    ~12 s later in the captures); SIM_SEARCH_LAG models that: products
    created or updated within the lag are not found by `query:` yet."""
    lag = float(ctx.config.get("SIM_SEARCH_LAG", 0) or 0)
    return ctx.now - lag if lag > 0 else None


def _query(ctx: Any, info: Any, field: str, text: Optional[str]) -> Optional[search.Expr]:
    """A `query:` argument read by Shopify's search rules (search_filters.prepare)."""
    if info is None:
        return search.parse(text)
    return search_filters.prepare(ctx, info, "QueryRoot", field, text)


def search_products(ctx: Any, text: Optional[str], info: Any = None, field: str = "products") -> list[Product]:
    catalog = ctx.catalog
    fields = _product_fields(ctx)
    expr = _metafield_filters(catalog, _rewrite_tag_not(_query(ctx, info, field, text)), fields)
    matcher = search.Matcher(fields, PRODUCT_DEFAULT_FIELDS)
    ids = _product_candidates(catalog, expr)
    if ids is None:
        pool: Iterable[Product] = catalog.in_id_order(catalog.products)
    else:
        pool = [catalog.products[i] for i in sorted(ids) if i in catalog.products]
    if expr is None:
        return pool  # type: ignore[return-value]  (id order, shared: not to be changed)
    cutoff = _indexed_before(ctx)
    return [p for p in pool if (cutoff is None or p.updated_at <= cutoff) and matcher.matches(expr, p)]


def search_variants(ctx: Any, text: Optional[str], info: Any = None, field: str = "productVariants") -> list[Variant]:
    catalog = ctx.catalog
    expr = _rewrite_tag_not(_query(ctx, info, field, text))
    matcher = search.Matcher(_variant_fields(ctx), VARIANT_DEFAULT_FIELDS)
    ids = _variant_candidates(catalog, expr)
    if ids is None:
        pool: Iterable[Variant] = catalog.in_id_order(catalog.variants)
    else:
        pool = [catalog.variants[i] for i in sorted(ids) if i in catalog.variants]
    if expr is None:
        return pool  # type: ignore[return-value]  (id order, shared: not to be changed)
    cutoff = _indexed_before(ctx)
    return [v for v in pool if (cutoff is None or catalog.products[v.product_id].updated_at <= cutoff)
            and matcher.matches(expr, v)]


PRODUCT_SORTS = {
    "TITLE": lambda p: (p.title.casefold(), p.id), "CREATED_AT": lambda p: (p.created_at, p.id),
    "UPDATED_AT": lambda p: (p.updated_at, p.id), "VENDOR": lambda p: (p.vendor.casefold(), p.id),
    "PRODUCT_TYPE": lambda p: (p.product_type.casefold(), p.id),
}
# The sort value a cursor carries per sort key, and whether it is a moment.
PRODUCT_SORT_VALUES: dict[str, tuple[Callable[[Product], Any], bool]] = {
    "ID": (lambda p: p.id, False), "RELEVANCE": (lambda p: p.id, False), "TITLE": (lambda p: p.title, False),
    "VENDOR": (lambda p: p.vendor, False), "PRODUCT_TYPE": (lambda p: p.product_type, False),
    "CREATED_AT": (lambda p: p.created_at, True), "UPDATED_AT": (lambda p: p.updated_at, True),
}
VARIANT_SORT_VALUES: dict[str, tuple[Callable[[Variant], Any], bool]] = {
    "ID": (lambda v: v.id, False), "RELEVANCE": (lambda v: v.id, False), "SKU": (lambda v: v.sku, False),
    "TITLE": (lambda v: v.title, False), "POSITION": (lambda v: v.position, False),
    "CREATED_AT": (lambda v: v.created_at, True), "UPDATED_AT": (lambda v: v.updated_at, True),
}
# Columns of the product and variant tables a query can be answered on from
# the database (search.needs_index).
PRODUCT_COLUMNS = ("id", "handle", "status", "vendor", "product_type")
VARIANT_COLUMNS = ("id", "product_id")


def cursor_values(table: dict[str, tuple[Callable[[Any], Any], bool]], sort_key: Optional[str],
                  query_text: Optional[str], columns: tuple[str, ...]) -> Callable[[Any], Any]:
    """What a cursor carries for this sort key, as the database or the search
    index that answers `query_text` writes it (common.cursor_value)."""
    value, moment = table.get(sort_key or "ID", table["ID"])
    indexed = search.needs_index(search.parse(query_text), columns)
    return lambda item: cursor_value(value(item), indexed=indexed, moment=moment)
VARIANT_SORTS = {
    "SKU": lambda v: (v.sku.casefold(), v.id), "TITLE": lambda v: (v.title.casefold(), v.id),
    "POSITION": lambda v: (v.product_id, v.position, v.id), "CREATED_AT": lambda v: (v.created_at, v.id),
    "UPDATED_AT": lambda v: (v.updated_at, v.id),
}


def _ordered(items: list, sorts: dict, args: dict[str, Any]) -> tuple[list, bool]:
    """Items (from search_*, in id order) in the requested order, and whether
    their ids ascend (cursors are then found by bisection). The id order needs
    no sort; unknown sort keys keep it too."""
    key = sorts.get(args.get("sortKey") or "ID")
    if key is not None:
        items = sorted(items, key=key)
    if args.get("reverse"):
        items = items[::-1]
    return items, key is None and not args.get("reverse")


@query("products")
def resolve_products(ctx: Any, info: Any, **args: Any) -> dict[str, Any]:
    items, by_id = _ordered(search_products(ctx, args.get("query"), info), PRODUCT_SORTS, args)
    return connection(items, args, key=lambda p: p.id, node=lambda p: product_view(ctx, p), keys_sorted=by_id,
                      sort_value=cursor_values(PRODUCT_SORT_VALUES, args.get("sortKey"), args.get("query"),
                                               PRODUCT_COLUMNS))


@query("productVariants")
def resolve_product_variants(ctx: Any, info: Any, **args: Any) -> dict[str, Any]:
    items, by_id = _ordered(search_variants(ctx, args.get("query"), info), VARIANT_SORTS, args)
    return connection(items, args, key=lambda v: v.id, node=lambda v: variant_view(ctx, v), keys_sorted=by_id,
                      sort_value=cursor_values(VARIANT_SORT_VALUES, args.get("sortKey"), args.get("query"),
                                               VARIANT_COLUMNS))


@query("productsCount")
def resolve_products_count(ctx: Any, info: Any, query: Optional[str] = None, limit: Optional[int] = 10000,
                           **_: Any) -> dict[str, Any]:
    return count(len(search_products(ctx, query, info, "productsCount")), limit)


@query("productVariantsCount")
def resolve_product_variants_count(ctx: Any, info: Any, query: Optional[str] = None,
                                   limit: Optional[int] = 10000, **_: Any) -> dict[str, Any]:
    return count(len(search_variants(ctx, query, info, "productVariantsCount")), limit)


@query("product")
def resolve_product(ctx: Any, info: Any, id: str) -> Any:
    p = ctx.catalog.product_by_gid(id)
    return product_view(ctx, p) if p else None


@query("productVariant")
def resolve_product_variant(ctx: Any, info: Any, id: str) -> Any:
    v = ctx.catalog.variant_by_gid(id)
    return variant_view(ctx, v) if v else None


@query("productByIdentifier")
def resolve_product_by_identifier(ctx: Any, info: Any, identifier: dict[str, Any]) -> Any:
    catalog = ctx.catalog
    if identifier.get("id"):
        p = catalog.product_by_gid(identifier["id"])
    elif identifier.get("handle"):
        pid = catalog.handle_index.get(fold_key(identifier["handle"]))
        p = catalog.products.get(pid) if pid else None
    else:
        p = None
    return product_view(ctx, p) if p else None


# -- productUpdate ---------------------------------------------------------
PRODUCT_INPUT_FIELDS = {"title": "title", "vendor": "vendor", "productType": "product_type",
                        "descriptionHtml": "description_html", "status": "status"}


@mutation("productUpdate")
def product_update(ctx: Any, info: Any, product: Optional[dict[str, Any]] = None,
                   media: Optional[list[dict[str, Any]]] = None, input: Optional[dict[str, Any]] = None,
                   identifier: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    catalog = ctx.catalog
    fields = dict(product or input or {})
    target_id = fields.get("id") or (identifier or {}).get("id")
    target = catalog.product_by_gid(target_id) if target_id else None
    if target is None and identifier and identifier.get("handle"):
        pid = catalog.handle_index.get(fold_key(identifier["handle"]))
        target = catalog.products.get(pid) if pid else None
    if target is None:
        return {"product": None, "userErrors": [user_error(["id"], "Product does not exist")]}
    # Validate everything first: an invalid media item rejects the whole update.
    created, errors = create_media_inputs(ctx, target, media or [], field="media", dry_run=True)
    if errors:
        return {"product": product_view(ctx, target), "userErrors": [
            {k: v for k, v in e.items() if k != "code"} for e in errors]}
    for key, attr in PRODUCT_INPUT_FIELDS.items():
        if fields.get(key) is not None:
            setattr(target, attr, fields[key])
    if fields.get("tags") is not None:
        tags = fields["tags"]
        target.tags = [t.strip() for t in (tags.split(",") if isinstance(tags, str) else tags) if t.strip()]
    if fields.get("handle"):
        catalog.handle_index.pop(fold_key(target.handle), None)
        target.handle = catalog.unique_handle(fields["handle"])
        catalog.handle_index[fold_key(target.handle)] = target.id
    errors = owner_metafields_input(ctx, target.gid, fields.get("metafields"))
    if errors:
        return {"product": product_view(ctx, target), "userErrors": errors}
    create_media_inputs(ctx, target, media or [], field="media", dry_run=False)
    target.updated_at = ctx.now
    return {"product": product_view(ctx, target), "userErrors": []}


def owner_metafields_input(ctx: Any, owner_gid: str, inputs: Optional[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """A `metafields: [MetafieldInput]` input of a mutation that creates or
    updates an owner: metafieldsSet's rules with that owner, atomic."""
    if not inputs:
        return []
    from .metafields import set_metafields
    _, errors = set_metafields(ctx, [{**item, "ownerId": owner_gid} for item in inputs])
    return errors



# -- productCreate ---------------------------------------------------------
@mutation("productCreate")
def product_create(ctx: Any, info: Any, product: Optional[dict[str, Any]] = None,
                   media: Optional[list[dict[str, Any]]] = None,
                   input: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """A product with its default variant; an invalid media item creates
    nothing (`product: null`, as captured)."""
    from .views import shop_view
    catalog = ctx.catalog
    fields = dict(product or input or {})
    title = (fields.get("title") or "").strip()
    if not title:
        return {"product": None, "shop": shop_view(ctx),
                "userErrors": [user_error(["title"], "Title can't be blank")]}
    probe = Product(id=0, title=title, handle="")
    _, errors = create_media_inputs(ctx, probe, media or [], field="media", dry_run=True)
    if errors:
        return {"product": None, "shop": shop_view(ctx),
                "userErrors": [{k: v for k, v in e.items() if k != "code"} for e in errors]}
    tags = fields.get("tags") or []
    if isinstance(tags, str):
        tags = tags.split(",")
    created = catalog.add_product(title=title, handle=fields.get("handle") or "", vendor=fields.get("vendor") or "",
                                  product_type=fields.get("productType") or "", tags=[t.strip() for t in tags],
                                  status=fields.get("status") or "ACTIVE", now=ctx.now)
    created.description_html = fields.get("descriptionHtml") or ""
    catalog.add_variant(created, now=ctx.now)
    errors = owner_metafields_input(ctx, created.gid, fields.get("metafields"))
    if errors:
        _discard(catalog, created)
        return {"product": None, "shop": shop_view(ctx), "userErrors": errors}
    create_media_inputs(ctx, created, media or [], field="media", dry_run=False)
    return {"product": product_view(ctx, created), "shop": shop_view(ctx), "userErrors": []}


def _discard(catalog: Any, product: Product) -> None:
    """Undo a product created in a call that then failed."""
    catalog.products.pop(product.id, None)
    catalog.handle_index.pop(fold_key(product.handle), None)
    for vid in product.variant_ids:
        catalog.variants.pop(vid, None)
