"""A shop's catalogue: products, variants, the Files library, metafields, jobs
and staged uploads. Plain data; behaviour lives in resolvers/ and processing.py.

In Shopify product media ARE files: a `MediaImage` in a product gallery is the
same object the Files page lists, so there is one `files` store and a product's
gallery is an ordered list of file ids. All numeric ids come from one sequence
so a number identifies one object whatever its gid type.
"""
from __future__ import annotations

import itertools
import random
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from .faults import Faults


def fold_key(text: str) -> str:
    """The key the handle/SKU/barcode indexes store and search looks up.
    Shopify's search is case-insensitive; casefold (not lower) so that
    `sku:"äöü-SS 1"` finds `ÄÖÜ-ß 1`, exactly as search.Term.folded compares."""
    return text.casefold()

GID_PREFIX = "gid://shopify/"
FIRST_ID = 1_000_000_001
FIRST_PRODUCT_IMAGE_ID = 5_000_000_001
FIRST_INVENTORY_ITEM_ID = 7_000_000_001


def gid(kind: str, num: int | str) -> str:
    return f"{GID_PREFIX}{kind}/{num}"


def parse_gid(value: Any) -> tuple[str, str] | None:
    """`gid://shopify/Product/12` → ("Product", "12"); anything else → None."""
    if not isinstance(value, str) or not value.startswith(GID_PREFIX):
        return None
    rest = value[len(GID_PREFIX):].split("?", 1)[0]
    kind, sep, num = rest.partition("/")
    if not sep or not kind or not num or "/" in num:
        return None
    return kind, num


def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


@dataclass
class Variant:
    id: int
    product_id: int
    title: str = "Default Title"
    sku: str = ""
    barcode: str = ""
    price: str = "0.00"
    position: int = 1
    created_at: float = 0.0
    updated_at: float = 0.0
    # A variant shows at most one media item (productVariantAppendMedia).
    media_id: Optional[int] = None
    # Pricing and inventory as a variant made by productCreate has them
    # (captured: compareAtPrice null, taxable true, inventoryPolicy DENY,
    # inventoryQuantity 0, an inventory item that is not tracked and
    # requires shipping). Quantities change only through inventory
    # mutations, which the simulator does not model: a seeded store keeps
    # the quantities it was seen with.
    compare_at_price: Optional[str] = None
    taxable: bool = True
    inventory_policy: str = "DENY"
    inventory_quantity: int = 0
    inventory_item_id: int = 0
    tracked: bool = False
    requires_shipping: bool = True

    @property
    def gid(self) -> str:
        return gid("ProductVariant", self.id)

    @property
    def inventory_item_gid(self) -> str:
        return gid("InventoryItem", self.inventory_item_id or self.id)


@dataclass
class Product:
    id: int
    title: str
    handle: str
    vendor: str = ""
    product_type: str = ""
    tags: list[str] = field(default_factory=list)
    status: str = "ACTIVE"
    description_html: str = ""
    created_at: float = 0.0
    updated_at: float = 0.0
    variant_ids: list[int] = field(default_factory=list)
    # The gallery: file ids in display order.
    media_ids: list[int] = field(default_factory=list)

    @property
    def gid(self) -> str:
        return gid("Product", self.id)


# File kinds as Shopify names their GraphQL types.
MEDIA_IMAGE = "MediaImage"
VIDEO = "Video"
EXTERNAL_VIDEO = "ExternalVideo"
MODEL_3D = "Model3d"
GENERIC_FILE = "GenericFile"
MEDIA_KINDS = (MEDIA_IMAGE, VIDEO, EXTERNAL_VIDEO, MODEL_3D)


