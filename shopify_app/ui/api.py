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
from sqlalchemy import and_, func, or_, select

from .. import credentials, json_input
from ..auth.session_token import session_token_required
from ..extensions import db
from ..batch_status import UNFINISHED, BatchStatus
from ..models import BatchRetry, BridgeCredential, Shop, Sync, SyncItem, SyncProduct, utcnow
from ..problems import Problem
from ..query_params import int_param
from ..batch_views import history_status, report_csv, report_filename, report_row, report_rows
from . import bp, run_summary

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
        "cloud_name": credential.cloud_name,
        "created_at": rfc3339(credential.created_at),
        "last_used_at": rfc3339(credential.last_used_at),
    }


def key_environment(shop_id: int, chosen: Any) -> str | None:
    """The connected Cloudinary environment a new API key delivers from: the
    one chosen, else the store's only one; None while none is connected (the
    key then uses the one connected later, credentials.delivery_cloud_name).
    With several connected a key must name one: made without, its syncs
    would be refused (422) for as long as several stay connected, and a key's
    environment can't be changed later."""
    names = credentials.connected_cloud_names(shop_id)
    if chosen is None and len(names) > 1:
        raise Problem(422, "Several Cloudinary environments are connected: choose the one this key's syncs "
                           "deliver from.",
                      errors=[{"field": "cloud_name", "message": "Connected: " + ", ".join(names)}])
    if chosen is None:
        return names[0] if names else None
    if chosen not in names:
        raise Problem(422, "Choose one of the store's connected Cloudinary environments for this key.",
                      errors=[{"field": "cloud_name", "message": "Connected: " + (", ".join(names) or "none")}])
    return str(chosen)


def validate_label(body: Any) -> str:
    """The trimmed label of a new API key, or a 422 naming the field."""
    if not isinstance(body, dict):
        raise Problem(400, "The request body must be a JSON object such as {\"label\": \"PIM import\"}.")
    label = body.get("label")
    if not isinstance(label, str):
        raise Problem(422, "The API key needs a label.",
                      errors=[{"field": "label", "message": "Enter a label, for example \"PIM import\"."}])
    label = label.strip()
    if any(ord(ch) < 0x20 or ord(ch) == 0x7f for ch in label):
        raise Problem(422, "The label can't contain control characters.",
                      errors=[{"field": "label", "message": "Use letters, digits, spaces and punctuation only."}])
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
    # Ids are 32 hex digits (models.new_id); anything else, a NUL included,
    # never reaches the query.
    if not re.fullmatch(r"[0-9a-f]{32}", credential_id):
        raise Problem(404, f"No such {noun} on this store.")
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
    body = json_input.json_body()
    label = validate_label(body)
    issued = credentials.create_api_key(shop, label, key_environment(shop.id, body.get("cloud_name")))
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
# (shopify_app.batch_views), so the admin and Cloudinary never disagree.

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


# What the admin adds to the bridge's status object of a run (_run_json).
ADMIN_KEYS = ("cloud_name", "actions", "title", "source_label", "facts", "counts", "outcome", "retry", "retried",
              "waiting_behind", "undo_of")


def history_json(sync: Sync) -> dict[str, Any]:
    return describe_runs([sync])[0]


def describe_runs(syncs: list[Sync]) -> list[dict[str, Any]]:
    """The history entries of these runs (one store's): the bridge's status
    object plus what the admin shows a merchant (run_summary): a title that
    tells runs apart, where the run came from, what it did, and, while it
    waits, why. A handful of queries for the whole page, not per run."""
    if not syncs:
        return []
    ids = [s.id for s in syncs]
    counts: dict[str, dict[str, int]] = {}
    for sync_id, action, n in db.session.execute(
            select(SyncItem.sync_id, SyncItem.action, func.count()).where(SyncItem.sync_id.in_(ids))
            .group_by(SyncItem.sync_id, SyncItem.action)):
        counts.setdefault(sync_id, {})[action] = n
    credential_ids = {s.credential_id for s in syncs if s.credential_id}
    sources = {c.id: run_summary.Source(c.kind, c.label, c.cloud_name) for c in db.session.scalars(
        select(BridgeCredential).where(BridgeCredential.id.in_(credential_ids)))} if credential_ids else {}
    retries = {r.sync_id: r for r in db.session.scalars(select(BatchRetry).where(BatchRetry.sync_id.in_(ids)))}
    head = _store_head(syncs[0].shop_id) if any(s.status in UNFINISHED for s in syncs) else None
    undone = _undone_titles(syncs)
    return [_run_json(s, counts.get(s.id, {}), sources.get(s.credential_id or ""), retries.get(s.id), head,
                      undone.get(s.id)) for s in syncs]


def _undone_titles(syncs: list[Sync]) -> dict[str, dict[str, str]]:
    """For each undo among `syncs`, the run it undoes (its request names it
    as `undo_of`): its id and title."""
    targets = {s.id: str(s.request.get("undo_of")) for s in syncs
               if s.kind == "undo" and isinstance(s.request, dict) and s.request.get("undo_of")}
    if not targets:
        return {}
    found = {t.id: run_summary.title(t.kind, t.request or {}, t.dry_run) for t in db.session.scalars(
        select(Sync).where(Sync.id.in_(set(targets.values())), Sync.shop_id == syncs[0].shop_id))}
    return {undo_id: {"id": target, "title": found[target]} for undo_id, target in targets.items()
            if target in found}


