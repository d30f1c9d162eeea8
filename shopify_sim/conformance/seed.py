"""Seed a fresh simulator shop with the store state a capture shows.

Captures record Shopify's answers (setup calls, precondition reads, the
recording proxy's hydrate reads of the live store). Every object in them with
a Shopify gid — products, variants, files and media, metafields, metafield
definitions — is recreated in the simulator's catalogue under the same id,
so replayed documents that name those ids find them. Shopify's own
`compareDigest` tokens are kept on seeded metafields.
"""
from __future__ import annotations

import itertools
import re
import mimetypes
import time
from datetime import datetime
from typing import Any, Iterable, Optional

from ..catalog import (EXTERNAL_VIDEO, GENERIC_FILE, MEDIA_IMAGE, MODEL_3D, VIDEO, Catalog, File, Metafield,
                       MetafieldDefinition, Product, Variant, fold_key, parse_gid)

FILE_KINDS = (MEDIA_IMAGE, VIDEO, EXTERNAL_VIDEO, MODEL_3D, GENERIC_FILE)
OWNER_KINDS = ("Product", "ProductVariant", "Shop", "Collection", "Customer", "Order", "Location", "Market",
               "Page", "Article", "Blog", "Company", MEDIA_IMAGE)
LONG_AGO = 10 * 24 * 3600
# Metafield owners the simulator keeps as id and scalar fields (resolvers/owners.py).
# gid type → MetafieldOwnerType (definitions are per owner type).
OWNER_TYPES = {"Product": "PRODUCT", "ProductVariant": "PRODUCTVARIANT", "Shop": "SHOP", "Collection": "COLLECTION",
               "Customer": "CUSTOMER", "Order": "ORDER", "Location": "LOCATION", "Market": "MARKET", "Page": "PAGE",
               "Article": "ARTICLE", "Blog": "BLOG", "Company": "COMPANY", "MediaImage": "MEDIA_IMAGE"}
OTHER_OWNERS = ("Location", "Page", "Article", "Blog", "Market", "Customer", "Order", "DraftOrder", "Company",
                "CompanyLocation")


def epoch(value: Any, default: float) -> float:
    if not isinstance(value, str):
        return default
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return default


