"""Control API for shops: create them with a catalogue, read their whole
state, watch the request log, inject faults. Used by tests and by a developer
driving the simulator by hand; documented in README.md."""
from __future__ import annotations

import re
import time
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from . import faults as faults_mod
from . import processing
from .catalog import MEDIA_IMAGE, Catalog, catalog_of, generate, iso
from .state import Shop
from .throttle import PLAN_ALIASES, PLANS

bp = Blueprint("control_shops", __name__, url_prefix="/_sim/shops")

DOMAIN_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
MAX_GENERATED_PRODUCTS = 100_000


class BadRequest(ValueError):
    def __init__(self, detail: str, status: int = 422) -> None:
        super().__init__(detail)
        self.detail, self.status = detail, status


def problem(status: int, detail: str) -> Response:
    titles = {400: "Bad Request", 404: "Not Found", 409: "Conflict", 422: "Unprocessable Content"}
    response = jsonify({"type": "about:blank", "title": titles.get(status, "Error"), "status": status,
                        "detail": detail})
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


@bp.errorhandler(BadRequest)
def _bad_request(exc: BadRequest) -> Response:
    return problem(exc.status, exc.detail)


def _state() -> Any:
    from . import get_state
    return get_state()


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.", 400)
    return body


def _shop(domain: str) -> Shop:
    shop = _state().shops.get(domain)
    if shop is None:
        raise BadRequest(f"No shop {domain}.", 404)
    return shop


def _now() -> float:
    clock = current_app.config.get("SIM_CLOCK")
    return float(clock()) if callable(clock) else time.time()


def _str(value: Any, name: str, default: str = "") -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string.")
    return value


# -- seeding ---------------------------------------------------------------
def add_products(catalog: Catalog, specs: Any, now: float) -> int:
    """Add products from their control-API JSON; validates all before adding any."""
    if not isinstance(specs, list):
        raise BadRequest("'products' must be a list.")
    for i, spec in enumerate(specs):
        if not isinstance(spec, dict) or not isinstance(spec.get("title"), str) or not spec["title"].strip():
            raise BadRequest(f"products[{i}] needs a non-empty 'title'.")
        for key in ("handle", "vendor", "product_type", "status"):
            _str(spec.get(key), f"products[{i}].{key}")
        tags = spec.get("tags", [])
        if isinstance(tags, str):
            tags = [t.strip() for t in tags.split(",")]
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise BadRequest(f"products[{i}].tags must be a list of strings.")
        spec["_tags"] = tags
        variants = spec.get("variants", [{}])
        if not isinstance(variants, list) or not all(isinstance(v, dict) for v in variants):
            raise BadRequest(f"products[{i}].variants must be a list of objects.")
        media = spec.get("media", [])
        if not isinstance(media, list) or not all(isinstance(m, dict) and isinstance(m.get("src"), str)
                                                  for m in media):
            raise BadRequest(f"products[{i}].media must be a list of objects with 'src'.")
        if len(media) > 250:
            raise BadRequest(f"products[{i}] has {len(media)} media; a product holds at most 250.")
    seeded_at = now - 3600  # seeded media finished processing long ago
    for spec in specs:
        product = catalog.add_product(title=spec["title"], handle=spec.get("handle") or "",
                                      vendor=spec.get("vendor") or "", product_type=spec.get("product_type") or "",
                                      tags=spec["_tags"], status=(spec.get("status") or "ACTIVE").upper(), now=now)
        for v in spec.get("variants") or [{}]:
            catalog.add_variant(product, sku=str(v.get("sku") or ""), barcode=str(v.get("barcode") or ""),
                                title=str(v.get("title") or ""), price=str(v.get("price") or "0.00"), now=now)
        for m in spec.get("media") or []:
            src = m["src"]
            name = src.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or "image.jpg"
            f = catalog.add_file(kind=MEDIA_IMAGE, original_source=src, filename=name, mime_type="image/jpeg",
                                 alt=str(m.get("alt") or ""), now=seeded_at)
            catalog.attach(f, product)
    return len(specs)


def generate_products(catalog: Catalog, spec: Any, now: float) -> int:
    if not isinstance(spec, dict):
        raise BadRequest("'generate' must be an object.")
    values = {}
    for key, default, upper in (("products", None, MAX_GENERATED_PRODUCTS), ("variants_per_product", 1, 100),
                                ("seed", 1, 10**9), ("media_per_product", 0, 250)):
        value = spec.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value > upper:
            raise BadRequest(f"generate.{key} must be an integer between 0 and {upper}.")
        values[key] = value
    generate(catalog, products=values["products"], variants_per_product=values["variants_per_product"],
             seed=values["seed"], media_per_product=values["media_per_product"], now=now)
    return values["products"]


