"""Metafield owners beyond products and variants: collections, and the other
resources the 2026-10 schema's `MetafieldOwnerType` names (Location, Page,
Article, Blog, Market, Customer, Order, DraftOrder, Company,
CompanyLocation), so `metafieldsSet`, `metafield(s)` and `node` work on any
owner the way they do on a product.

Collections are modelled: `collectionCreate(input:)` (title, handle,
descriptionHtml, sortOrder, ruleSet, products, metafields), `collection(id:)`,
`collectionByIdentifier`, `collections`, and the products of an automated
collection follow its rules for the columns evaluated here (TAG, TITLE,
TYPE, VENDOR, VARIANT_TITLE and the product metafield definition column;
relations EQUALS, NOT_EQUALS, STARTS_WITH, ENDS_WITH, CONTAINS,
NOT_CONTAINS; `appliedDisjunctively` OR-s them, as the schema describes).
A rule on a metafield definition names it by `conditionObjectId`; such a
definition then cannot be deleted (captured: METAFIELD_DEFINITION_IN_USE,
"Cannot proceed with this action. This definition is used in one or more
automated collections.").

The other owner types are kept as what a store was seen with (their id and
scalar fields): the simulator does not create them, and reads of fields it
never saw answer "not implemented".
"""
from __future__ import annotations

import re
from typing import Any, Callable, Optional

from ..catalog import Collection, OwnerRecord, Product, fold_key, iso, parse_gid, slugify
from .. import search, search_filters
from . import mutation, query
from .common import connection, count, cursor_value, not_implemented, user_error
from .views import metafield_fields, product_view

OTHER_OWNER_KINDS = ("Location", "Page", "Article", "Blog", "Market", "Customer", "Order", "DraftOrder", "Company",
                     "CompanyLocation")
METAFIELD_COLUMNS = ("PRODUCT_METAFIELD_DEFINITION", "VARIANT_METAFIELD_DEFINITION")


# -- other owners ---------------------------------------------------------------
def owner_view(ctx: Any, record: OwnerRecord) -> dict[str, Any]:
    view: dict[str, Any] = {"__typename": record.kind, "id": record.gid, "legacyResourceId": str(record.id)}
    view.update(record.fields)
    view.update(metafield_fields(ctx, record.gid))
    return view


def _root(kind: str) -> Callable[..., Any]:
    def resolve(ctx: Any, info: Any, id: str) -> Optional[dict[str, Any]]:
        return node(ctx, id) if (parse_gid(id) or ("",))[0] == kind else None
    return resolve


for _kind in OTHER_OWNER_KINDS:
    query(_kind[0].lower() + _kind[1:])(_root(_kind))


# -- collections ------------------------------------------------------------------
def _rule_view(ctx: Any, rule: dict[str, Any]) -> dict[str, Any]:
    condition_object = None
    if rule["column"] in METAFIELD_COLUMNS:
        from .metafields import definition_view
        definition = _definition(ctx, rule.get("condition_object_id"))
        condition_object = {"__typename": "CollectionRuleMetafieldCondition",
                            "metafieldDefinition": definition_view(ctx, definition) if definition else None}
    return {"__typename": "CollectionRule", "column": rule["column"], "relation": rule["relation"],
            "condition": rule["condition"], "conditionObject": condition_object}


def _definition(ctx: Any, value: Optional[str]) -> Any:
    parsed = parse_gid(value)
    if parsed is None or parsed[0] != "MetafieldDefinition" or not parsed[1].isdigit():
        return None
    return next((d for d in ctx.catalog.metafield_definitions if d.id == int(parsed[1])), None)


def _text_matches(relation: str, have: str, want: str) -> bool:
    have, want = have.casefold(), want.casefold()
    tests = {"EQUALS": have == want, "NOT_EQUALS": have != want, "STARTS_WITH": have.startswith(want),
             "ENDS_WITH": have.endswith(want), "CONTAINS": want in have, "NOT_CONTAINS": want not in have}
    if relation not in tests:
        raise not_implemented("CollectionRule", f"relation {relation}")
    return tests[relation]


