"""No input makes a 500: the whole class, walked route by route.

Every route of the app is listed in ROUTES with a valid example request
(a test fails when a route is added without one). Each route then gets
hostile variants of that request:

- every string in the example body, keys included, with NUL (U+0000) or an
  unpaired surrogate (`\\ud800`) in it; every number replaced by numbers
  beyond any column (10**20, -10**20, 1e999, 2**63);
- raw bodies: lone surrogates at the top, nesting 40 and 5,000 deep, NaN,
  invalid UTF-8, an empty body, other JSON types, over 5 MB;
- every query parameter and path parameter with NUL, invalid UTF-8, a
  20-digit, a 5,000-digit and a negative number.

None may answer 5xx; JSON routes answer problem documents. Webhook bodies
are signed, so they reach the parsing behind the HMAC check.
"""
from __future__ import annotations

import copy
import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterator

import pytest
import requests
from rq import Queue
from sqlalchemy import select

from jobs import queues
from shopify_app import credentials
from shopify_app.extensions import db
from shopify_app.models import Automation, Shop, Sync, SyncProduct, utcnow
from shopify_app.webhooks import webhook_hmac
from tests.support import API_SECRET, bearer, connect, make_session_token

NUL, SURROGATE = "\x00", "\ud800"
HUGE_NUMBERS = [10**20, -10**20, 2**63]
BAD_PARAMS = ["a%00b", "%ED%A0%80", "99999999999999999999", "9" * 5000, "-1"]
BAD_PATH_PARTS = ["a%00b", "%ED%A0%80", "9" * 5000, "0" * 32]


@dataclass
class Route:
    method: str
    path: str                          # with {placeholders} for path parameters
    body: Any = None                   # a valid example body (None: the route reads none)
    params: dict[str, str] = field(default_factory=dict)
    path_params: dict[str, str] = field(default_factory=dict)
    auth: str = "bridge"               # bridge | bridge-revoked (a key of its own) | session | webhook |
    #                                    cloudinary (a signed notification) | none
    topic: str | None = None           # webhooks
    # A readiness probe answers 503 by design when not ready (here: the test
    # database is made without migrations).
    unavailable_is_an_answer: bool = False


SYNC_BODY = {"dry_run": True, "match": {"cloudinary_field": "sku", "shopify_field": "sku"},
             "link_mode": "position", "position": 2, "order_by": "sequence_number",
             "settings": {"default_transformation": "w_100", "alt_text_source": "metadata:alt",
                          "asset_type_field": "asset_type", "cache_busting": True},
             "variant_images": False, "excluded_groups": ["NONE"],
             "assets": [{"public_id": "shoes/abc-1_front", "resource_type": "image", "type": "upload",
                         "format": "jpg", "version": 1711111111, "display_name": "ABC front", "alt": "front",
                         "tags": ["red"], "context": {"custom": {"caption": "c"}},
                         "metadata": {"sku": "ABC-1", "sequence_number": 2, "asset_type": "product",
                                      "colors": ["red", "blue"]}}]}
SETTINGS_BODY = {"default_transformation": "w_1200,h_1200,c_fill", "alt_text_source": "context:alt",
                 "filename_format": "all_metadata", "video_behavior": "full_video", "asset_type_field": "kind",
                 "sync_completed_webhook_url": "https://hooks.example.com/done", "cache_busting": False}