@bp.post("")
def create_shop() -> Response:
    body = _body()
    domain = _str(body.get("domain"), "domain").strip().lower()
    if not DOMAIN_RE.match(domain):
        raise BadRequest("'domain' must be a shop domain like example.myshopify.com.")
    plan = _str(body.get("plan"), "plan", "standard").lower()
    if plan not in PLANS and plan not in PLAN_ALIASES:
        raise BadRequest(f"'plan' must be one of {', '.join(sorted(set(PLANS) | set(PLAN_ALIASES)))}.")
    state = _state()
    with state.lock:
        existing = state.shops.get(domain)
        if existing is not None and not body.get("replace"):
            raise BadRequest(f"Shop {domain} exists; pass \"replace\": true to start it afresh.", 409)
        started = time.time()
        now = _now()
        catalog = Catalog()
        count = add_products(catalog, body.get("products", []), now)
        if body.get("generate") is not None:
            count += generate_products(catalog, body["generate"], now)
        shop = Shop(domain=domain, name=_str(body.get("name"), "name", domain.split(".")[0].replace("-", " ").title()),
                    plan=plan, email=_str(body.get("email"), "email", f"owner@{domain}"),
                    currency=_str(body.get("currency"), "currency", "USD"))
        if existing is not None:
            shop.installed_apps = existing.installed_apps
        shop.catalog = catalog
        state.shops[domain] = shop
        elapsed = time.time() - started
    response = jsonify({"domain": domain, "plan": plan, "products": count, "variants": len(catalog.variants),
                        "files": len(catalog.files), "seconds": round(elapsed, 3)})
    response.status_code = 201
    return response


@bp.get("")
def list_shops() -> Response:
    state = _state()
    with state.lock:
        return jsonify([{"domain": s.domain, "plan": s.plan,
                         "products": len(s.catalog.products) if s.catalog else 0}
                        for s in state.shops.values()])


@bp.post("/<domain>/products")
def post_products(domain: str) -> Response:
    body = _body()
    state = _state()
    with state.lock:
        shop = _shop(domain)
        catalog = catalog_of(shop)
        now = _now()
        count = add_products(catalog, body.get("products", []), now)
        if body.get("generate") is not None:
            count += generate_products(catalog, body["generate"], now)
    response = jsonify({"added": count, "products": len(catalog.products)})
    response.status_code = 201
    return response


@bp.delete("/<domain>")
def delete_shop(domain: str) -> Response:
    state = _state()
    with state.lock:
        _shop(domain)
        del state.shops[domain]
    return Response(status=204)


# -- reading state ---------------------------------------------------------
def file_state(shop: Shop, f: Any, now: float, delay: float) -> dict[str, Any]:
    return {
        "id": f.gid, "kind": f.kind, "filename": f.filename, "alt": f.alt,
        "status": processing.status(f, now, delay), "errors": processing.errors(f, now, delay),
        "originalSource": f.original_source, "url": processing.current_url(shop, f, now, delay),
        "mimeType": f.mime_type, "size": f.original_file_size,
        "products": [f"gid://shopify/Product/{p}" for p in f.product_ids],
        "createdAt": iso(f.created_at), "updatedAt": iso(f.updated_at),
    }