def _rule_values(ctx: Any, product: Product, rule: dict[str, Any]) -> list[str]:
    column = rule["column"]
    catalog = ctx.catalog
    if column == "TAG":
        return list(product.tags)
    if column in ("TITLE", "TYPE", "VENDOR"):
        return [{"TITLE": product.title, "TYPE": product.product_type, "VENDOR": product.vendor}[column]]
    if column == "VARIANT_TITLE":
        return [v.title for v in catalog.product_variants(product)]
    if column == "PRODUCT_METAFIELD_DEFINITION":
        definition = _definition(ctx, rule.get("condition_object_id"))
        mf = catalog.metafields.get(product.gid, {}).get((definition.namespace, definition.key)) if definition else None
        return [mf.value] if mf is not None else []
    raise not_implemented("CollectionRule", f"column {column}")


def _rule_matches(ctx: Any, product: Product, rule: dict[str, Any]) -> bool:
    values = _rule_values(ctx, product, rule)
    if rule["relation"] in ("NOT_EQUALS", "NOT_CONTAINS"):
        return all(_text_matches(rule["relation"], v, rule["condition"]) for v in values)
    return any(_text_matches(rule["relation"], v, rule["condition"]) for v in values)


def in_collection(ctx: Any, c: Collection, product: Product) -> bool:
    """Whether a collection includes a product (listed, or matching its rules)."""
    if c.rules is None:
        return product.id in c.product_ids
    combine = any if c.applied_disjunctively else all
    return combine(_rule_matches(ctx, product, rule) for rule in c.rules)


def collection_products(ctx: Any, c: Collection) -> list[Product]:
    catalog = ctx.catalog
    if c.rules is None:
        return [catalog.products[p] for p in c.product_ids if p in catalog.products]
    combine = any if c.applied_disjunctively else all
    return [p for p in catalog.in_id_order(catalog.products)
            if combine(_rule_matches(ctx, p, rule) for rule in c.rules)]


def collection_view(ctx: Any, c: Collection) -> dict[str, Any]:
    def products(info: Any, **args: Any) -> dict[str, Any]:
        return connection(collection_products(ctx, c), args, key=lambda p: p.id, node=lambda p: product_view(ctx, p))

    view: dict[str, Any] = {
        "__typename": "Collection", "id": c.gid, "legacyResourceId": str(c.id), "title": c.title,
        "handle": c.handle, "descriptionHtml": c.description_html,
        "description": lambda info, truncateAt=None: re.sub(r"<[^>]+>", "", c.description_html)[:truncateAt],
        "sortOrder": c.sort_order, "updatedAt": iso(c.updated_at),
        "ruleSet": None if c.rules is None else {
            "__typename": "CollectionRuleSet", "appliedDisjunctively": c.applied_disjunctively,
            "rules": [_rule_view(ctx, r) for r in c.rules]},
        "products": products,
        "productsCount": lambda info, **args: count(len(collection_products(ctx, c))),
        "hasProduct": lambda info, id: any(p.gid == id for p in collection_products(ctx, c)),
    }
    view.update(metafield_fields(ctx, c.gid))
    return view


def node(ctx: Any, value: str) -> Optional[dict[str, Any]]:
    parsed = parse_gid(value)
    if parsed is None or not parsed[1].isdigit():
        return None
    if parsed[0] == "Collection":
        c = ctx.catalog.collections.get(int(parsed[1]))
        return collection_view(ctx, c) if c else None
    record = ctx.catalog.owners.get(value)
    return owner_view(ctx, record) if record is not None else None


@query("collection")
def resolve_collection(ctx: Any, info: Any, id: str) -> Optional[dict[str, Any]]:
    return node(ctx, id) if (parse_gid(id) or ("",))[0] == "Collection" else None


@query("collectionByIdentifier")
def resolve_collection_by_identifier(ctx: Any, info: Any, identifier: dict[str, Any]) -> Optional[dict[str, Any]]:
    if identifier.get("id"):
        return resolve_collection(ctx, info, identifier["id"])
    if identifier.get("handle"):
        wanted = fold_key(identifier["handle"])
        c = next((c for c in ctx.catalog.collections.values() if fold_key(c.handle) == wanted), None)
        return collection_view(ctx, c) if c else None
    raise not_implemented("CollectionIdentifierInput", "customId")