WEBHOOK_BODIES = {
    "app/uninstalled": {"id": 1, "name": "Shop", "myshopify_domain": "{shop}", "domain": "{shop}"},
    "app/scopes_update": {"id": 1, "shop_id": 1, "previous": ["write_products"],
                          "current": ["write_products", "write_files"], "updated_at": "2026-11-01T00:00:00Z"},
    "customers/data_request": {"shop_id": 1, "shop_domain": "{shop}", "orders_requested": [1],
                               "customer": {"id": 1, "email": "a@example.com", "phone": "555"},
                               "data_request": {"id": 9}},
    "customers/redact": {"shop_id": 1, "shop_domain": "{shop}", "customer": {"id": 1, "email": "a@example.com"},
                         "orders_to_redact": [1]},
    "shop/redact": {"shop_id": 1, "shop_domain": "{shop}"},
    "products/create": {"id": 1, "admin_graphql_api_id": "gid://shopify/Product/1", "title": "Blue Shirt",
                        "handle": "blue-shirt", "variants": [{"id": 2, "sku": "ABC-1", "barcode": None}]},
    "products/update": {"id": 1, "admin_graphql_api_id": "gid://shopify/Product/1", "title": "Blue Shirt",
                        "handle": "blue-shirt", "variants": [{"id": 2, "sku": "ABC-2", "barcode": None}]},
}
AUTOMATION_BODY = {"enabled": True, "cloudinary": {"api_key": "{cld_key}", "api_secret": "{cld_secret}"},
                   "rules": [{"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append",
                              "order_by": "sequence_number", "position": None,
                              "filter": {"folder": "products/", "tags": ["red"]}, "on_delete": "unlink"}],
                   "schedule": "daily"}
NOTIFICATION_BODY = {"notification_type": "upload", "public_id": "products/abc-1_front", "version": 1711111111,
                     "resource_type": "image", "type": "upload", "timestamp": "2026-12-03T12:00:00+00:00"}