@dataclass
class File:
    """One entry of the Files library (and, for media kinds, a gallery item)."""
    id: int
    kind: str
    original_source: str
    filename: str
    mime_type: str
    alt: str = ""
    created_at: float = 0.0
    updated_at: float = 0.0
    # Processing restarts when the source is replaced (fileUpdate originalSource).
    processing_started_at: float = 0.0
    # Error code the file fails processing with (its download's outcome, or
    # an injected fault), or None; `fail_detail` says why.
    fail_code: Optional[str] = None
    fail_detail: str = ""
    # The download of the current source while it runs (a Future of an
    # inspection.Outcome, see downloads.py); None once its outcome is applied.
    download: Any = None
    original_file_size: Optional[int] = None
    width: Optional[int] = None
    height: Optional[int] = None
    duration_ms: Optional[int] = None  # videos, as read from the file
    # Products whose gallery contains this file, in the order they were added.
    product_ids: list[int] = field(default_factory=list)
    # An image in a product's gallery is also a ProductImage there, with its
    # own id (captured: MediaImage/39467722375401 is ProductImage/48929036730601).
    product_image_ids: dict[int, int] = field(default_factory=dict)  # product id → ProductImage id
    # The URL the file had when it last became READY (kept while reprocessing).
    ready_url: Optional[str] = None
    # The URL of the current processed rendition when it is known rather than
    # derived (a store's existing file, seeded with the URL Shopify served).
    processed_url: Optional[str] = None
    # The name a generic file is served under once it has one: replacing its
    # source keeps it (processing.served_name).
    served_as: Optional[str] = None

    @property
    def gid(self) -> str:
        return gid(self.kind, self.id)

    @property
    def is_media(self) -> bool:
        return self.kind in MEDIA_KINDS


@dataclass
class Metafield:
    id: int
    owner_id: str  # owner gid
    namespace: str
    key: str
    type: str
    value: str
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def gid(self) -> str:
        return gid("Metafield", self.id)


@dataclass
class MetafieldDefinition:
    id: int
    namespace: str
    key: str
    name: str
    owner_type: str
    type: str
    description: str = ""
    validations: list[dict[str, Any]] = field(default_factory=list)
    access: dict[str, Any] = field(default_factory=dict)
    capabilities: dict[str, Any] = field(default_factory=dict)
    pinned_position: Optional[int] = None
    # Category constraints: the constraint key and the allowed values (a
    # constrained definition cannot be pinned).
    constraint_key: Optional[str] = None
    constraint_values: list[str] = field(default_factory=list)
    created_at: float = 0.0
    updated_at: float = 0.0
    # App that created it (app-owned namespaces), or None for merchant-owned.
    app_client_id: Optional[str] = None

    @property
    def gid(self) -> str:
        return gid("MetafieldDefinition", self.id)


@dataclass
class Collection:
    """A collection: manual (`rules` None, its products listed) or automated
    (products matching its rule set)."""
    id: int
    title: str
    handle: str
    description_html: str = ""
    sort_order: str = "BEST_SELLING"
    applied_disjunctively: bool = False
    # Each rule: {"column", "relation", "condition", "condition_object_id"}.
    rules: Optional[list[dict[str, Any]]] = None
    product_ids: list[int] = field(default_factory=list)
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def gid(self) -> str:
        return gid("Collection", self.id)


@dataclass
class OwnerRecord:
    """A resource the simulator keeps only as a metafield owner (Location,
    Page, Article, Blog, Market, Customer, Order, DraftOrder, Company,
    CompanyLocation): its id and the scalar fields a store was seen with."""
    kind: str
    id: int
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def gid(self) -> str:
        return gid(self.kind, self.id)


@dataclass
class Job:
    """An asynchronous job (productReorderMedia). `apply` runs once, when the
    job is first observed after `done_at`."""
    id: str  # uuid
    created_at: float
    done_at: float
    apply: Any = None  # Callable[[], None] | None
    applied: bool = False

    @property
    def gid(self) -> str:
        return gid("Job", self.id)


@dataclass
class StagedUpload:
    id: str
    resource: str
    filename: str
    mime_type: str
    http_method: str
    file_size: Optional[int]
    created_at: float
    data: Optional[bytes] = None
    uploaded_at: Optional[float] = None
    # The object's key in the bucket (`tmp/<shop>/bulk/<uuid>/<filename>`):
    # what bulkOperationRunMutation's `stagedUploadPath` names.
    key: Optional[str] = None


