"""The notification_url: Cloudinary's signature (SHA-1 and SHA-256), the
two-hour window, forgeries refused with 401 and recorded, unknown or
disabled automations 404, repeats done once, the answer immediate."""
from __future__ import annotations

import time

import pytest

from shopify_app.extensions import db
from shopify_app.models import AutomationEvent
from tests.automation.support import notification, sign
from tests.support import bearer

UPLOAD = notification("upload", asset_id="a1", public_id="shoes/abc-1_front", resource_type="image", type="upload",
                      version=1711111111)


@pytest.fixture
def store(automated):
    return automated([{"title": "Shoe", "variants": [{"sku": "ABC-1"}]}])


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
def test_a_signed_notification_is_accepted_and_queued(store, algorithm):
    started = time.monotonic()
    response = store.notify(UPLOAD, algorithm=algorithm)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert time.monotonic() - started < 1.0
    assert response.get_json() == {"outcome": "queued"}
    [event] = store.events()
    assert event["type"] == "upload" and event["outcome"] == "queued" and event["pending"]
    assert event["public_ids"] == ["shoes/abc-1_front"]


def test_the_sdk_verifies_what_the_app_accepts(store, sdk_secret):
    """The signature the tests compute is the one the cloudinary SDK verifies."""
    import cloudinary.utils
    ts = int(time.time())
    sdk_secret(store.cld.api_secret)
    assert cloudinary.utils.verify_notification_signature(UPLOAD.decode(), ts, sign(UPLOAD, ts, store.cld.api_secret))


def test_forgeries_are_refused_and_recorded(store):
    now = int(time.time())
    good = sign(UPLOAD, now, store.cld.api_secret)
    forged = {
        "wrong secret": store.notify(UPLOAD, secret="guessed-secret"),
        "changed body": store.notify(UPLOAD.replace(b"abc-1", b"abc-2"),
                                     headers={"X-Cld-Timestamp": str(now), "X-Cld-Signature": good}),
        "old timestamp": store.notify(UPLOAD, timestamp=now - 7201),
        "future timestamp": store.notify(UPLOAD, timestamp=now + 3600),
        "no signature": store.notify(UPLOAD, headers={"X-Cld-Timestamp": str(now)}),
        "no timestamp": store.notify(UPLOAD, headers={"X-Cld-Signature": good}),
        "no headers": store.notify(UPLOAD, headers={}),
        "not hex": store.notify(UPLOAD, headers={"X-Cld-Timestamp": str(now), "X-Cld-Signature": "z" * 40}),
        "timestamp moved": store.notify(UPLOAD, headers={"X-Cld-Timestamp": str(now - 1), "X-Cld-Signature": good}),
    }
    assert {name: r.status_code for name, r in forged.items()} == dict.fromkeys(forged, 401)
    assert all(r.mimetype == "application/problem+json" for r in forged.values())
    events = store.events()
    assert len(events) == len(forged) and {e["outcome"] for e in events} == {"rejected"}
    # within the window, a timestamp near its end is still fine
    assert store.notify(UPLOAD, timestamp=now - 7000).status_code == 200


def test_unknown_and_disabled_automations_are_404(store, client):
    assert client.post("/bridge/v1/automation/notifications/" + "x" * 32, data=UPLOAD).status_code == 404
    assert client.post("/bridge/v1/automation/notifications/%00", data=UPLOAD).status_code == 404
    assert client.delete("/bridge/v1/automation", headers=bearer(store.token)).status_code == 204
    assert store.notify(UPLOAD).status_code == 404


def test_a_repeat_does_the_work_once(store, app):
    first = store.notify(UPLOAD, timestamp=int(time.time()) - 5)
    again = store.notify(UPLOAD)  # Cloudinary's retry: same body, signed again
    assert first.get_json() == {"outcome": "queued"} and again.get_json() == {"outcome": "duplicate"}
    assert len(store.events()) == 1


def test_other_types_are_recorded_as_ignored(store):
    response = store.notify(notification("eager", public_id="x", asset_id="y"))
    assert response.get_json() == {"outcome": "ignored"}
    [event] = store.events()
    assert event["outcome"] == "ignored" and "eager" in event["reason"]
    assert store.notify(b"not json").get_json() == {"outcome": "ignored"}


def test_a_paused_automation_keeps_its_notifications(store, client, app):
    body = dict(store.automation)
    put = {"enabled": True, "paused": True, "cloudinary": {"api_key": store.cld.api_key,
                                                           "api_secret": store.cld.api_secret},
           "rules": body["rules"], "schedule": None}
    assert client.put("/bridge/v1/automation", json=put, headers=bearer(store.token)).get_json()["status"] == "paused"
    assert store.notify(UPLOAD).get_json() == {"outcome": "queued"}
    with app.app_context():
        assert db.session.query(AutomationEvent).filter_by(state="pending").count() == 1