ROUTES: list[Route] = [
    Route("POST", "/bridge/v1/connect", {"connection_code": "alc_" + "A" * 32, "cloud_name": "acme",
                                          "label": "Main"}, auth="none"),
    Route("DELETE", "/bridge/v1/connection", auth="bridge-revoked"),
    Route("GET", "/bridge/v1/fields"),
    Route("GET", "/bridge/v1/links", params={"product_id": "gid://shopify/Product/1"}),
    Route("POST", "/bridge/v1/matches", {"shopify_field": "sku", "values": ["ABC-1", 42]}),
    Route("GET", "/bridge/v1/openapi.json", auth="none"),
    Route("GET", "/bridge/v1/settings"),
    Route("PUT", "/bridge/v1/settings", SETTINGS_BODY),
    Route("GET", "/bridge/v1/store"),
    Route("POST", "/bridge/v1/syncs", SYNC_BODY),
    Route("GET", "/bridge/v1/syncs", params={"limit": "5"}),
    Route("GET", "/bridge/v1/syncs/{sync_id}", path_params={"sync_id": "{sync}"}),
    Route("POST", "/bridge/v1/syncs/{sync_id}/abort", path_params={"sync_id": "{sync}"}),
    Route("GET", "/bridge/v1/syncs/{sync_id}/report", params={"format": "csv"}, path_params={"sync_id": "{sync}"}),
    Route("POST", "/bridge/v1/unlinks", {"product_ids": ["gid://shopify/Product/1"], "public_ids": ["a/b"]}),
    Route("POST", "/bridge/v1/uploads", {"assets": SYNC_BODY["assets"], "settings": {"video_behavior": "none"}}),
    Route("GET", "/bridge/v1/uploads/{upload_id}", path_params={"upload_id": "{upload}"}),
    Route("POST", "/bridge/v1/uploads/{upload_id}/abort", path_params={"upload_id": "{upload}"}),
    Route("GET", "/bridge/v1/uploads/{upload_id}/report", params={"format": "json"},
          path_params={"upload_id": "{upload}"}),
    Route("POST", "/bridge/v1/syncs/{sync_id}/undo", path_params={"sync_id": "{sync}"}),
    Route("PUT", "/bridge/v1/automation", AUTOMATION_BODY),
    Route("GET", "/bridge/v1/automation"),
    Route("GET", "/bridge/v1/automation/events", params={"limit": "5"}),
    Route("POST", "/bridge/v1/automation/notifications/{token}", NOTIFICATION_BODY, auth="cloudinary",
          path_params={"token": "{notification_token}"}),
    Route("DELETE", "/bridge/v1/automation", auth="bridge-revoked"),
    Route("GET", "/app/api/connection", auth="session"),
    Route("POST", "/app/api/connection/regenerate", auth="session"),
    Route("DELETE", "/app/api/connections/{credential_id}", auth="session",
          path_params={"credential_id": "{connection}"}),
    Route("GET", "/app/api/api-keys", auth="session"),
    Route("POST", "/app/api/api-keys", {"label": "PIM import"}, auth="session"),
    Route("DELETE", "/app/api/api-keys/{credential_id}", auth="session", path_params={"credential_id": "{api_key}"}),
    Route("GET", "/app/api/syncs", auth="session", params={"limit": "5", "before": "{cursor}"}),
    Route("GET", "/app/api/syncs/{sync_id}", auth="session", params={"products_after": "0"},
          path_params={"sync_id": "{sync}"}),
    Route("POST", "/app/api/syncs/{sync_id}/report-link", auth="session", params={"format": "csv"},
          path_params={"sync_id": "{sync}"}),
    Route("GET", "/app/api/syncs/{sync_id}/report", auth="session", params={"format": "json"},
          path_params={"sync_id": "{sync}"}),
    Route("GET", "/app/api/home", auth="session"),
    Route("POST", "/app/api/syncs/{sync_id}/abort", auth="session", path_params={"sync_id": "{sync}"}),
    Route("POST", "/app/api/syncs/{sync_id}/retry", auth="session", path_params={"sync_id": "{sync}"}),
    Route("POST", "/app/api/syncs/{sync_id}/undo", auth="session", path_params={"sync_id": "{sync}"}),
    Route("POST", "/app/api/files/cleanup", {"dry_run": True}, auth="session"),
    Route("GET", "/app/api/files/cleanup/settings", auth="session"),
    Route("PUT", "/app/api/files/cleanup/settings", {"enabled": False}, auth="session"),
    Route("GET", "/app/api/automation", auth="session"),
    Route("POST", "/app/api/automation/{automation_id}/pause", auth="session",
          path_params={"automation_id": "{automation}"}),
    Route("POST", "/app/api/automation/{automation_id}/resume", auth="session",
          path_params={"automation_id": "{automation}"}),
    Route("GET", "/app/session-relay", auth="none", params={"id_token": "x"}),
    Route("GET", "/auth/callback", auth="none", params={"shop": "{shop}", "code": "c", "state": "s",
                                                        "timestamp": "1700000000", "hmac": "00"}),
    Route("GET", "/auth/install", auth="none", params={"shop": "{shop}", "timestamp": "1700000000", "hmac": "00"}),
    Route("GET", "/auth/session-token", auth="none", params={"shop": "{shop}", "shopify-reload": "/settings"}),
    Route("GET", "/", auth="none", params={"shop": "{shop}", "embedded": "1", "host": "abc", "id_token": "x"}),
    Route("GET", "/settings", auth="none", params={"shop": "{shop}", "embedded": "1", "id_token": "x"}),
    Route("GET", "/history", auth="none", params={"shop": "{shop}", "embedded": "1", "id_token": "x"}),
    Route("GET", "/history/{sync_id}", auth="none", params={"shop": "{shop}", "embedded": "1", "id_token": "x"},
          path_params={"sync_id": "{sync}"}),
    Route("GET", "/static/{filename}", auth="none", path_params={"filename": "app.css"}),
    Route("GET", "/healthz", auth="none"),
    Route("GET", "/readyz", auth="none", unavailable_is_an_answer=True),
    Route("GET", "/metrics", auth="none"),
    *[Route("POST", "/webhooks/app", body, auth="webhook", topic=topic)
      for topic, body in WEBHOOK_BODIES.items() if topic.startswith("app/")],
    *[Route("POST", "/webhooks/compliance", body, auth="webhook", topic=topic)
      for topic, body in WEBHOOK_BODIES.items() if topic.split("/")[0] in ("customers", "shop")],
    *[Route("POST", "/webhooks/products", body, auth="webhook", topic=topic)
      for topic, body in WEBHOOK_BODIES.items() if topic.startswith("products/")],
]


