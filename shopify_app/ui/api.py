"""The embedded admin's JSON API under /app/api.

The Settings page holds no secret in its HTML: it fetches the connection code,
connected environments and API keys from here, authenticated by the App Bridge
session token like every other call. Every query is scoped to the token's shop,
so another store's id answers 404.
"""
from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timezone
from typing import Any

from flask import Response, current_app, g, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import and_, or_, select

from .. import credentials
from ..auth.session_token import session_token_required
from ..extensions import db
from ..models import BridgeCredential, Shop, Sync, SyncItem, SyncProduct
from ..problems import Problem
from ..query_params import int_param
from ..sync_views import BatchStatus, report_csv, report_filename, report_row, report_rows, sync_status
from . import bp

LABEL_MAX_LENGTH = 100


def rfc3339(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def environment_json(credential: BridgeCredential) -> dict[str, Any]:
    return {
        "id": credential.id,
        "cloud_name": credential.cloud_name,
        "label": credential.label,
        "connected_at": rfc3339(credential.created_at),
        "last_used_at": rfc3339(credential.last_used_at),
    }


def api_key_json(credential: BridgeCredential) -> dict[str, Any]:
    return {
        "id": credential.id,
        "label": credential.label,
        "prefix": credential.prefix,
        "created_at": rfc3339(credential.created_at),
        "last_used_at": rfc3339(credential.last_used_at),
    }


def validate_label(body: Any) -> str:
    """The trimmed label of a new API key, or a 422 naming the field."""
    if not isinstance(body, dict):
        raise Problem(400, "The request body must be a JSON object such as {\"label\": \"PIM import\"}.")
    label = body.get("label")
    if not isinstance(label, str):
        raise Problem(422, "The API key needs a label.",
                      errors=[{"field": "label", "message": "Enter a label, for example \"PIM import\"."}])
    label = label.strip()
    if not label:
        raise Problem(422, "The API key needs a label.",
                      errors=[{"field": "label", "message": "Enter a label, for example \"PIM import\"."}])
    if len(label) > LABEL_MAX_LENGTH:
        raise Problem(422, f"The label is longer than {LABEL_MAX_LENGTH} characters.",
                      errors=[{"field": "label",
                               "message": f"Use at most {LABEL_MAX_LENGTH} characters ({len(label)} given)."}])
    return label


def current_shop() -> Shop:
    """The installed shop the session token speaks for; 401 otherwise.

    An uninstalled shop has no codes or keys to manage; reloading the app
    runs the install again.
    """
    shop = db.session.scalar(select(Shop).where(Shop.domain == g.session.shop))
    if shop is None or not shop.is_installed:
        raise Problem(401, "AssetLink isn't installed on this store. Reload the app to install it again.")
    return shop


def _own_credential(shop: Shop, credential_id: str, kind: str, noun: str) -> BridgeCredential:
    credential = db.session.scalar(
        select(BridgeCredential).where(BridgeCredential.id == credential_id, BridgeCredential.shop_id == shop.id,
                                       BridgeCredential.kind == kind, BridgeCredential.revoked_at.is_(None)))
    if credential is None:
        raise Problem(404, f"No such {noun} on this store.")
    return credential


@bp.get("/app/api/connection")
@session_token_required
def get_connection() -> ResponseReturnValue:
    shop = current_shop()
    code = credentials.current_code(shop)
    environments = [environment_json(c) for c in credentials.list_credentials(shop.id, "connection")]
    return jsonify(code=code, environments=environments)


@bp.post("/app/api/connection/regenerate")
@session_token_required
def regenerate_connection_code() -> ResponseReturnValue:
    shop = current_shop()
    return jsonify(code=credentials.regenerate_code(shop))


@bp.delete("/app/api/connections/<credential_id>")
@session_token_required
def disconnect_environment(credential_id: str) -> ResponseReturnValue:
    shop = current_shop()
    credential = _own_credential(shop, credential_id, "connection", "connected environment")
    credentials.revoke(credential)
    db.session.commit()
    return Response(status=204)


@bp.get("/app/api/api-keys")
@session_token_required
def list_api_keys() -> ResponseReturnValue:
    shop = current_shop()
    return jsonify([api_key_json(c) for c in credentials.list_credentials(shop.id, "api_key")])


@bp.post("/app/api/api-keys")
@session_token_required
def create_api_key() -> ResponseReturnValue:
    shop = current_shop()
    label = validate_label(request.get_json(silent=True))
    issued = credentials.create_api_key(shop, label)
    # The key and its signing secret exist in clear only in this response.
    body = {**api_key_json(issued.credential), "key": issued.token, "signing_secret": issued.signing_secret}
    return jsonify(body), 201


@bp.delete("/app/api/api-keys/<credential_id>")
@session_token_required
def revoke_api_key(credential_id: str) -> ResponseReturnValue:
    shop = current_shop()
    credential = _own_credential(shop, credential_id, "api_key", "API key")
    credentials.revoke(credential)
    db.session.commit()
    return Response(status=204)


# ---------------------------------------------------------------- sync history
# What the store's syncs, uploads and unlinks did: the Sync history page reads
# these. The status object and report rows are the bridge's own
# (shopify_app.sync_views), so the admin and Cloudinary never disagree.

HISTORY_PAGE_SIZE = 20
HISTORY_PAGE_MAX = 100
PRODUCTS_PAGE_SIZE = 100
# A report link is used at once by the page that asked for it.
REPORT_LINK_SECONDS = 60
REPORT_FORMATS = ("csv", "json")
_PRODUCT_GID = re.compile(r"^gid://shopify/Product/(\d+)$")


def encode_cursor(sync: Sync) -> str:
    """Where the next page starts: after this sync in (created_at, id) order."""
    raw = f"{sync.created_at.astimezone(timezone.utc).isoformat()}|{sync.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, sync_id = raw.split("|")
        created_at = datetime.fromisoformat(created)
        if created_at.tzinfo is None or not re.fullmatch(r"[0-9a-f]{32}", sync_id):
            raise ValueError(raw)
    except ValueError:
        raise Problem(400, "before is not a cursor this API gave out; use next_before from the previous page.",
                      errors=[{"field": "before", "message": "unknown cursor"}]) from None
    return created_at, sync_id


def product_admin_path(product_id: str | None) -> str | None:
    """`products/<numeric id>`: App Bridge resolves shopify://admin/<path>."""
    match = _PRODUCT_GID.match(product_id or "")
    return f"products/{match.group(1)}" if match else None


def admin_url(shop_domain: str, path: str | None) -> str | None:
    """The same page on admin.shopify.com, for when App Bridge isn't there to resolve it."""
    if path is None:
        return None
    store = shop_domain.removesuffix(".myshopify.com")
    return f"https://admin.shopify.com/store/{store}/{path}"


def history_json(sync: Sync) -> dict[str, Any]:
    return {**sync_status(sync, BatchStatus), "cloud_name": sync.cloud_name}


def _own_sync(shop: Shop, sync_id: str) -> Sync:
    sync = db.session.get(Sync, sync_id) if re.fullmatch(r"[0-9a-f]{32}", sync_id) else None
    if sync is None or sync.shop_id != shop.id:
        raise Problem(404, "No such sync on this store.")
    return sync


def _product_json(shop: Shop, product_id: str | None, title: str | None, status: str | None,
                  error: str | None, rows: list[dict[str, Any]]) -> dict[str, Any]:
    path = product_admin_path(product_id)
    return {"product_id": product_id, "product_title": title, "status": status, "error": error,
            "admin_path": path, "admin_url": admin_url(shop.domain, path), "rows": rows}


def product_results(shop: Shop, sync: Sync, after: int | None
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int | None]:
    """One page of the sync's products in link order, each with its report
    rows, and (on the first page) the rows no product took, such as
    unmatched assets. Also returns where the next page starts."""
    query = select(SyncProduct).where(SyncProduct.sync_id == sync.id)
    if after is not None:
        query = query.where(SyncProduct.seq > after)
    products = db.session.scalars(query.order_by(SyncProduct.seq).limit(PRODUCTS_PAGE_SIZE + 1)).all()
    more = len(products) > PRODUCTS_PAGE_SIZE
    products = products[:PRODUCTS_PAGE_SIZE]
    items = select(SyncItem).where(SyncItem.sync_id == sync.id)
    if after is not None or more:
        ids = [p.product_id for p in products]
        items = items.where(SyncItem.product_id.in_(ids) if after is not None
                            else or_(SyncItem.product_id.in_(ids), SyncItem.product_id.is_(None)))
    rows_by_product: dict[str | None, list[dict[str, Any]]] = {}
    for item in db.session.scalars(items.order_by(SyncItem.seq)):
        rows_by_product.setdefault(item.product_id, []).append(report_row(item))
    results = [_product_json(shop, p.product_id, p.product_title, p.status, p.error,
                             rows_by_product.pop(p.product_id, [])) for p in products]
    unplaced = rows_by_product.pop(None, [])
    # Rows of products the batch didn't plan (a batch kind without
    # per-product plans): listed under the product the rows name.
    for product_id, rows in rows_by_product.items():
        results.append(_product_json(shop, product_id, rows[0]["product_title"], None, None, rows))
    return results, unplaced, (products[-1].seq if more else None)


@bp.get("/app/api/syncs")
@session_token_required
def list_syncs() -> ResponseReturnValue:
    shop = current_shop()
    limit = int_param("limit", HISTORY_PAGE_SIZE, 1, HISTORY_PAGE_MAX)
    query = select(Sync).where(Sync.shop_id == shop.id)
    if (before := request.args.get("before")) is not None:
        created_at, sync_id = decode_cursor(before)
        query = query.where(or_(Sync.created_at < created_at,
                                and_(Sync.created_at == created_at, Sync.id < sync_id)))
    syncs = db.session.scalars(query.order_by(Sync.created_at.desc(), Sync.id.desc()).limit(limit + 1)).all()
    page = syncs[:limit]
    next_before = encode_cursor(page[-1]) if len(syncs) > limit else None
    return jsonify(syncs=[history_json(s) for s in page], next_before=next_before)


@bp.get("/app/api/syncs/<sync_id>")
@session_token_required
def get_sync(sync_id: str) -> ResponseReturnValue:
    shop = current_shop()
    sync = _own_sync(shop, sync_id)
    after = int_param("products_after", None, 0,
                      detail="products_after must be a product position from next_products_after.")
    products, unmatched, next_after = product_results(shop, sync, after)
    return jsonify(sync=history_json(sync), products=products, unmatched=unmatched, next_products_after=next_after)


def _report_format() -> str:
    fmt = request.args.get("format", "csv")
    if fmt not in REPORT_FORMATS:
        raise Problem(400, "format must be csv or json.", errors=[{"field": "format", "message": "must be csv or json"}])
    return fmt


def _report_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="assetlink.report-download")