class Seeder:
    def __init__(self, catalog: Catalog, now: Optional[float] = None, shop_gid: Optional[str] = None,
                 client_id: str = "") -> None:
        self.catalog = catalog
        self.now = time.time() if now is None else now
        self.shop_gid = shop_gid
        # The app the recording ran as: bulk operations belong to an app.
        self.client_id = client_id
        self.captured_shop_gids: set[str] = set()
        self.max_id = 0
        self.seeded: set[str] = set()
        self.skipped: list[str] = []
        self.deleted: set[str] = set()
        self.created: set[str] = set()
        self.variant_fields: set[tuple[int, str]] = set()
        self.written: set[str] = set()
        # metafield gid → owner gid, from metafieldsSet answers and their inputs.
        self.set_owners: dict[str, str] = {}
        # Metafields known to have existed by owner, namespace and key only.
        self.existing_metafields: list[dict[str, str]] = []

    # -- walking -----------------------------------------------------------
    def seed(self, data: Any, *, exclude: Iterable[tuple[Any, ...]] = (), created: Iterable[str] = (),
             written: Iterable[str] = ()) -> None:
        """Seed from `data` except the `exclude`d subtrees, the objects the
        replayed requests themselves create (`created` gids), and — from the
        recording proxy's upstream reads, made against the live store after
        Shopify's captured answers — the objects they write (`written`)."""
        excluded = set(exclude)
        self.created = set(created)
        # The recording proxy's upstream reads saw the store as it was when
        # the replayed requests ran (after any setup that a pre-setup snapshot
        # such as `baselinePinnedDefinitions` predates): they are read first,
        # so their view of an object wins.
        self.written = set(written)
        if isinstance(data, dict) and "upstreamCalls" in data:
            self._walk(data["upstreamCalls"], ("upstreamCalls",), [], excluded)
        self._walk(data, (), [], excluded)
        self._implied_skus(data, (), excluded)
        self._bulk_exports(data)
        self._bulk_sort_times(data)

    def _bulk_exports(self, data: Any) -> None:
        """The records of a bulk query's result file the capture downloaded
        are objects the store held (an export only reads): they seed the store
        wherever they were recorded, children under their `__parentId`."""
        for records in _export_records(data):
            for n, record in enumerate(records):
                parent = parse_gid(record.get("__parentId")) if isinstance(record, dict) else None
                owners = [(parent[0], record["__parentId"])] if parent else []
                self._walk(record, ("__export__", n), owners, set())

    def _implied_skus(self, node: Any, path: tuple[Any, ...], excluded: set[tuple[Any, ...]]) -> None:
        """A recorded `sku:VALUE` search shows which products had a variant
        with that SKU (products-variant-search-read: "seeds a real product
        variant SKU from the conformance store"); the capture never lists the
        variant itself, so the products it answered get one."""
        if path in excluded:
            return
        if isinstance(node, list):
            for n, item in enumerate(node):
                self._implied_skus(item, path + (n,), excluded)
            return
        if not isinstance(node, dict):
            return
        variables = node.get("variables")
        query = variables.get("query") if isinstance(variables, dict) else None
        match = re.fullmatch(r'sku:(?:"([^"\\]+)"|([^\s"()*:\\]+))', query.strip()) if isinstance(query, str) else None
        answer = node.get("response")
        if match and isinstance(answer, dict):
            sku = match.group(1) or match.group(2)
            for product_gid in _product_gids((answer.get("data") or {}).get("products")):
                product = self.catalog.products.get(int(parse_gid(product_gid)[1]))
                if product is not None and not any(fold_key(v.sku) == fold_key(sku)
                                                   for v in self.catalog.product_variants(product)):
                    self.catalog.add_variant(product, sku=sku, now=self.now - LONG_AGO)
        for key, value in node.items():
            self._implied_skus(value, path + (key,), excluded)

    def _walk(self, node: Any, path: tuple[Any, ...], owners: list[tuple[str, str]],
              excluded: set[tuple[Any, ...]]) -> None:
        if path in excluded:
            return
        if isinstance(node, list):
            for n, item in enumerate(node):
                self._walk(item, path + (n,), owners, excluded)
            return
        if not isinstance(node, dict):
            return
        if not (path and isinstance(path[0], str) and path[0].startswith("cleanup")):
            self._note_deletions(node)
        self._note_set_owners(node)
        parsed = parse_gid(node.get("id"))
        here = owners
        later_view = bool(path) and path[0] == "upstreamCalls" and node.get("id") in self.written
        if parsed is not None and parsed[1].isdigit() and node["id"] not in self.created and not later_view:
            self._object(parsed[0], node, owners, path)
            here = owners + [(parsed[0], node["id"])]
        for key, value in node.items():
            self._walk(value, path + (key,), here, excluded)

    def _note_deletions(self, node: dict[str, Any]) -> None:
        """Deletions the capture shows before the replayed requests (cleanup
        sections aside): the deleted objects must not exist in the replay."""
        for key in ("deletedProductId", "deletedId", "deletedDefinitionId"):
            if isinstance(node.get(key), str):
                self.deleted.add(node[key])
        for key in ("deletedFileIds", "deletedMediaIds"):
            if isinstance(node.get(key), list):
                self.deleted.update(v for v in node[key] if isinstance(v, str))

    def seed_reads(self, reads: list[Any], touched: set[str]) -> None:
        """Seed what the replayed reads show that no replayed mutation's
        answer shows (`touched`): it existed before them, as shown."""
        before = self.created
        self.created = before | touched
        for n, value in enumerate(reads):
            if isinstance(value, dict) and set(value) == {"deletedMetafield"}:
                self.existing_metafields.append(value["deletedMetafield"])
                continue
            self._walk(value, ("__read__", n), [], set())
        self.created = before

    def _seed_identified_metafields(self) -> None:
        """Metafields known only by owner, namespace and key (a delete's
        answer): what they held is not known, so they hold a placeholder
        of their definition's type (a text otherwise)."""
        for ident in self.existing_metafields:
            owner_type = OWNER_TYPES.get((parse_gid(ident["ownerId"]) or ("",))[0])
            by_key = self.catalog.owner_metafields(ident["ownerId"])
            if (ident["namespace"], ident["key"]) in by_key:
                continue
            definition = next((d for d in self.catalog.metafield_definitions if d.owner_type == owner_type
                               and (d.namespace, d.key) == (ident["namespace"], ident["key"])), None)
            by_key[(ident["namespace"], ident["key"])] = Metafield(
                id=self.catalog.next_id(), owner_id=ident["ownerId"], namespace=ident["namespace"],
                key=ident["key"], type=definition.type if definition else "single_line_text_field",
                value="unknown", created_at=self.now - LONG_AGO, updated_at=self.now - LONG_AGO)

    def _note_set_owners(self, node: dict[str, Any]) -> None:
        """A metafieldsSet answer lists the metafields of its inputs in order
        (an answer with no userErrors writes every input): the n-th belongs
        to input n's owner."""
        variables = node.get("variables")
        inputs = variables.get("metafields") if isinstance(variables, dict) else None
        answer = node.get("response")
        if isinstance(answer, dict) and isinstance(answer.get("body"), dict):
            answer = answer["body"]
        payload = ((answer or {}).get("data") or {}).get("metafieldsSet") if isinstance(answer, dict) else None
        written = payload.get("metafields") if isinstance(payload, dict) else None
        if not (isinstance(inputs, list) and isinstance(written, list) and len(inputs) == len(written)):
            return
        for item, mf in zip(inputs, written):
            if isinstance(item, dict) and isinstance(mf, dict) and isinstance(mf.get("id"), str) \
                    and isinstance(item.get("ownerId"), str):
                self.set_owners.setdefault(mf["id"], item["ownerId"])

    def finish(self) -> None:
        """Apply the deletions seen, and continue new ids above every seeded
        one, so objects created by a replayed mutation sort after the store's
        existing objects, as at Shopify."""
        catalog = self.catalog
        for gid_ in self.deleted:
            parsed = parse_gid(gid_)
            if parsed is None or not parsed[1].isdigit():
                continue
            kind, num = parsed[0], int(parsed[1])
            if kind == "Product" and num in catalog.products:
                product = catalog.products.pop(num)
                catalog.handle_index.pop(fold_key(product.handle), None)
                for vid in product.variant_ids:
                    catalog.variants.pop(vid, None)
                catalog.metafields.pop(gid_, None)
            elif kind in FILE_KINDS and num in catalog.files:
                catalog.delete_file(catalog.files[num])
            elif kind == "MetafieldDefinition":
                catalog.metafield_definitions[:] = [d for d in catalog.metafield_definitions if d.id != num]
        current = self.catalog.next_id()
        self.catalog._ids = itertools.count(max(current, self.max_id) + 1)
        self._seed_identified_metafields()

    # -- objects -------------------------------------------------------------
    def _object(self, kind: str, node: dict[str, Any], owners: list[tuple[str, str]], path: tuple[Any, ...]) -> None:
        num = int(parse_gid(node["id"])[1])
        if kind == "Shop":
            self.captured_shop_gids.add(node["id"])
            return
        if kind in ("Product", "ProductVariant", "Metafield", "MetafieldDefinition", "BulkOperation") \
                or kind in FILE_KINDS:
            self.max_id = max(self.max_id, num)
        if kind == "BulkOperation":
            self._bulk_operation(num, node)
            return
        if kind in ("MetaobjectDefinition", "Metaobject"):
            self._metaobject(kind, num, node)
        elif kind == "Collection":
            self._collection(num, node)
        elif kind in OTHER_OWNERS:
            self._owner(kind, num, node)
        if kind == "Product":
            self._product(num, node)
        elif kind == "ProductVariant":
            self._variant(num, node, owners)
        elif kind in FILE_KINDS:
            self._file(kind, num, node, owners, path)
        elif kind == "Metafield":
            self._metafield(num, node, owners)
        elif kind == "MetafieldDefinition":
            self._definition(num, node)

    def _first(self, gid_: str) -> bool:
        if gid_ in self.seeded:
            return False
        self.seeded.add(gid_)
        return True

    def _product(self, num: int, node: dict[str, Any]) -> None:
        catalog = self.catalog
        product = catalog.products.get(num)
        if product is None:
            title = node.get("title") if isinstance(node.get("title"), str) else f"Product {num}"
            product = Product(id=num, title=title, handle="", created_at=self.now - LONG_AGO,
                              updated_at=self.now - LONG_AGO)
            catalog.products[num] = product
        self.seeded.add(f"Product/{num}")
        for field, attr in (("title", "title"), ("vendor", "vendor"), ("productType", "product_type"),
                            ("status", "status"), ("descriptionHtml", "description_html")):
            if isinstance(node.get(field), str) and getattr(product, attr) in ("", None, f"Product {num}", "ACTIVE"):
                setattr(product, attr, node[field])
        if isinstance(node.get("tags"), list) and not product.tags:
            product.tags = [t for t in node["tags"] if isinstance(t, str)]
        if isinstance(node.get("handle"), str) and not product.handle:
            product.handle = node["handle"]
            catalog.handle_index[fold_key(product.handle)] = num
        product.created_at = epoch(node.get("createdAt"), product.created_at)
        product.updated_at = epoch(node.get("updatedAt"), product.updated_at)
        if not product.handle:
            from ..catalog import slugify
            product.handle = catalog.unique_handle(slugify(product.title))
            catalog.handle_index[fold_key(product.handle)] = num

    def _variant(self, num: int, node: dict[str, Any], owners: list[tuple[str, str]]) -> None:
        catalog = self.catalog
        product_gid = (node.get("product") or {}).get("id") if isinstance(node.get("product"), dict) else None
        if product_gid is None:
            product_gid = next((g for k, g in reversed(owners) if k == "Product"), None)
        parsed = parse_gid(product_gid) if product_gid else None
        variant = catalog.variants.get(num)
        if parsed is None or not parsed[1].isdigit() or int(parsed[1]) not in catalog.products:
            if variant is None:
                self.skipped.append(f"ProductVariant/{num} (no product)")
                return
            parsed = ("Product", str(variant.product_id))  # a later view of a variant already seeded
        product = catalog.products[int(parsed[1])]
        if variant is None:
            variant = Variant(id=num, product_id=product.id, position=len(product.variant_ids) + 1,
                              created_at=self.now - LONG_AGO, updated_at=self.now - LONG_AGO)
            catalog.variants[num] = variant
            product.variant_ids.append(num)
        for field in ("title", "sku", "barcode", "price"):
            if isinstance(node.get(field), str) and getattr(variant, field) in ("", "Default Title", "0.00"):
                setattr(variant, field, node[field])
        catalog._index_variant(variant)
        self._variant_inventory(variant, node)
        media = node.get("media")
        if isinstance(media, dict):
            for item in media.get("nodes") or [e.get("node") for e in media.get("edges") or [] if isinstance(e, dict)]:
                parsed_media = parse_gid((item or {}).get("id"))
                if parsed_media and parsed_media[1].isdigit():
                    variant.media_id = int(parsed_media[1])

    # Variant fields as the capture shows them: (field, attribute, accepted type).
    VARIANT_FIELDS = (("compareAtPrice", "compare_at_price", (str, type(None))), ("taxable", "taxable", bool),
                      ("inventoryPolicy", "inventory_policy", str), ("inventoryQuantity", "inventory_quantity", int))
    ITEM_FIELDS = (("tracked", "tracked", bool), ("requiresShipping", "requires_shipping", bool))

    def _variant_inventory(self, variant: Variant, node: dict[str, Any]) -> None:
        """Pricing and inventory as first seen (a later view never overrides)."""
        def take(source: dict[str, Any], fields: tuple) -> None:
            for name, attr, kinds in fields:
                if name in source and isinstance(source[name], kinds) and (variant.id, attr) not in self.variant_fields:
                    self.variant_fields.add((variant.id, attr))
                    setattr(variant, attr, source[name])
        take(node, self.VARIANT_FIELDS)
        item = node.get("inventoryItem")
        if isinstance(item, dict):
            take(item, self.ITEM_FIELDS)
            parsed = parse_gid(item.get("id"))
            if parsed and parsed[0] == "InventoryItem" and parsed[1].isdigit():
                self.catalog.inventory_items.pop(variant.inventory_item_id, None)
                variant.inventory_item_id = int(parsed[1])
                self.catalog.inventory_items[variant.inventory_item_id] = variant.id

    def _file(self, kind: str, num: int, node: dict[str, Any], owners: list[tuple[str, str]],
              path: tuple[Any, ...]) -> None:
        image = node.get("image") if isinstance(node.get("image"), dict) else None
        source = node.get("originalSource") if isinstance(node.get("originalSource"), dict) else {}
        url = _string((image or {}).get("url") or node.get("url") or source.get("url"))
        # The URL Shopify served for the processed file (not its source).
        served = _string((image or {}).get("url") or node.get("url"))
        f = self.catalog.files.get(num)
        if f is None:
            f = self._new_file(kind, num, node, image, url, served)
        elif (node.get("fileStatus") or node.get("status")) == "READY" and not f.fail_code:
            # A later read shows it processed: the store had it READY.
            f.processing_started_at = min(f.processing_started_at, self.now - LONG_AGO)
            if image:
                f.width, f.height = image.get("width") or f.width, image.get("height") or f.height
            f.ready_url = f.ready_url or url
            f.processed_url = f.processed_url or served
        self._in_gallery(f, image, owners, path)

    def _new_file(self, kind: str, num: int, node: dict[str, Any], image: Optional[dict[str, Any]],
                  url: Optional[str], served: Optional[str]) -> File:
        filename = (url or f"file-{num}").split("?", 1)[0].rsplit("/", 1)[-1] or f"file-{num}"
        mime = node.get("mimeType") if isinstance(node.get("mimeType"), str) else (
            mimetypes.guess_type(filename)[0] or "application/octet-stream")
        status = node.get("fileStatus") or node.get("status")
        ready = status not in ("UPLOADED", "PROCESSING", "FAILED")
        created = epoch(node.get("createdAt"), self.now - LONG_AGO)
        f = File(id=num, kind=kind, original_source=url or "", filename=filename, mime_type=mime,
                 alt=node.get("alt") if isinstance(node.get("alt"), str) else "",
                 created_at=created, updated_at=epoch(node.get("updatedAt"), created),
                 processing_started_at=(self.now - LONG_AGO) if ready else self.now,
                 fail_code="UNKNOWN" if status == "FAILED" else None)
        if image:
            f.width, f.height = image.get("width"), image.get("height")
        if ready:
            f.ready_url, f.processed_url = url, served
        self.catalog.put_file(f)
        return f

    def _in_gallery(self, f: File, image: Optional[dict[str, Any]], owners: list[tuple[str, str]],
                    path: tuple[Any, ...]) -> None:
        """A media item listed under a product's `media` is in its gallery."""
        catalog = self.catalog
        owner = next(((k, g) for k, g in reversed(owners) if k in ("Product", "ProductVariant")), None)
        if not owner or "media" not in path or owner[0] != "Product":
            return
        product_id = int(parse_gid(owner[1])[1])
        if product_id not in catalog.products:
            return
        catalog.attach(f, catalog.products[product_id])
        # Its ProductImage id, when the capture shows it as the image's id.
        image_gid = parse_gid((image or {}).get("id"))
        if image_gid and image_gid[0] == "ProductImage" and image_gid[1].isdigit():
            f.product_image_ids[product_id] = int(image_gid[1])

    def _metafield(self, num: int, node: dict[str, Any], owners: list[tuple[str, str]]) -> None:
        if not all(isinstance(node.get(k), str) for k in ("namespace", "key", "type", "value")):
            return
        owner_gid = (node.get("owner") or {}).get("id") if isinstance(node.get("owner"), dict) else None
        if owner_gid is None:
            owner_gid = next((g for k, g in reversed(owners) if k in OWNER_KINDS), None)
        if owner_gid is None:
            owner_gid = self.set_owners.get(node.get("id"))
        if owner_gid is None:
            return
        if parse_gid(owner_gid)[0] == "Shop":
            if self.shop_gid is None:
                return
            owner_gid = self.shop_gid
        by_key = self.catalog.owner_metafields(owner_gid)
        key = (node["namespace"], node["key"])
        if key in by_key or not self._first(f"Metafield/{num}"):
            return
        created = epoch(node.get("createdAt"), self.now - LONG_AGO)
        mf = Metafield(id=num, owner_id=owner_gid, namespace=node["namespace"], key=node["key"],
                       type=node["type"], value=node["value"], created_at=created,
                       updated_at=epoch(node.get("updatedAt"), created))
        if isinstance(node.get("compareDigest"), str):
            mf.compare_digest = node["compareDigest"]
        by_key[key] = mf

    def _definition(self, num: int, node: dict[str, Any]) -> None:
        if not all(isinstance(node.get(k), str) for k in ("namespace", "key", "ownerType")):
            return
        if f"MetafieldDefinition?{node['namespace']}/{node['key']}" in self.created:
            return
        if not self._first(f"MetafieldDefinition/{num}"):
            return
        if any(d.id == num for d in self.catalog.metafield_definitions):
            return
        type_ = node.get("type")
        type_name = type_.get("name") if isinstance(type_, dict) else type_
        if not isinstance(type_name, str):
            type_name = "single_line_text_field"
        caps = node.get("capabilities") if isinstance(node.get("capabilities"), dict) else {}
        access = node.get("access") if isinstance(node.get("access"), dict) else {}
        self.catalog.metafield_definitions.append(MetafieldDefinition(
            id=num, namespace=node["namespace"], key=node["key"],
            name=node.get("name") if isinstance(node.get("name"), str) else node["key"],
            owner_type=node["ownerType"], type=type_name,
            description=node.get("description") if isinstance(node.get("description"), str) else "",
            validations=[{"name": v.get("name"), "value": v.get("value")}
                         for v in node.get("validations") or [] if isinstance(v, dict)],
            access={k: v for k, v in access.items() if isinstance(v, str)},
            capabilities={k: {"enabled": bool(v.get("enabled"))} for k, v in caps.items() if isinstance(v, dict)},
            pinned_position=node.get("pinnedPosition") if isinstance(node.get("pinnedPosition"), int) else None,
            created_at=self.now - LONG_AGO, updated_at=self.now - LONG_AGO))


    # -- metaobjects --------------------------------------------------------------------
    def _metaobject(self, kind: str, num: int, node: dict[str, Any]) -> None:
        """A metaobject definition (its type, name and field definitions) or
        entry (its type, handle and field values) as first seen; an entry's
        definition is the one of its type, made from its fields when the
        capture never shows it."""
        from ..resolvers.metaobjects import Metaobject, MetaobjectDefinition
        catalog = self.catalog
        type_ = node.get("type")
        if not isinstance(type_, str):
            return
        if kind == "MetaobjectDefinition":
            if num not in catalog.metaobject_definitions:
                fields = [{"key": f["key"], "name": f.get("name") or f["key"], "type": _type_name(f.get("type")),
                           "required": bool(f.get("required")), "validations": []}
                          for f in node.get("fieldDefinitions") or () if isinstance(f, dict) and f.get("key")]
                catalog.metaobject_definitions[num] = MetaobjectDefinition(
                    id=num, type=type_, name=node.get("name") if isinstance(node.get("name"), str) else type_,
                    display_name_key=node.get("displayNameKey"), fields=fields,
                    created_at=self.now - LONG_AGO, updated_at=self.now - LONG_AGO)
            return
        if num in catalog.metaobjects:
            return
        values = {f["key"]: f["value"] for f in node.get("fields") or ()
                  if isinstance(f, dict) and isinstance(f.get("key"), str) and isinstance(f.get("value"), str)}
        definition = next((d for d in catalog.metaobject_definitions.values() if d.type == type_), None)
        if definition is None:
            # Known only through the entry: a negative number no gid of the store uses.
            definition = MetaobjectDefinition(id=-num, type=type_, name=type_, fields=[
                {"key": k, "name": k, "type": "single_line_text_field", "required": False, "validations": []}
                for k in values])
            catalog.metaobject_definitions[definition.id] = definition
        catalog.metaobjects[num] = Metaobject(
            id=num, definition_id=definition.id, type=type_,
            handle=node.get("handle") if isinstance(node.get("handle"), str) else f"{type_}-{num}", values=values,
            created_at=self.now - LONG_AGO, updated_at=self.now - LONG_AGO)

    # -- other metafield owners ------------------------------------------------------
    def _collection(self, num: int, node: dict[str, Any]) -> None:
        from ..catalog import Collection
        c = self.catalog.collections.get(num)
        if c is None:
            title = node.get("title") if isinstance(node.get("title"), str) else f"Collection {num}"
            c = Collection(id=num, title=title,
                           handle=node.get("handle") if isinstance(node.get("handle"), str) else f"collection-{num}",
                           created_at=self.now - LONG_AGO, updated_at=self.now - LONG_AGO)
            self.catalog.collections[num] = c
        rule_set = node.get("ruleSet")
        if isinstance(rule_set, dict) and c.rules is None and isinstance(rule_set.get("rules"), list):
            c.applied_disjunctively = bool(rule_set.get("appliedDisjunctively"))
            c.rules = [{"column": r.get("column"), "relation": r.get("relation"), "condition": r.get("condition"),
                        "condition_object_id": ((r.get("conditionObject") or {}).get("metafieldDefinition") or {})
                        .get("id")} for r in rule_set["rules"] if isinstance(r, dict)]

    def _owner(self, kind: str, num: int, node: dict[str, Any]) -> None:
        """A resource kept as a metafield owner: its scalar fields as first seen."""
        from ..catalog import OwnerRecord, gid as make_gid
        key = make_gid(kind, num)
        record = self.catalog.owners.setdefault(key, OwnerRecord(kind=kind, id=num))
        for name, value in node.items():
            if name not in ("id", "__typename") and not isinstance(value, (dict, list)):
                record.fields.setdefault(name, value)

    # -- bulk operations -----------------------------------------------------------
    def _bulk_operation(self, num: int, node: dict[str, Any]) -> None:
        """A bulk operation as the capture first shows it. One the capture shows
        in progress stays so (its real duration is unknown) until the replay
        cancels it; a finished one keeps its counts and Shopify's URLs."""
        from ..bulk import model
        if num in self.catalog.bulk_operations or not isinstance(node.get("status"), str):
            return
        def count(key: str) -> int:
            value = node.get(key)
            return int(value) if isinstance(value, str) and value.isdigit() else 0
        created = epoch(node.get("createdAt"), self.now - LONG_AGO)
        completed = epoch(node.get("completedAt"), 0.0) if isinstance(node.get("completedAt"), str) else None
        op = model.BulkOperation(
            id=num, type=node.get("type") if node.get("type") in (model.QUERY, model.MUTATION) else model.QUERY,
            query=node.get("query") if isinstance(node.get("query"), str) else "", client_id=self.client_id,
            created_at=created, status=node["status"], completed_at=completed,
            error_code=node.get("errorCode") if isinstance(node.get("errorCode"), str) else None,
            object_count=count("objectCount"), root_object_count=count("rootObjectCount"),
            file_size=count("fileSize") if isinstance(node.get("fileSize"), str) else None,
            url=node.get("url") if isinstance(node.get("url"), str) else None,
            partial_data_url=node.get("partialDataUrl") if isinstance(node.get("partialDataUrl"), str) else None,
            created_sort=created, completed_sort=completed, clock_start=self.now,
            runs_at=float("inf"), done_at=float("inf"), finish_notified=node["status"] in model.TERMINAL)
        if op.status == model.CANCELING:
            op.cancel_done_at = float("inf")
        if op.status == model.COMPLETED and completed is not None:
            # [S] results "remain available for seven days after completion".
            op.expires_at = completed + model.RESULT_LIFETIME
        self.catalog.bulk_operations[num] = op

    def _bulk_sort_times(self, data: Any) -> None:
        """Shopify's bulkOperations cursors carry the sort time to the
        microsecond (`{"last_id":…,"last_value":"2026-05-05 20:32:30.420238"}`):
        the seeded operations keep that precision, so replayed cursors agree."""
        for connection in _connections_of(data, "bulkOperations"):
            for cursor, node in _cursor_pairs(connection):
                parsed = parse_gid((node or {}).get("id")) if isinstance(node, dict) else None
                op = self.catalog.bulk_operations.get(int(parsed[1])) if parsed and parsed[1].isdigit() else None
                value = _cursor_time(cursor)
                if op is None or value is None:
                    continue
                if int(value) == int(op.created_at):
                    op.created_sort = value
                elif op.completed_at is not None and int(value) == int(op.completed_at):
                    op.completed_sort = value