# -- hostile variants ------------------------------------------------------------------------------

def _leaves(data: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _leaves(value, (*path, index))


def _replace(data: Any, path: tuple, value: Any) -> Any:
    out = copy.deepcopy(data)
    target = out
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return out


def _rename_key(data: Any, path: tuple, new_key: str) -> Any:
    out = copy.deepcopy(data)
    target = out
    for part in path[:-1]:
        target = target[part]
    target[new_key] = target.pop(path[-1])
    return out


def body_variants(body: Any) -> Iterator[tuple[str, bytes]]:
    """(label, raw body): the example with each value and key spoiled, then raw oddities."""
    for path, value in _leaves(body):
        if not path:
            continue
        if isinstance(value, str):
            for bad in (NUL, SURROGATE):
                yield f"{path} with {bad!r}", json.dumps(_replace(body, path, value + bad + "x")).encode()
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            for number in HUGE_NUMBERS:
                yield f"{path} = {number}", json.dumps(_replace(body, path, number)).encode()
            marker = "__NUMBER__"
            yield f"{path} = 1e999", json.dumps(_replace(body, path, marker)).replace(
                f'"{marker}"', "1e999").encode()
        if isinstance(path[-1], str):
            yield f"key {path} with NUL", json.dumps(_rename_key(body, path, path[-1] + NUL)).encode()
            yield f"key {path} with surrogate", json.dumps(_rename_key(body, path, path[-1] + SURROGATE)).encode()
    for key in (list(body) if isinstance(body, dict) else ["assets"]):
        base = body if isinstance(body, dict) else {}
        yield f"{key} = lone surrogate", json.dumps({**base, key: SURROGATE}).encode()
    yield '{"assets":"\\ud800"}', b'{"assets":"\\ud800"}'
    yield "nested 40 deep", json.dumps({**(body if isinstance(body, dict) else {}),
                                        "metadata": json.loads("[" * 40 + "]" * 40)}).encode()
    yield "nested 5000 deep", b"[" * 5000 + b"]" * 5000
    yield "NaN", b'{"a": NaN}'
    yield "invalid UTF-8", b'{"a": "\xff\xfe"}'
    yield "empty", b""
    yield "array", b"[1, 2]"
    yield "string", b'"x"'
    yield "null", b"null"
    yield "5000-digit number", b'{"a": ' + b"9" * 5000 + b"}"


# -- the run ---------------------------------------------------------------------------------------

@pytest.fixture
def world(app, client, sim_shop, cld, csim):
    """A connected sim store with a sync, an upload, credentials and an
    automation (on the local Cloudinary) to point the routes at."""
    app.config["BRIDGE_CONNECT_FAILURE_LIMIT"] = "1000000 per minute"
    app.config["REDIS_KEY_PREFIX"] = f"{app.config['REDIS_KEY_PREFIX']}-{uuid.uuid4().hex[:6]}"
    app.config["CLOUDINARY_API_ORIGIN"] = csim.base_url
    cld.add_field("sku")
    cld.add_field("sequence_number", "integer")
    shop = sim_shop(products=[{"title": "Blue Shirt", "handle": "blue-shirt", "variants": [{"sku": "ABC-1"}]}])
    connection = connect(client, shop.domain, cloud_name=cld.cloud_name)
    automation_values = {"{cld_key}": cld.api_key, "{cld_secret}": cld.api_secret}
    automation = client.put("/bridge/v1/automation", headers=bearer(connection["token"]),
                            json=json.loads(_fill(json.dumps(AUTOMATION_BODY), automation_values)))
    assert automation.status_code == 200, automation.get_data(as_text=True)
    with app.app_context():
        automation_id = db.session.scalars(select(Automation.id).where(Automation.shop_id == shop.shop_id)).one()
    with app.app_context():
        row = db.session.get(Shop, shop.shop_id)
        api_key = credentials.create_api_key(row, "CI").credential.id
        sync = Sync(shop_id=row.id, kind="sync", status="succeeded", created_at=utcnow())
        upload = Sync(shop_id=row.id, kind="upload", status="succeeded", created_at=utcnow())
        db.session.add_all([sync, upload])
        db.session.flush()
        db.session.add(SyncProduct(sync_id=sync.id, seq=1, product_id="gid://shopify/Product/1"))
        db.session.commit()
        ids = {"sync": sync.id, "upload": upload.id}
    from shopify_app.ui.api import encode_cursor
    with app.app_context():
        cursor = encode_cursor(db.session.get(Sync, ids["sync"]))
    values = {"{shop}": shop.domain, "{sync}": ids["sync"], "{upload}": ids["upload"],
              "{connection}": connection["connection_id"], "{api_key}": api_key, "{cursor}": cursor,
              "{automation}": automation_id,
              "{notification_token}": automation.get_json()["notification_url"].rsplit("/", 1)[1],
              **automation_values}
    def fresh_key() -> str:
        with app.app_context():
            return credentials.create_api_key(db.session.get(Shop, shop.shop_id), "revoked by the test").token

    yield {"domain": shop.domain, "token": connection["token"], "values": values, "fresh_key": fresh_key,
           "cloudinary_secret": cld.api_secret}
    connection_ = queues.redis_connection(app.config)
    for name in queues.all_queue_names(app.config):
        Queue(name, connection=connection_).empty()


def _fill(text: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


def _headers(route: Route, world: dict, raw: bytes) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if route.auth == "bridge":
        headers.update(bearer(world["token"]))
    elif route.auth == "bridge-revoked":
        headers.update(bearer(world["fresh_key"]()))
    elif route.auth == "session":
        headers["Authorization"] = "Bearer " + make_session_token(world["domain"])
    elif route.auth == "cloudinary":  # a notification, signed as Cloudinary signs them
        timestamp = str(int(time.time()))
        headers.update({"X-Cld-Timestamp": timestamp, "X-Cld-Signature": hashlib.sha1(
            raw + timestamp.encode() + world["cloudinary_secret"].encode()).hexdigest()})
    elif route.auth == "webhook":
        headers.update({"X-Shopify-Topic": route.topic or "", "X-Shopify-Shop-Domain": world["domain"],
                        "X-Shopify-Webhook-Id": str(uuid.uuid4()), "X-Shopify-API-Version": "2026-10",
                        "X-Shopify-Hmac-Sha256": webhook_hmac(raw, API_SECRET)})
    return headers


def _send(client, route: Route, world: dict, *, raw: bytes | None = None, params: dict[str, str] | None = None,
          path_params: dict[str, str] | None = None):
    values = world["values"]
    path = route.path
    for name, value in (path_params if path_params is not None else route.path_params).items():
        path = path.replace("{" + name + "}", _fill(value, values))
    query = "&".join(f"{k}={_fill(v, values)}" for k, v in (params if params is not None else route.params).items())
    if raw is None:
        raw = json.dumps(json.loads(_fill(json.dumps(route.body), values))).encode() if route.body is not None else b""
    headers = _headers(route, world, raw)
    response = client.open(path + ("?" + query if query else ""), method=route.method, headers=headers, data=raw)
    response.get_data()  # buffered, so the file of a static response can be closed
    response.close()
    return response


def _check(response, label: str, failures: list[str]) -> None:
    if response.status_code >= 500:
        failures.append(f"{label}: {response.status_code} {response.get_data(as_text=True)[:200]}")


def test_every_route_is_covered(app):
    listed = {(r.method, r.path) for r in ROUTES}
    routes = set()
    for rule in app.url_map.iter_rules():
        path = rule.rule.replace("<path:", "<").replace("<", "{").replace(">", "}")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            routes.add((method, path))
    assert routes - listed == set(), "add the new route to ROUTES"


def test_the_examples_are_valid(app, client, world):
    """The hostile variants start from requests the app accepts."""
    for route in ROUTES:
        response = _send(client, route, world)
        allowed = (503,) if route.unavailable_is_an_answer else ()
        assert response.status_code < 500 or response.status_code in allowed, (
            route.method, route.path, response.get_data(as_text=True)[:300])
        if route.path in ("/bridge/v1/syncs", "/bridge/v1/uploads", "/bridge/v1/unlinks") and route.method == "POST":
            assert response.status_code in (200, 202), response.get_data(as_text=True)
        if route.path == "/bridge/v1/settings" and route.method == "PUT":
            assert response.status_code == 200, response.get_data(as_text=True)
        if route.auth == "webhook":
            assert response.status_code == 200, (route.topic, response.get_data(as_text=True))


@pytest.mark.parametrize("route", [r for r in ROUTES if r.method in ("POST", "PUT")],
                         ids=lambda r: f"{r.method} {r.path} {r.topic or ''}".strip())
def test_no_body_makes_a_500(app, client, world, route):
    failures: list[str] = []
    example = json.loads(_fill(json.dumps(route.body if route.body is not None else {"a": "b", "n": 1}),
                               world["values"]))
    for label, raw in body_variants(example):
        response = _send(client, route, world, raw=raw)
        _check(response, label, failures)
        if route.path.startswith(("/bridge/", "/app/api/")) and response.status_code >= 400:
            assert response.mimetype == "application/problem+json", (label, response.status_code)
    big = b'{"a": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    _check(_send(client, route, world, raw=big), "over 5 MB", failures)
    assert failures == []


@pytest.mark.parametrize("route", [r for r in ROUTES if r.params or r.path_params],
                         ids=lambda r: f"{r.method} {r.path}")
def test_no_parameter_makes_a_500(app, client, world, route):
    failures: list[str] = []
    for name in route.params:
        for bad in BAD_PARAMS:
            response = _send(client, route, world, params={**route.params, name: bad})
            _check(response, f"?{name}={bad[:30]}", failures)
    for name in route.path_params:
        for bad in BAD_PATH_PARTS:
            response = _send(client, route, world, path_params={**route.path_params, name: bad})
            _check(response, f"{{{name}}}={bad[:30]}", failures)
    assert failures == []


# -- the three reproductions of issue 15.2, named ------------------------------------------------------

@pytest.mark.parametrize("path", ["/bridge/v1/syncs", "/bridge/v1/uploads", "/bridge/v1/unlinks"])
def test_a_lone_surrogate_is_422_not_500(client, world, path):
    response = client.post(path, data=b'{"assets":"\\ud800"}',
                           headers={**bearer(world["token"]), "Content-Type": "application/json"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["errors"] == [{"field": "assets", "message": "must not contain an unpaired surrogate "
                                                            "(U+D800-U+DFFF)"}]


def test_products_after_beyond_an_integer_is_400(client, world):
    response = client.get(f"/app/api/syncs/{world['values']['{sync}']}?products_after=99999999999999999999",
                          headers={"Authorization": "Bearer " + make_session_token(world["domain"])})
    assert response.status_code == 400
    assert response.get_json()["errors"] == [{"field": "products_after",
                                              "message": "must be an integer from 0 to 2147483647"}]


def test_a_nul_in_an_api_key_label_is_422(app, client, world):
    response = client.post("/app/api/api-keys", json={"label": "PIM\x00import"},
                           headers={"Authorization": "Bearer " + make_session_token(world["domain"])})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "label"
    with app.app_context():
        labels = db.session.scalars(db.select(credentials.BridgeCredential.label)).all()
    assert not any("PIM" in (label or "") for label in labels)  # nothing half-written



# -- 15.3, the door: what would poison a batch is refused before it is stored ---------------------------

def _poisoned(asset_changes: dict) -> dict:
    body = copy.deepcopy(SYNC_BODY)
    body["dry_run"] = False
    body["assets"][0].update(asset_changes)
    return body


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return value


@pytest.mark.parametrize("changes, field", [
    ({"metadata": {"sku": "NOPE\x00X"}}, "assets[0].metadata.sku"),
    ({"context": {"deep": _nested(500)}}, None),
    ({"metadata": {"deep": _nested(900)}}, None),
    ({"metadata": {"sku": [["x"] * 2] * 2, "deep": _nested(40)}}, None),
    ({"version": 2**63}, "assets[0].version"),
], ids=["nul", "context-500-deep", "metadata-900-deep", "40-deep", "version-beyond-bigint"])
@pytest.mark.parametrize("path", ["/bridge/v1/syncs", "/bridge/v1/uploads"])
def test_poison_batches_are_refused_at_the_door(app, client, world, changes, field, path):
    body = _poisoned(changes)
    if path.endswith("uploads"):
        body = {"assets": body["assets"]}
    response = client.post(path, data=json.dumps(body), headers={**bearer(world["token"]),
                                                                "Content-Type": "application/json"})
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    problem = response.get_json()
    if field:
        assert [e["field"] for e in problem["errors"]] == [field]
    else:
        assert problem["limit"] == "nesting depth 32"
        assert problem["errors"][0]["field"].startswith("assets[0].")
    with app.app_context():
        # Nothing stored: only the two batches the fixture made.
        assert db.session.scalar(db.select(db.func.count()).select_from(Sync)) == 2


def test_a_body_at_the_depth_limit_is_accepted(client, world):
    # assets[0].metadata.deep is at depth 4; 28 more levels make 32.
    body = _poisoned({"metadata": {"sku": "ABC-1", "deep": _nested(28)}})
    response = client.post("/bridge/v1/syncs", json=body, headers=bearer(world["token"]))
    assert response.status_code == 202, response.get_data(as_text=True)[:300]


def test_a_number_beyond_a_double_is_422(client, world):
    raw = json.dumps(_poisoned({"metadata": {"sku": "ABC-1", "sequence_number": "__N__"}})).replace('"__N__"', "1e999")
    response = client.post("/bridge/v1/syncs", data=raw, headers={**bearer(world["token"]),
                                                                  "Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "assets[0].metadata.sequence_number"


def _chunked_post(base_url: str, world: dict, raw: bytes):
    """POST with Transfer-Encoding: chunked (a generator body), over real HTTP:
    werkzeug's server then passes no Content-Length, as gunicorn does."""
    def chunks():
        for start in range(0, len(raw), 1 << 20):
            yield raw[start:start + (1 << 20)]
    return requests.post(base_url + "/bridge/v1/syncs", data=chunks(), timeout=120,
                         headers={**bearer(world["token"]), "Content-Type": "application/json"})


def test_a_chunked_body_over_5_mb_is_413(app, server, world):
    limit = app.config["MAX_CONTENT_LENGTH"]
    padding = b" " * (limit - 2)
    over = _chunked_post(server, world, b"{" + padding + b" }")  # limit + 1 bytes
    assert over.request.headers["Transfer-Encoding"] == "chunked" and "Content-Length" not in over.request.headers
    assert over.status_code == 413, over.text[:200]
    assert over.json()["limit"] == "5 MB"
    exactly = _chunked_post(server, world, b"{" + padding + b"}")  # a whole body of exactly 5 MB
    assert exactly.status_code == 422  # parsed whole (an empty object lacks the required fields)
    assert {e["field"] for e in exactly.json()["errors"]} >= {"match", "assets"}