@bp.post("/app/api/syncs/<sync_id>/report-link")
@session_token_required
def report_link(sync_id: str) -> ResponseReturnValue:
    """A download URL for the report that needs no Authorization header.

    The embedded page has no cookies, and a browser download (a link the
    browser follows itself) can't send the session token. So the page asks
    here, with its token, for a URL signed for this one report and format and
    valid for a minute, and lets the browser download from it: no report is
    held in page memory, the file gets the server's name, and it works where
    Blob downloads don't (Shopify's mobile app opens it in the system browser).
    """
    shop = current_shop()
    sync = _own_sync(shop, sync_id)
    fmt = _report_format()
    token = _report_signer().dumps([shop.id, sync.id, fmt])
    return jsonify(url=url_for("ui.download_report", sync_id=sync.id, format=fmt, token=token),
                   filename=report_filename(sync, fmt), expires_in=REPORT_LINK_SECONDS)


def _shop_for_signed_report(sync_id: str, fmt: str, token: str) -> Shop:
    try:
        shop_id, signed_sync, signed_format = _report_signer().loads(token, max_age=REPORT_LINK_SECONDS)
    except SignatureExpired:
        raise Problem(401, "This download link has expired. Click Download again.") from None
    except (BadSignature, ValueError, TypeError):
        raise Problem(401, "This download link isn't valid. Click Download again.") from None
    shop = db.session.get(Shop, shop_id)
    if signed_sync != sync_id or signed_format != fmt or shop is None or not shop.is_installed:
        raise Problem(401, "This download link isn't valid. Click Download again.")
    return shop


@bp.get("/app/api/syncs/<sync_id>/report")
def download_report(sync_id: str) -> ResponseReturnValue:
    """The report as a file: the bridge's rows, as CSV or JSON. Authorized by
    the session token, or by a signed link from report-link."""
    fmt = _report_format()
    token = request.args.get("token")
    shop = session_token_required(current_shop)() if token is None else _shop_for_signed_report(sync_id, fmt, token)
    sync = _own_sync(shop, sync_id)
    rows = report_rows(sync)
    body = report_csv(rows) if fmt == "csv" else json.dumps(rows, ensure_ascii=False)
    mimetype = "text/csv" if fmt == "csv" else "application/json"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{report_filename(sync, fmt)}"'})