def _type_name(value: Any) -> str:
    name = value.get("name") if isinstance(value, dict) else value
    return name if isinstance(name, str) else "single_line_text_field"


def _string(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def _export_records(data: Any) -> Iterable[list[Any]]:
    """Record lists of downloaded JSONL result files of bulk queries (rows
    with ids; an import's result rows carry `__lineNumber` and are answers to
    mutations, not store reads)."""
    if isinstance(data, dict):
        records = data.get("records")
        if isinstance(records, list) and "jsonl" in str(data.get("contentType", "")) \
                and all(isinstance(r, dict) and "__lineNumber" not in r for r in records):
            yield records
        for value in data.values():
            yield from _export_records(value)
    elif isinstance(data, list):
        for value in data:
            yield from _export_records(value)


def _connections_of(data: Any, key: str) -> Iterable[dict[str, Any]]:
    if isinstance(data, dict):
        for k, v in data.items():
            if k == key and isinstance(v, dict):
                yield v
            yield from _connections_of(v, key)
    elif isinstance(data, list):
        for v in data:
            yield from _connections_of(v, key)


def _cursor_pairs(connection: dict[str, Any]) -> Iterable[tuple[Any, Any]]:
    for edge in connection.get("edges") or ():
        if isinstance(edge, dict):
            yield edge.get("cursor"), edge.get("node")
    nodes = connection.get("nodes") or []
    info = connection.get("pageInfo") or {}
    if nodes:
        yield info.get("startCursor"), nodes[0]
        yield info.get("endCursor"), nodes[-1]


def _cursor_time(cursor: Any) -> Optional[float]:
    import base64
    import json
    if not isinstance(cursor, str):
        return None
    try:
        value = json.loads(base64.b64decode(cursor + "=" * (-len(cursor) % 4))).get("last_value")
        moment = datetime.strptime(value, "%Y-%m-%d %H:%M:%S.%f")
    except (ValueError, TypeError, AttributeError):
        return None
    from datetime import timezone
    return moment.replace(tzinfo=timezone.utc).timestamp()


def _product_gids(connection: Any) -> list[str]:
    if not isinstance(connection, dict):
        return []
    items = connection.get("nodes") or [e.get("node") for e in connection.get("edges") or [] if isinstance(e, dict)]
    out = []
    for item in items:
        parsed = parse_gid((item or {}).get("id")) if isinstance(item, dict) else None
        if parsed and parsed[0] == "Product" and parsed[1].isdigit():
            out.append(item["id"])
    return out


# Payload keys whose objects of these kinds a mutation brings into being.
CREATING_KEYS: dict[str, tuple[str, ...]] = {
    "productCreate": ("Product", "ProductVariant"),
    "productSet": ("Product", "ProductVariant"),
    "fileCreate": FILE_KINDS,
    "productCreateMedia": FILE_KINDS,
    "metafieldDefinitionCreate": ("MetafieldDefinition",),
    "createdDefinition": ("MetafieldDefinition",),
    "standardMetafieldDefinitionEnable": ("MetafieldDefinition",),
    "collectionCreate": ("Collection",),
    "metaobjectDefinitionCreate": ("MetaobjectDefinition",),
    "metaobjectCreate": ("Metaobject",),
    "bulkOperationRunQuery": ("BulkOperation",),
    "bulkOperationRunMutation": ("BulkOperation",),
}


# Payload keys whose objects of these kinds a mutation writes, creating or
# updating them (metafieldsSet: "Creates or updates metafields").
WRITING_KEYS: dict[str, tuple[str, ...]] = {"metafieldsSet": ("Metafield",)}


def written_ids(value: Any) -> set[str]:
    """Gids a captured mutation answer shows being written."""
    out: set[str] = set()

    def walk(node: Any, kinds: tuple[str, ...]) -> None:
        if isinstance(node, dict):
            for key, v in node.items():
                inner = next((k for name, k in WRITING_KEYS.items() if key == name or key.endswith(name)), kinds)
                parsed = parse_gid(v) if key == "id" else None
                if parsed is not None and parsed[0] in kinds:
                    out.add(v)
                walk(v, inner)
        elif isinstance(node, list):
            for v in node:
                walk(v, kinds)
    walk(value, ())
    return out


def created_ids(value: Any) -> set[str]:
    """Gids a captured mutation response shows being created (so a replay
    must create them, not find them)."""
    out: set[str] = set()

    def collect(node: Any, kinds: tuple[str, ...]) -> None:
        if isinstance(node, dict):
            parsed = parse_gid(node.get("id"))
            if parsed is not None and parsed[0] in kinds:
                out.add(node["id"])
            for v in node.values():
                collect(v, kinds)
        elif isinstance(node, list):
            for v in node:
                collect(v, kinds)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, v in node.items():
                kinds = next((k for name, k in CREATING_KEYS.items() if key == name or key.endswith(name)), None)
                if kinds is not None:
                    collect(v, kinds)
                    if key == "createdDefinition" and isinstance(v, dict) and "id" not in v \
                            and isinstance(v.get("key"), str):
                        # Created, but the document did not select its id:
                        # known by namespace (or "*", any the request used) and key.
                        out.add(f"MetafieldDefinition?{v.get('namespace') or '*'}/{v['key']}")
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(value)
    return out