def _store_head(shop_id: int) -> Sync | None:
    """The batch the store's queued ones wait for (jobs run a store's batches
    one at a time, oldest first; see jobs.batch_dispatch.store_head)."""
    return db.session.scalars(select(Sync).where(Sync.shop_id == shop_id, Sync.status.in_(tuple(UNFINISHED)))
                              .order_by(Sync.created_at, Sync.id).limit(1)).first()


def _run_json(sync: Sync, counts: dict[str, int], source: run_summary.Source | None, retry: BatchRetry | None,
              head: Sync | None, undone: dict[str, str] | None = None) -> dict[str, Any]:
    body = history_status(sync)
    request_body = sync.request if isinstance(sync.request, dict) else {}
    waiting = None
    if sync.status == BatchStatus.QUEUED and head is not None and head.id != sync.id:
        waiting = {"id": head.id, "title": run_summary.title(head.kind, head.request or {}, head.dry_run),
                   "status": head.status}
    pending_retry = None
    if retry is not None and sync.status == BatchStatus.RUNNING and retry.retry_at >= utcnow():
        pending_retry = run_summary.retry_json(retry.attempt, retry.attempts_max, retry.reason, retry.failed_at,
                                               retry.retry_at, rfc3339)
    return {
        **body,
        "cloud_name": sync.cloud_name,
        "title": run_summary.title(sync.kind, request_body, sync.dry_run, (undone or {}).get("title")),
        # `source` (bridge | automation) is the status object's own.
        "source_label": run_summary.source_text(body, source, sync.cloud_name),
        "facts": run_summary.facts(sync.kind, request_body),
        "counts": counts,
        "outcome": run_summary.outcome(sync.kind, sync.status, sync.dry_run, counts, body["progress"]),
        "retry": pending_retry,
        "retried": ({"attempts": retry.attempt, "reason": retry.reason} if retry is not None else None),
        "waiting_behind": waiting,
        "undo_of": undone,
    }


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
    return jsonify(syncs=describe_runs(list(page)), next_before=next_before)


@bp.get("/app/api/syncs/<sync_id>")
@session_token_required
def get_sync(sync_id: str) -> ResponseReturnValue:
    shop = current_shop()
    sync = _own_sync(shop, sync_id)
    after = int_param("products_after", None, 0,
                      detail="products_after must be a product position from next_products_after.")
    products, unmatched, next_after = product_results(shop, sync, after)
    decorate = _row_decorator(shop, sync)
    for product in products:
        product["rows"] = [decorate(row) for row in product["rows"]]
    unplaced = [decorate(row) for row in unmatched]
    # An upload's rows are the files it made in Shopify Files, a clean-up's
    # the files it checked: not assets that found no product.
    files = unplaced if sync.kind in FILE_KINDS else []
    return jsonify(sync=history_json(sync), products=products, unmatched=[] if files else unplaced, files=files,
                   next_products_after=next_after)


FILE_KINDS = ("upload", "cleanup")
_FILE_GID = re.compile(r"^gid://shopify/(?:MediaImage|Video|GenericFile|Model3d)/(\d+)$")


def _row_decorator(shop: Shop, sync: Sync) -> Any:
    """Report rows as the admin shows them: the engine's reason in a
    merchant's words (the download keeps the original), the asset's
    Cloudinary thumbnail, and for a file made in Shopify Files its page in
    the admin."""
    assets = run_summary.asset_index(sync.request if isinstance(sync.request, dict) else {})
    # The report's columns leave out a file's CDN URL; an upload's page shows it.
    urls = dict(db.session.execute(select(SyncItem.media_id, SyncItem.url).where(
        SyncItem.sync_id == sync.id, SyncItem.media_id.is_not(None)), ).all()) if sync.kind in FILE_KINDS else {}

    def decorate(row: dict[str, Any]) -> dict[str, Any]:
        public_id = row.get("public_id")
        detail, media_alt, media_file = run_summary.split_media_name(row.get("detail"))
        out = {**row, "detail": run_summary.detail_words(detail), "media_alt": media_alt, "media_file": media_file,
               "thumbnail_url": run_summary.thumbnail_url(sync.cloud_name, public_id, assets.get(public_id or "") or
                                                          run_summary.asset_of_media(row.get("media_id")))}
        if sync.kind in FILE_KINDS:
            match = _FILE_GID.match(row.get("media_id") or "")
            path = f"content/files/{match.group(1)}" if match else None
            out.update(file_url=urls.get(row.get("media_id")), admin_path=path, admin_url=admin_url(shop.domain, path))
        return out
    return decorate


def _report_format() -> str:
    fmt = request.args.get("format", "csv")
    if fmt not in REPORT_FORMATS:
        raise Problem(400, "format must be csv or json.",
                      errors=[{"field": "format", "message": "must be csv or json"}])
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
