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


def epoch(value: Any, default: float) -> float:
    if not isinstance(value, str):
        return default
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return default


class Seeder:
    def __init__(self, catalog: Catalog, now: Optional[float] = None, shop_gid: Optional[str] = None) -> None:
        self.catalog = catalog
        self.now = time.time() if now is None else now
        self.shop_gid = shop_gid
        self.captured_shop_gids: set[str] = set()
        self.max_id = 0
        self.seeded: set[str] = set()
        self.skipped: list[str] = []
        self.deleted: set[str] = set()
        self.created: set[str] = set()

    # -- walking -----------------------------------------------------------
    def seed(self, data: Any, *, exclude: Iterable[tuple[Any, ...]] = (), created: Iterable[str] = ()) -> None:
        """Seed from `data` except the `exclude`d subtrees and the objects the
        replayed requests themselves create (`created` gids)."""
        excluded = set(exclude)
        self.created = set(created)
        # The recording proxy's upstream reads saw the store as it was when
        # the replayed requests ran (after any setup that a pre-setup snapshot
        # such as `baselinePinnedDefinitions` predates): they are read first,
        # so their view of an object wins.
        if isinstance(data, dict) and "upstreamCalls" in data:
            self._walk(data["upstreamCalls"], ("upstreamCalls",), [], excluded)
        self._walk(data, (), [], excluded)
        self._implied_skus(data, (), excluded)

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
        parsed = parse_gid(node.get("id"))
        here = owners
        if parsed is not None and parsed[1].isdigit() and node["id"] not in self.created:
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

    # -- objects -------------------------------------------------------------
    def _object(self, kind: str, node: dict[str, Any], owners: list[tuple[str, str]], path: tuple[Any, ...]) -> None:
        num = int(parse_gid(node["id"])[1])
        if kind == "Shop":
            self.captured_shop_gids.add(node["id"])
            return
        if kind in ("Product", "ProductVariant", "Metafield", "MetafieldDefinition") or kind in FILE_KINDS:
            self.max_id = max(self.max_id, num)
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
        if parsed is None or not parsed[1].isdigit() or int(parsed[1]) not in catalog.products:
            if num not in catalog.variants:
                self.skipped.append(f"ProductVariant/{num} (no product)")
            return
        product = catalog.products[int(parsed[1])]
        variant = catalog.variants.get(num)
        if variant is None:
            variant = Variant(id=num, product_id=product.id, position=len(product.variant_ids) + 1,
                              created_at=self.now - LONG_AGO, updated_at=self.now - LONG_AGO)
            catalog.variants[num] = variant
            product.variant_ids.append(num)
        for field in ("title", "sku", "barcode", "price"):
            if isinstance(node.get(field), str) and getattr(variant, field) in ("", "Default Title", "0.00"):
                setattr(variant, field, node[field])
        catalog._index_variant(variant)
        media = node.get("media")
        if isinstance(media, dict):
            for item in media.get("nodes") or [e.get("node") for e in media.get("edges") or [] if isinstance(e, dict)]:
                parsed_media = parse_gid((item or {}).get("id"))
                if parsed_media and parsed_media[1].isdigit():
                    variant.media_id = int(parsed_media[1])

    def _file(self, kind: str, num: int, node: dict[str, Any], owners: list[tuple[str, str]],
              path: tuple[Any, ...]) -> None:
        catalog = self.catalog
        f = catalog.files.get(num)
        image = node.get("image") if isinstance(node.get("image"), dict) else None
        source = node.get("originalSource") if isinstance(node.get("originalSource"), dict) else {}
        url = (image or {}).get("url") or node.get("url") or source.get("url")
        url = url if isinstance(url, str) else None
        # The URL Shopify served for the processed file (not its source).
        served = (image or {}).get("url") or node.get("url")
        served = served if isinstance(served, str) else None
        if f is None:
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
            if ready and url:
                f.ready_url = url
            if ready and served:
                f.processed_url = served
            catalog.files[num] = f
        elif (node.get("fileStatus") or node.get("status")) == "READY" and not f.fail_code:
            # A later read shows it processed: the store had it READY.
            f.processing_started_at = min(f.processing_started_at, self.now - LONG_AGO)
            if image:
                f.width, f.height = image.get("width") or f.width, image.get("height") or f.height
            if url:
                f.ready_url = f.ready_url or url
            if served:
                f.processed_url = f.processed_url or served
        # A media item listed under a product's `media` is in its gallery.
        owner = next(((k, g) for k, g in reversed(owners) if k in ("Product", "ProductVariant")), None)
        if owner and "media" in path:
            parsed = parse_gid(owner[1])
            if owner[0] == "Product" and int(parsed[1]) in catalog.products:
                catalog.attach(f, catalog.products[int(parsed[1])])
                # Its ProductImage id, when the capture shows it as the image's id.
                image_gid = parse_gid((image or {}).get("id"))
                if image_gid and image_gid[0] == "ProductImage" and image_gid[1].isdigit():
                    f.product_image_ids[int(parsed[1])] = int(image_gid[1])

    def _metafield(self, num: int, node: dict[str, Any], owners: list[tuple[str, str]]) -> None:
        if not all(isinstance(node.get(k), str) for k in ("namespace", "key", "type", "value")):
            return
        owner_gid = (node.get("owner") or {}).get("id") if isinstance(node.get("owner"), dict) else None
        if owner_gid is None:
            owner_gid = next((g for k, g in reversed(owners) if k in OWNER_KINDS), None)
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
}


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
