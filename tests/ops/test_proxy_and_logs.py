"""Behind a load balancer (TRUSTED_PROXIES) and what the logs say."""
from __future__ import annotations

import io
import json
import logging
import uuid

import pytest

from shopify_app import logs
from tests.support import make_session_token


@pytest.fixture
def proxied(make_app):
    def make(n: int):
        return make_app(TRUSTED_PROXIES=n, BRIDGE_CONNECT_FAILURE_LIMIT="3 per 10 minutes")
    return make


def _remote_addr(app, headers, remote="10.0.0.2"):
    seen = {}

    @app.get("/_test/addr")
    def _addr():
        from flask import request
        seen["addr"] = request.remote_addr
        seen["scheme"] = request.scheme
        return "ok"

    app.test_client().get("/_test/addr", headers=headers, environ_base={"REMOTE_ADDR": remote})
    return seen


def test_no_trusted_proxy_ignores_forwarded_headers(proxied):
    seen = _remote_addr(proxied(0), {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"})
    assert seen == {"addr": "10.0.0.2", "scheme": "http"}


def test_one_proxy_takes_the_address_it_appended_not_the_clients_forgery(proxied):
    # The client forged "1.2.3.4"; the load balancer appended the address it saw.
    seen = _remote_addr(proxied(1), {"X-Forwarded-For": "1.2.3.4, 198.51.100.7", "X-Forwarded-Proto": "https"})
    assert seen == {"addr": "198.51.100.7", "scheme": "https"}


def test_two_proxies_count_from_the_right(proxied):
    seen = _remote_addr(proxied(2), {"X-Forwarded-For": "1.2.3.4, 198.51.100.7, 10.1.1.1"})
    assert seen["addr"] == "198.51.100.7"


def test_connect_rate_limit_counts_the_real_client_whatever_it_forges(proxied):
    app = proxied(1)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.2"  # the load balancer
    attacker = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    statuses = []
    for i in range(5):
        # A fresh forged address each time: it must not reset the count.
        response = client.post("/bridge/v1/connect", json={"connection_code": "alc_" + "x" * 32, "cloud_name": "c"},
                               headers={"X-Forwarded-For": f"203.0.113.{i}, {attacker}"})
        statuses.append(response.status_code)
    assert statuses == [401, 401, 401, 429, 429]
    # Another client behind the same load balancer is not locked out.
    other = client.post("/bridge/v1/connect", json={"connection_code": "alc_" + "x" * 32, "cloud_name": "c"},
                        headers={"X-Forwarded-For": f"198.51.101.{uuid.uuid4().int % 250 + 1}"})
    assert other.status_code == 401


def _capture(app) -> io.StringIO:
    stream = io.StringIO()
    logs.configure({**app.config, "LOG_FORMAT": "json"}, stream=stream)
    return stream


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.fixture
def captured():
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    streams = []

    def capture(app):
        stream = _capture(app)
        streams.append(stream)
        return stream
    yield capture
    for handler in list(root.handlers):
        if handler not in before[0]:
            root.removeHandler(handler)
    root.setLevel(before[1])


def test_access_line_is_json_with_request_id_and_no_query_string(app, captured, make_shop):
    make_shop("acme.myshopify.com")
    stream = captured(app)
    token = make_session_token("acme.myshopify.com")
    response = app.test_client().get(f"/app/api/connection?id_token={token}&hmac=abc123",
                                     headers={"Authorization": f"Bearer {token}", "X-Request-Id": "req-1234567890"})
    assert response.status_code == 200
    assert response.headers["X-Request-Id"] == "req-1234567890"
    access = [line for line in _lines(stream) if line["logger"] == "shopify_app.access"]
    assert access[-1]["message"] == "GET /app/api/connection 200"
    assert access[-1]["request_id"] == "req-1234567890"
    assert access[-1]["shop"] == "acme.myshopify.com"
    assert access[-1]["http"]["route"] == "/app/api/connection" and access[-1]["http"]["status"] == 200
    assert token not in stream.getvalue() and "abc123" not in stream.getvalue()


def test_a_malformed_request_id_is_replaced(app):
    response = app.test_client().get("/healthz", headers={"X-Request-Id": "bad id; DROP <script>"})
    assert response.headers["X-Request-Id"] != "bad id; DROP <script>"
    assert len(response.headers["X-Request-Id"]) == 32


def test_request_id_shop_and_batch_go_into_the_job_meta(app, make_shop):
    from jobs import queues
    shop_id = make_shop("acme.myshopify.com")
    with app.test_request_context("/x"):
        from flask import g
        g.request_id = "req-abcdefgh"
        g.shop_domain = "acme.myshopify.com"
        meta = queues.job_meta(queues.JOBS["jobs.sync_job.run_sync"], ("sync123",), {"shop_id": shop_id})
    assert meta == {"request_id": "req-abcdefgh", "shop": "acme.myshopify.com", "batch_id": "sync123",
                    "shop_id": shop_id}
    # Handed over at the end of the store's previous batch (no request): that
    # batch's request id is not this one's.
    with app.app_context(), logs.bound(request_id="req-previous1", shop="acme.myshopify.com"):
        meta = queues.job_meta(queues.JOBS["jobs.sync_job.run_sync"], ("sync124",), None)
    assert meta == {"shop": "acme.myshopify.com", "batch_id": "sync124"}


@pytest.mark.parametrize("line, secret", [
    ('GET /?id_token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl&shop=a.myshopify.com HTTP/1.1', "eyJ"),
    ("callback ?code=0123456789abcdef&hmac=deadbeefdeadbeef&shop=x", "0123456789abcdef"),
    ("Authorization: Bearer alt_Zm9vYmFyYmF6cXV4cXV1eA", "alt_Zm9v"),
    ("connection code alc_AAAABBBBCCCCDDDDEEEE", "AAAABBBB"),
    ("key alk_ABCDEFGHIJKLMNOPQRSTUV", "ABCDEFGHIJKLMNOP"),
    ("secret als_ABCDEFGHIJKLMNOPQRSTUV", "ABCDEFGHIJKLMNOP"),
    ("token shpat_0123456789abcdef0123456789abcdef", "0123456789abcdef0123"),
    ('{"access_token": "opaque-token-value", "scope": "write_products"}', "opaque-token-value"),
    ("X-Shopify-Access-Token: opaque-token-value", "opaque-token-value"),
    ("X-Shopify-Hmac-Sha256: c2lnbmF0dXJlIGJ5dGVz", "c2lnbmF0dXJlIGJ5dGVz"),
    ("cloudinary://123456789:AbCdEfGhIjKlMnOp@demo", "AbCdEfGhIjKlMnOp"),
    ("postgresql://app:s3cr3t-pw@db.internal/assetlink", "s3cr3t-pw"),
])
def test_redaction_removes_each_kind_of_secret(line, secret):
    assert secret not in logs.redact(line)


def test_redaction_keeps_what_is_not_secret():
    line = "GET /bridge/v1/syncs/abc 200 shop=acme.myshopify.com key prefix alk_12345678 sku=TR-BLK-9"
    assert logs.redact(line) == line


def test_the_deployments_own_secrets_are_redacted(app, captured):
    stream = captured(app)
    logging.getLogger("shopify_app.test").warning("oops %s %s", app.config["SHOPIFY_API_SECRET"],
                                                  app.config["TOKEN_ENCRYPTION_KEY"])
    out = stream.getvalue()
    assert app.config["SHOPIFY_API_SECRET"] not in out and app.config["TOKEN_ENCRYPTION_KEY"] not in out
    assert "[redacted]" in out


def test_the_log_audit_finds_what_redaction_would_have_removed():
    from tests.log_audit import find_leaks
    token = make_session_token("acme.myshopify.com")
    raw = [f'127.0.0.1 - - "GET /?shop=acme.myshopify.com&id_token={token} HTTP/1.1" 200 -',
           "connected with alt_Zm9vYmFyYmF6cXV4cXV1eEZvbw", "secret was test-client-secret-0123456789abcdef"]
    assert len(find_leaks(raw, ["test-client-secret-0123456789abcdef"])) >= 3
    assert find_leaks([logs.redact(line) for line in raw], []) == []


def test_an_outage_is_logged_as_one_line_not_a_traceback(app, captured):
    import redis
    stream = captured(app)
    try:
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")
    except redis.exceptions.ConnectionError:
        logging.getLogger("flask-limiter").exception("Failed to rate limit. Swallowing error")
    try:
        raise ValueError("a bug")
    except ValueError:
        logging.getLogger("shopify_app.test").exception("unexpected")
    outage, bug = _lines(stream)[-2:]
    assert outage["message"] == ("Failed to rate limit. Swallowing error (ConnectionError: Error 111 connecting to "
                                 "127.0.0.1:6399. Connection refused.)")
    assert "exc_info" not in outage
    assert "Traceback" in bug["exc_info"]
