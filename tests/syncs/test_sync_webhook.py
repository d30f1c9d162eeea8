"""The sync.completed webhook: signed body, retries on failure, address checks."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from jobs.sync_webhook import DeliveryFailed, deliver_sync_completed, public_address_problem
from tests.support import bearer, connect


def test_a_finished_sync_is_posted_signed(app, client, sim_shop, receiver):
    app.config["RQ_IS_ASYNC"] = False
    shop = sim_shop(products=[{"title": "P", "variants": [{"sku": "S-1"}]}])
    connection = connect(client, shop.domain, cloud_name="acme")
    data = {"dry_run": True, "match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append",
            "settings": {"sync_completed_webhook_url": receiver.url},
            "assets": [{"public_id": "p/1", "format": "jpg", "metadata": {"sku": "S-1"}}]}
    sync_id = client.post("/bridge/v1/syncs", json=data, headers=bearer(connection["token"])).get_json()["id"]
    assert len(receiver.calls) == 1
    headers, raw = receiver.calls[0]
    expected = base64.b64encode(hmac.new(connection["signing_secret"].encode(), raw, hashlib.sha256).digest())
    assert hmac.compare_digest(headers["X-Assetlink-Hmac-Sha256"].encode(), expected)
    event = json.loads(raw)
    assert event["event"] == "sync.completed"
    status = client.get(f"/bridge/v1/syncs/{sync_id}", headers=bearer(connection["token"])).get_json()
    assert event["sync"] == status and status["status"] == "succeeded"


def test_a_failing_receiver_makes_the_job_raise_so_rq_retries(app, client, sim_shop, receiver):
    app.config["RQ_IS_ASYNC"] = False
    shop = sim_shop(products=[{"title": "P", "variants": [{"sku": "S-1"}]}])
    connection = connect(client, shop.domain, cloud_name="acme")
    receiver.answers = [500]
    data = {"dry_run": True, "match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append",
            "settings": {"sync_completed_webhook_url": receiver.url},
            "assets": [{"public_id": "p/1", "format": "jpg", "metadata": {"sku": "S-1"}}]}
    sync_id = client.post("/bridge/v1/syncs", json=data, headers=bearer(connection["token"])).get_json()["id"]
    assert len(receiver.calls) == 1  # in-process: one attempt, recorded as a failed job
    with app.app_context():
        assert deliver_sync_completed(sync_id) == "delivered"  # the retry
        receiver.answers = [503]
        with pytest.raises(DeliveryFailed):
            deliver_sync_completed(sync_id)
    first, second = receiver.calls[1][1], receiver.calls[2][1]
    assert first == second  # every attempt carries the same event


def test_private_addresses_are_refused_outside_development(app):
    assert public_address_problem("https://127.0.0.1/x") is not None
    assert public_address_problem("https://10.1.2.3/x") is not None
    assert public_address_problem("https://[::1]/x") is not None
    assert "cannot be resolved" in public_address_problem("https://no-such-host.invalid/x")


def test_public_session_refuses_a_private_peer_before_sending(receiver):
    import requests

    from jobs.public_http import public_session
    assert requests.post(receiver.url, data=b"x", timeout=5).status_code == 204  # reachable as such
    with public_session() as http, pytest.raises(requests.ConnectionError, match="non-public address"):
        http.post(receiver.url, data=b"x", timeout=5)
    assert len(receiver.calls) == 1  # the refused connection sent nothing


def test_a_name_rebound_to_a_private_address_is_refused_at_connect(app, client, sim_shop, receiver, monkeypatch):
    """DNS answers a public address to the check and 127.0.0.1 to the
    connection: the connection's own check refuses it."""
    import socket

    import jobs.public_http
    import jobs.sync_webhook
    from shopify_app.extensions import db
    from shopify_app.models import Sync

    app.config["RQ_IS_ASYNC"] = False
    shop = sim_shop(products=[{"title": "P", "variants": [{"sku": "S-1"}]}])
    connection = connect(client, shop.domain, cloud_name="acme")
    data = {"dry_run": True, "match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append",
            "assets": [{"public_id": "p/1", "format": "jpg", "metadata": {"sku": "S-1"}}]}
    sync_id = client.post("/bridge/v1/syncs", json=data, headers=bearer(connection["token"])).get_json()["id"]

    port = receiver.server.port
    real_getaddrinfo = socket.getaddrinfo

    def rebinding_dns(host, *args, **kwargs):
        if host == "hooks.example.com":
            return real_getaddrinfo("127.0.0.1", *args, **kwargs)
        return real_getaddrinfo(host, *args, **kwargs)

    refused = []
    real_checked = jobs.public_http._checked

    def spy(conn, sock):
        refused.append(sock.getpeername()[0])
        return real_checked(conn, sock)

    monkeypatch.setattr(jobs.sync_webhook, "public_address_problem", lambda url: None)  # the check saw a public IP
    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    monkeypatch.setattr(jobs.public_http, "_checked", spy)
    app.config["ASSETLINK_DEVELOPMENT"] = False
    with app.app_context():
        sync = db.session.get(Sync, sync_id)
        sync.settings = {**sync.settings, "sync_completed_webhook_url": f"https://hooks.example.com:{port}/hook"}
        db.session.commit()
        with pytest.raises(DeliveryFailed):
            deliver_sync_completed(sync_id)
    assert refused == ["127.0.0.1"] and receiver.calls == []


@pytest.mark.parametrize("host", ["0x7f.0.0.1", "0177.0.0.1", "127.1", "[::127.0.0.1]", "[::ffff:127.0.0.1]",
                                  "[64:ff9b::7f00:1]", "[2002:7f00:1::1]"])
def test_addresses_in_disguise_are_refused_at_delivery(app, client, sim_shop, receiver, host):
    """A URL stored before the rules tightened (or written into a snapshot)
    is judged again when the webhook is sent: nothing goes out."""
    from shopify_app.extensions import db
    from shopify_app.models import Sync

    app.config["RQ_IS_ASYNC"] = False
    shop = sim_shop(products=[{"title": "P", "variants": [{"sku": "S-1"}]}])
    connection = connect(client, shop.domain, cloud_name="acme")
    data = {"dry_run": True, "match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append",
            "assets": [{"public_id": "p/1", "format": "jpg", "metadata": {"sku": "S-1"}}]}
    sync_id = client.post("/bridge/v1/syncs", json=data, headers=bearer(connection["token"])).get_json()["id"]
    app.config["ASSETLINK_DEVELOPMENT"] = False
    with app.app_context():
        sync = db.session.get(Sync, sync_id)
        sync.settings = {**sync.settings, "sync_completed_webhook_url": f"https://{host}:{receiver.server.port}/h"}
        db.session.commit()
        assert deliver_sync_completed(sync_id) == "refused"
    assert receiver.calls == []