def _collection_fields(ctx: Any) -> dict[str, search.Field]:
    """The filters of the schema's `collections(query:)` table the simulator
    models (publication filters match every collection, as an ignored filter does)."""
    return {
        "collection_type": search.Field(search.KEYWORD, lambda c: ["custom" if c.rules is None else "smart"]),
        "handle": search.Field(search.KEYWORD, lambda c: [c.handle]),
        "id": search.Field(search.NUMBER, lambda c: [c.id]),
        "product_id": search.Field(search.NUMBER, lambda c: [p.id for p in collection_products(ctx, c)]),
        "title": search.Field(search.TEXT, lambda c: [c.title]),
        "updated_at": search.Field(search.TIME, lambda c: [c.updated_at]),
    }


COLLECTION_SORTS: dict[str, tuple[Callable[[Collection], Any], bool]] = {
    "ID": (lambda c: c.id, False), "RELEVANCE": (lambda c: c.id, False), "TITLE": (lambda c: c.title, False),
    "UPDATED_AT": (lambda c: c.updated_at, True)}
COLLECTION_COLUMNS = ("id", "handle", "collection_type")


@query("collections")
def resolve_collections(ctx: Any, info: Any, **args: Any) -> dict[str, Any]:
    if args.get("savedSearchId"):
        raise not_implemented("QueryRoot", "collections(savedSearchId)")
    expr = search_filters.prepare(ctx, info, "QueryRoot", "collections", args.get("query"))
    matcher = search.Matcher(_collection_fields(ctx), ("title", "handle"))
    value, moment = COLLECTION_SORTS.get(args.get("sortKey") or "ID", COLLECTION_SORTS["ID"])
    items = sorted((c for c in ctx.catalog.collections.values() if matcher.matches(expr, c)),
                   key=lambda c: (value(c), c.id), reverse=bool(args.get("reverse")))
    indexed = search.needs_index(expr, COLLECTION_COLUMNS)
    return connection(items, args, key=lambda c: c.id, node=lambda c: collection_view(ctx, c),
                      sort_value=lambda c: cursor_value(value(c), indexed=indexed, moment=moment))


def _rules_input(ctx: Any, rule_set: Optional[dict[str, Any]]) -> tuple[Optional[list[dict]], list[dict]]:
    if rule_set is None:
        return None, []
    rules, errors = [], []
    for n, rule in enumerate(rule_set.get("rules") or ()):
        if rule["column"] in METAFIELD_COLUMNS and _definition(ctx, rule.get("conditionObjectId")) is None:
            errors.append(user_error(["ruleSet", "rules", n, "conditionObjectId"],
                                     "Metafield definition does not exist"))
            continue
        rules.append({"column": rule["column"], "relation": rule["relation"], "condition": rule["condition"],
                      "condition_object_id": rule.get("conditionObjectId")})
    return rules, errors


@mutation("collectionCreate")
def collection_create(ctx: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    catalog = ctx.catalog
    title = (input.get("title") or "").strip()
    if not title:
        return {"collection": None, "userErrors": [user_error(["title"], "Title can't be blank")]}
    rules, errors = _rules_input(ctx, input.get("ruleSet"))
    if errors:
        return {"collection": None, "userErrors": errors}
    handles = {fold_key(c.handle) for c in catalog.collections.values()}
    handle = input.get("handle") or slugify(title) or "collection"
    base, n = handle, 1
    while fold_key(handle) in handles:
        n += 1
        handle = f"{base}-{n}"
    c = Collection(id=catalog.next_id(), title=title, handle=handle,
                   description_html=input.get("descriptionHtml") or "",
                   sort_order=input.get("sortOrder") or "BEST_SELLING",
                   applied_disjunctively=bool((input.get("ruleSet") or {}).get("appliedDisjunctively")),
                   rules=rules, created_at=ctx.now, updated_at=ctx.now)
    if rules is None:
        c.product_ids = [p.id for p in (catalog.product_by_gid(g) for g in input.get("products") or ()) if p]
    catalog.collections[c.id] = c
    from .products import owner_metafields_input
    errors = owner_metafields_input(ctx, c.gid, input.get("metafields"))
    if errors:
        del catalog.collections[c.id]
        return {"collection": None, "userErrors": errors}
    return {"collection": collection_view(ctx, c), "userErrors": []}


def definition_in_use(ctx: Any, definition_id: int) -> bool:
    """Whether an automated collection's rule names the definition."""
    return any(rule.get("condition_object_id") == f"gid://shopify/MetafieldDefinition/{definition_id}"
               for c in ctx.catalog.collections.values() for rule in c.rules or ())
