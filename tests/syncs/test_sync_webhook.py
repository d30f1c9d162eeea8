"""The sync.completed webhook: signed body, retries on failure, address checks."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from werkzeug.wrappers import Request, Response

from jobs.sync_webhook import DeliveryFailed, deliver_sync_completed, public_address_problem
from tests.bridge.conftest import bearer, connect
from tests.server_thread import ServerThread


class Receiver:
    def __init__(self):
        self.calls = []
        self.answers = []
        self.server = ServerThread(self.app).start()
        self.url = f"{self.server.base_url}/hooks/assetlink"

    @Request.application
    def app(self, request):
        self.calls.append((dict(request.headers), request.get_data()))
        return Response("", status=self.answers.pop(0) if self.answers else 204)

    def stop(self):
        self.server.stop()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


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