@dataclass
class Catalog:
    products: dict[int, Product] = field(default_factory=dict)
    variants: dict[int, Variant] = field(default_factory=dict)
    files: dict[int, File] = field(default_factory=dict)
    # owner gid → {(namespace, key) → Metafield}
    metafields: dict[str, dict[tuple[str, str], Metafield]] = field(default_factory=dict)
    metafield_definitions: list[MetafieldDefinition] = field(default_factory=list)
    jobs: dict[str, Job] = field(default_factory=dict)
    staged_uploads: dict[str, StagedUpload] = field(default_factory=dict)
    # Bulk operations by number (shopify_sim.bulk.model.BulkOperation), and
    # their result files: key → (JSONL bytes, when the URL expires).
    bulk_operations: dict[int, Any] = field(default_factory=dict)
    bulk_results: dict[str, tuple[bytes, float]] = field(default_factory=dict)
    # Collections by number; other metafield owners by gid.
    collections: dict[int, Collection] = field(default_factory=dict)
    owners: dict[str, OwnerRecord] = field(default_factory=dict)
    # Metaobject definitions and entries by number (resolvers/metaobjects.py).
    metaobject_definitions: dict[int, Any] = field(default_factory=dict)
    metaobjects: dict[int, Any] = field(default_factory=dict)
    # The Files page's saved searches (fileSavedSearches): {"id", "name", "query"}.
    # Nothing here creates them (savedSearchCreate is not simulated).
    file_saved_searches: list[dict[str, Any]] = field(default_factory=list)
    # Faults queued by the control API.
    faults: Faults = field(default_factory=Faults)
    # Files whose source is being downloaded (file id → file): what a request
    # waits for once their processing time is up (downloads.py).
    pending_downloads: dict[int, File] = field(default_factory=dict)
    # Lower-cased exact-value indexes for fast search on large catalogues.
    sku_index: dict[str, set[int]] = field(default_factory=dict)  # sku → variant ids
    barcode_index: dict[str, set[int]] = field(default_factory=dict)  # barcode → variant ids
    handle_index: dict[str, int] = field(default_factory=dict)  # handle → product id
    # filename → ids of the files of that name, oldest first: fileCreate's
    # duplicate check looks a name up instead of scanning the library.
    filename_index: dict[str, dict[int, None]] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(FIRST_ID))
    _id_order: dict[int, tuple[Any, list[Any]]] = field(default_factory=dict)
    # ProductImage and InventoryItem ids are sequences of their own at Shopify.
    _product_image_ids: Any = field(default_factory=lambda: itertools.count(FIRST_PRODUCT_IMAGE_ID))
    _inventory_item_ids: Any = field(default_factory=lambda: itertools.count(FIRST_INVENTORY_ITEM_ID))
    # inventory item id → variant id (InventoryItem nodes).
    inventory_items: dict[int, int] = field(default_factory=dict)

    def next_id(self) -> int:
        return next(self._ids)

    def in_id_order(self, table: dict[int, Any]) -> list[Any]:
        """`table`'s values (products, variants, files) by ascending id, the
        sorted list kept until the table changes: listing a 100,000-product
        catalogue page by page sorts it once, not once per page. Callers must
        not change the list."""
        fingerprint = (len(table), next(reversed(table), None))
        cached = self._id_order.get(id(table))
        if cached is None or cached[0] != fingerprint:
            cached = self._id_order[id(table)] = (fingerprint, sorted(table.values(), key=_by_id))
        return cached[1]

    # -- products --------------------------------------------------------
    def unique_handle(self, wanted: str) -> str:
        handle = wanted or "product"
        n = 1
        while fold_key(handle) in self.handle_index:
            n += 1
            handle = f"{wanted}-{n}"
        return handle

    def add_product(self, *, title: str, handle: str = "", vendor: str = "", product_type: str = "",
                    tags: Iterable[str] = (), status: str = "ACTIVE", now: float | None = None) -> Product:
        now = time.time() if now is None else now
        product = Product(id=self.next_id(), title=title, handle=self.unique_handle(handle or slugify(title)),
                          vendor=vendor, product_type=product_type, tags=[t for t in tags if t],
                          status=status, created_at=now, updated_at=now)
        self.products[product.id] = product
        self.handle_index[fold_key(product.handle)] = product.id
        return product

    def add_variant(self, product: Product, *, sku: str = "", barcode: str = "", title: str = "",
                    price: str = "0.00", now: float | None = None) -> Variant:
        now = time.time() if now is None else now
        variant = Variant(id=self.next_id(), product_id=product.id, sku=sku or "", barcode=barcode or "",
                          title=title or ("Default Title" if not product.variant_ids
                                          else f"Variant {len(product.variant_ids) + 1}"),
                          price=price, position=len(product.variant_ids) + 1, created_at=now, updated_at=now,
                          inventory_item_id=next(self._inventory_item_ids))
        self.variants[variant.id] = variant
        self.inventory_items[variant.inventory_item_id] = variant.id
        product.variant_ids.append(variant.id)
        self._index_variant(variant)
        return variant

    def _index_variant(self, variant: Variant) -> None:
        if variant.sku:
            self.sku_index.setdefault(fold_key(variant.sku), set()).add(variant.id)
        if variant.barcode:
            self.barcode_index.setdefault(fold_key(variant.barcode), set()).add(variant.id)

    def product_variants(self, product: Product) -> list[Variant]:
        return [self.variants[v] for v in product.variant_ids if v in self.variants]

    def product_media(self, product: Product) -> list[File]:
        return [self.files[f] for f in product.media_ids if f in self.files]

    # -- files -----------------------------------------------------------
    def add_file(self, *, kind: str, original_source: str, filename: str, mime_type: str, alt: str = "",
                 now: float | None = None, fail_code: str | None = None,
                 original_file_size: int | None = None) -> File:
        now = time.time() if now is None else now
        f = File(id=self.next_id(), kind=kind, original_source=original_source, filename=filename,
                 mime_type=mime_type, alt=alt or "", created_at=now, updated_at=now,
                 processing_started_at=now, fail_code=fail_code, original_file_size=original_file_size)
        self.put_file(f)
        return f

    def put_file(self, f: File) -> None:
        """Store a file (and index its name)."""
        self.files[f.id] = f
        self.filename_index.setdefault(f.filename, {})[f.id] = None

    def rename_file(self, f: File, filename: str) -> None:
        self._unindex_name(f)
        f.filename = filename
        self.filename_index.setdefault(filename, {})[f.id] = None

    def file_named(self, filename: str) -> Optional[File]:
        """The oldest file of that name, if any."""
        for file_id in self.filename_index.get(filename, ()):
            return self.files[file_id]
        return None

    def _unindex_name(self, f: File) -> None:
        ids = self.filename_index.get(f.filename)
        if ids is not None:
            ids.pop(f.id, None)
            if not ids:
                del self.filename_index[f.filename]

    def attach(self, f: File, product: Product) -> None:
        if f.id not in product.media_ids:
            product.media_ids.append(f.id)
        if product.id not in f.product_ids:
            f.product_ids.append(product.id)
        if f.kind == MEDIA_IMAGE and product.id not in f.product_image_ids:
            f.product_image_ids[product.id] = next(self._product_image_ids)

    def product_image_id(self, f: File, product_id: int) -> int:
        """The ProductImage id of an image in a product's gallery."""
        return f.product_image_ids.get(product_id) or f.product_image_ids.setdefault(
            product_id, next(self._product_image_ids))

    def detach(self, f: File, product: Product) -> None:
        if f.id in product.media_ids:
            product.media_ids.remove(f.id)
        if product.id in f.product_ids:
            f.product_ids.remove(product.id)
        f.product_image_ids.pop(product.id, None)
        for variant in self.product_variants(product):
            if variant.media_id == f.id:
                variant.media_id = None

    def delete_file(self, f: File) -> None:
        for pid in list(f.product_ids):
            product = self.products.get(pid)
            if product is not None:
                self.detach(f, product)
        if self.files.pop(f.id, None) is not None:
            self._unindex_name(f)
        self.pending_downloads.pop(f.id, None)

    def file_by_gid(self, value: str) -> File | None:
        parsed = parse_gid(value)
        if parsed is None or not parsed[1].isdigit():
            return None
        f = self.files.get(int(parsed[1]))
        # Shopify answers a file under its own type name and under the
        # generic `File`/`Media` names; a MediaImage id is not a Video id.
        if f is None or parsed[0] not in (f.kind, "File", "Media"):
            return None
        return f

    def file_by_number(self, value: str) -> File | None:
        """A file by the number in any gid (gid://shopify/<anything>/N)."""
        parsed = parse_gid(value)
        if parsed is None or not parsed[1].isdigit():
            return None
        return self.files.get(int(parsed[1]))

    def product_by_gid(self, value: str) -> Product | None:
        parsed = parse_gid(value)
        if parsed is None or parsed[0] != "Product" or not parsed[1].isdigit():
            return None
        return self.products.get(int(parsed[1]))

    def variant_by_gid(self, value: str) -> Variant | None:
        parsed = parse_gid(value)
        if parsed is None or parsed[0] != "ProductVariant" or not parsed[1].isdigit():
            return None
        return self.variants.get(int(parsed[1]))

    # -- metafields ------------------------------------------------------
    def owner_metafields(self, owner_gid: str) -> dict[tuple[str, str], Metafield]:
        return self.metafields.setdefault(owner_gid, {})