def shop_state(shop: Shop, now: float, delay: float, *, include_requests: bool = True) -> dict[str, Any]:
    catalog = catalog_of(shop)
    processing.settle_jobs(catalog, now)
    products = []
    for p in catalog.products.values():
        products.append({
            "id": p.gid, "title": p.title, "handle": p.handle, "vendor": p.vendor, "productType": p.product_type,
            "tags": list(p.tags), "status": p.status, "updatedAt": iso(p.updated_at),
            "variants": [{"id": v.gid, "title": v.title, "sku": v.sku, "barcode": v.barcode, "position": v.position,
                          "media": catalog.files[v.media_id].gid if v.media_id in catalog.files else None}
                         for v in catalog.product_variants(p)],
            # The gallery in display order.
            "media": [{"position": i, "id": f.gid, "kind": f.kind, "alt": f.alt, "filename": f.filename,
                       "status": processing.status(f, now, delay)}
                      for i, f in enumerate(catalog.product_media(p))],
        })
    out = {
        "domain": shop.domain, "name": shop.name, "plan": shop.plan, "email": shop.email, "currency": shop.currency,
        "installedApps": sorted(shop.installed_apps),
        "products": products,
        "files": [file_state(shop, f, now, delay) for f in catalog.files.values()],
        "metafields": [{"id": m.gid, "ownerId": owner, "namespace": m.namespace, "key": m.key, "type": m.type,
                        "value": m.value, "updatedAt": iso(m.updated_at)}
                       for owner, by_key in catalog.metafields.items() for m in by_key.values()],
        "metafieldDefinitions": [{"id": d.gid, "namespace": d.namespace, "key": d.key, "name": d.name,
                                  "ownerType": d.owner_type, "type": d.type} for d in catalog.metafield_definitions],
        "jobs": [{"id": j.gid, "done": now >= j.done_at, "createdAt": iso(j.created_at)}
                 for j in catalog.jobs.values()],
        "stagedUploads": [{"id": u.id, "resource": u.resource, "filename": u.filename, "mimeType": u.mime_type,
                           "declaredSize": u.file_size, "uploadedBytes": len(u.data) if u.data is not None else None}
                          for u in catalog.staged_uploads.values()],
        "faults": catalog.faults.as_json(),
        "throttle": {client: bucket.status(now) for client, bucket in shop.buckets.items()},
    }
    if include_requests:
        out["requests"] = list(shop.request_log)
    return out


def _delay() -> float:
    return float(current_app.config.get("SIM_PROCESSING_DELAY", 0.5))


@bp.get("/<domain>")
def get_shop(domain: str) -> Response:
    state = _state()
    with state.lock:
        shop = _shop(domain)
    processing.wait_for_due_downloads(state, shop, _now(), _delay())
    with state.lock:
        return jsonify(shop_state(_shop(domain), _now(), _delay()))


@bp.get("/<domain>/products/<int:product_id>")
def get_product(domain: str, product_id: int) -> Response:
    """One product's state (cheaper than the whole shop on big catalogues)."""
    state = _state()
    with state.lock:
        shop = _shop(domain)
    processing.wait_for_due_downloads(state, shop, _now(), _delay())
    with state.lock:
        shop = _shop(domain)
        catalog = catalog_of(shop)
        p = catalog.products.get(product_id)
        if p is None:
            raise BadRequest(f"No product {product_id} in {domain}.", 404)
        now, delay = _now(), _delay()
        return jsonify({
            "id": p.gid, "title": p.title, "handle": p.handle,
            "variants": [{"id": v.gid, "sku": v.sku, "barcode": v.barcode,
                          "media": catalog.files[v.media_id].gid if v.media_id in catalog.files else None}
                         for v in catalog.product_variants(p)],
            "media": [{"position": i, **file_state(shop, f, now, delay)}
                      for i, f in enumerate(catalog.product_media(p))],
        })


@bp.get("/<domain>/requests")
def get_requests(domain: str) -> Response:
    state = _state()
    with state.lock:
        return jsonify(list(_shop(domain).request_log))


@bp.post("/<domain>/requests/clear")
def clear_requests(domain: str) -> Response:
    state = _state()
    with state.lock:
        _shop(domain).request_log.clear()
    return Response(status=204)


# -- faults ----------------------------------------------------------------
@bp.post("/<domain>/faults")
def post_faults(domain: str) -> Response:
    body = request.get_json(silent=True)
    specs = body if isinstance(body, list) else [body]
    state = _state()
    with state.lock:
        catalog = catalog_of(_shop(domain))
        staged = faults_mod.Faults()
        try:
            for spec in specs:
                faults_mod.add(staged, spec)
        except faults_mod.FaultError as exc:
            raise BadRequest(str(exc)) from None
        catalog.faults.requests.extend(staged.requests)
        catalog.faults.files.extend(staged.files)
        response = jsonify(catalog.faults.as_json())
    response.status_code = 201
    return response


@bp.get("/<domain>/faults")
def get_faults(domain: str) -> Response:
    state = _state()
    with state.lock:
        return jsonify(catalog_of(_shop(domain)).faults.as_json())


@bp.post("/<domain>/faults/clear")
def clear_faults(domain: str) -> Response:
    state = _state()
    with state.lock:
        catalog_of(_shop(domain)).faults = faults_mod.Faults()
    return Response(status=204)