def _by_id(item: Any) -> int:
    return item.id


def catalog_of(shop: Any) -> Catalog:
    """A shop's catalogue, created empty for shops made elsewhere (OAuth installs)."""
    if shop.catalog is None:
        shop.catalog = Catalog()
    return shop.catalog


def slugify(text: str) -> str:
    out = []
    dash = False
    for ch in (text or "").lower():
        if ch.isalnum():
            out.append(ch)
            dash = False
        elif not dash and out:
            out.append("-")
            dash = True
    return "".join(out).strip("-") or "product"


# -- catalogue generation -------------------------------------------------
_ADJECTIVES = ("Classic", "Modern", "Vintage", "Organic", "Premium", "Rustic", "Sleek", "Cozy", "Bold", "Urban")
_NOUNS = ("Mug", "Chair", "Lamp", "Shirt", "Backpack", "Candle", "Notebook", "Bottle", "Sneaker", "Blanket")
_VENDORS = ("Acme", "Northwind", "Globex", "Initech", "Umbrella", "Hooli")
_TYPES = ("Home", "Apparel", "Outdoor", "Stationery", "Kitchen")
_COLORS = ("Red", "Blue", "Green", "Black", "White", "Grey")


def generate(catalog: Catalog, *, products: int, variants_per_product: int = 1, seed: int = 1,
             media_per_product: int = 0, now: float | None = None) -> None:
    """Fill a catalogue with deterministic products: the same seed gives the
    same titles, SKUs and barcodes. Generated media are READY from the start
    (their processing began long ago)."""
    rng = random.Random(seed)
    now = time.time() if now is None else now
    long_ago = now - 86400
    for i in range(products):
        n = i + 1
        title = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {n}"
        product = catalog.add_product(title=title, handle=f"{slugify(title)}", vendor=rng.choice(_VENDORS),
                                      product_type=rng.choice(_TYPES),
                                      tags=[f"seed-{seed}", rng.choice(_COLORS).lower()], now=long_ago)
        for v in range(variants_per_product):
            catalog.add_variant(product, sku=f"SKU-{seed}-{n:05d}-{v + 1}",
                                barcode=f"{seed:02d}{n:07d}{v + 1:03d}",
                                title=_COLORS[v % len(_COLORS)] if variants_per_product > 1 else "Default Title",
                                price=f"{rng.randint(5, 200)}.00", now=long_ago)
        for m in range(media_per_product):
            name = f"{product.handle}-{m + 1}.jpg"
            f = catalog.add_file(kind=MEDIA_IMAGE, original_source=f"https://picsum.photos/seed/{name}",
                                 filename=name, mime_type="image/jpeg", alt=f"{title} image {m + 1}",
                                 now=long_ago)
            f.width, f.height = 1024, 1024
            catalog.attach(f, product)
