"""Notifications as Cloudinary sends them, checked with the SDK's own
verify_notification_signature: per-call notification_url, Admin API triggers,
every change type, SHA-1/SHA-256, retries, and the drop/duplicate/out-of-order
faults tests of the app will need."""
from __future__ import annotations

import json
import time

import cloudinary.api
import cloudinary.uploader
import pytest
from cloudinary.exceptions import AlreadyExists, BadRequest, NotFound
from cloudinary.utils import verify_notification_signature

from .support import image_bytes, make_environment


def verified(cld, sdk_secret, received, algorithm="sha1"):
    """Each received notification's body, after the SDK verified its signature."""
    sdk_secret(cld.api_secret, algorithm)
    bodies = []
    for item in received:
        body = item.body.decode("utf-8")
        assert verify_notification_signature(body, item.headers["X-Cld-Timestamp"], item.headers["X-Cld-Signature"])
        assert item.headers["Content-Type"] == "application/json"
        bodies.append(json.loads(body))
    return bodies


def test_upload_notification_to_notification_url(cld, receiver, sdk_secret):
    cld.add_field("sku")
    result = cloudinary.uploader.upload(image_bytes(), public_id="shoes/front", metadata={"sku": "A"},
                                        notification_url=receiver.url, **cld.opts)
    body, = verified(cld, sdk_secret, receiver.wait_for(1))
    assert body["notification_type"] == "upload"
    for key in ("public_id", "asset_id", "version", "version_id", "resource_type", "type", "format", "secure_url",
                "asset_folder", "display_name", "tags", "bytes", "width", "height"):
        assert body[key] == result[key], key
    assert body["notification_context"]["triggered_by"]["source"] == "api"
    assert abs(int(receiver.received[0].headers["X-Cld-Timestamp"]) - time.time()) < 60


def test_signature_fails_with_another_secret_or_a_changed_body(cld, receiver, sdk_secret):
    cloudinary.uploader.upload(image_bytes(), public_id="p", notification_url=receiver.url, **cld.opts)
    item, = receiver.wait_for(1)
    sdk_secret("someone-else")
    assert not verify_notification_signature(item.body.decode(), item.headers["X-Cld-Timestamp"],
                                             item.headers["X-Cld-Signature"])
    sdk_secret(cld.api_secret)
    assert not verify_notification_signature(item.body.decode().replace('"p"', '"q"'),
                                             item.headers["X-Cld-Timestamp"], item.headers["X-Cld-Signature"])


def test_sha256_environment_signs_with_sha256(csim, receiver, sdk_secret):
    env = make_environment(csim, signature_algorithm="sha256")
    cloudinary.uploader.upload(image_bytes(), public_id="p", notification_url=receiver.url,
                               signature_algorithm="sha256", **env.opts)
    item, = receiver.wait_for(1)
    assert len(item.headers["X-Cld-Signature"]) == 64
    verified(env, sdk_secret, [item], "sha256")


def test_triggers_crud_through_the_sdk(cld, receiver):
    created = cloudinary.api.create_trigger(receiver.url, "upload", **cld.opts)
    assert (created["uri"], created["event_type"], created["uri_type"]) == (receiver.url, "upload", "webhook")
    with pytest.raises(AlreadyExists):
        cloudinary.api.create_trigger(receiver.url, "upload", **cld.opts)
    with pytest.raises(BadRequest):
        cloudinary.api.create_trigger(receiver.url, "no_such_event", **cld.opts)
    listed = cloudinary.api.triggers(**cld.opts)
    assert listed["total"] == 1 and listed["triggers"][0]["id"] == created["id"]
    assert cloudinary.api.triggers(event_type="delete", **cld.opts)["total"] == 0
    cloudinary.api.update_trigger(created["id"], receiver.url + "?v=2", **cld.opts)
    assert cloudinary.api.triggers(**cld.opts)["triggers"][0]["uri"] == receiver.url + "?v=2"
    cloudinary.api.delete_trigger(created["id"], **cld.opts)
    with pytest.raises(NotFound):
        cloudinary.api.delete_trigger(created["id"], **cld.opts)


def test_triggers_receive_every_change(cld, receiver, sdk_secret):
    cld.add_field("sku")
    for event in ("upload", "resource_metadata_changed", "resource_tags_changed", "resource_context_changed",
                  "rename", "delete"):
        cloudinary.api.create_trigger(receiver.url, event, **cld.opts)
    uploaded = cloudinary.uploader.upload(image_bytes(), public_id="a", metadata={"sku": "S1"}, **cld.opts)
    cloudinary.uploader.update_metadata({"sku": "S2"}, ["a"], **cld.opts)
    cloudinary.uploader.add_tag("hero", ["a"], **cld.opts)
    cloudinary.uploader.add_context({"alt": "x"}, ["a"], **cld.opts)
    cloudinary.uploader.rename("a", "b", **cld.opts)
    cloudinary.uploader.destroy("b", **cld.opts)
    bodies = verified(cld, sdk_secret, receiver.wait_for(6))
    by_type = {b["notification_type"]: b for b in bodies}
    assert [b["notification_type"] for b in bodies] == ["upload", "resource_metadata_changed",
                                                          "resource_tags_changed", "resource_context_changed",
                                                          "rename", "delete"]
    ref = {"asset_id": uploaded["asset_id"], "resource_type": "image", "type": "upload"}
    assert by_type["resource_metadata_changed"]["resources"] == {
        "a": {**ref, "public_id": "a", "previous_metadata": {"sku": "S1"}, "new_metadata": {"sku": "S2"}}}
    assert by_type["resource_tags_changed"]["resources"] == [{**ref, "public_id": "a", "added": ["hero"],
                                                             "removed": []}]
    assert by_type["resource_context_changed"]["resources"]["a"]["added"] == {"alt": "x"}
    assert (by_type["rename"]["from_public_id"], by_type["rename"]["to_public_id"]) == ("a", "b")
    assert by_type["delete"]["resources"][0]["public_id"] == "b"
    assert by_type["delete"]["resources"][0]["asset_id"] == uploaded["asset_id"]


def test_all_trigger_and_admin_api_changes(cld, receiver, sdk_secret):
    cld.add_field("sku")
    cloudinary.api.create_trigger(receiver.url, "all", **cld.opts)
    cloudinary.uploader.upload(image_bytes(), public_id="a", **cld.opts)
    cloudinary.api.update("a", metadata={"sku": "X"}, **cld.opts)
    cloudinary.api.delete_resources(["a"], **cld.opts)
    types = [b["notification_type"] for b in verified(cld, sdk_secret, receiver.wait_for(3))]
    assert types == ["upload", "resource_metadata_changed", "delete"]


def test_notification_url_overrides_triggers(cld, receiver):
    trigger = cloudinary.api.create_trigger(receiver.url + "?trigger", "upload", **cld.opts)
    cloudinary.uploader.upload(image_bytes(), public_id="a", notification_url=receiver.url, **cld.opts)
    cloudinary.uploader.upload(image_bytes(), public_id="b", **cld.opts)
    # Queued synchronously by the API call: exactly one recipient each.
    assert [(json.loads(n["body"])["public_id"], n["origin"]) for n in cld.notifications()] == [
        ("a", "notification_url"), ("b", f"trigger:{trigger['id']}")]
    received = receiver.wait_for(2)
    assert sorted(json.loads(r.body)["public_id"] for r in received) == ["a", "b"]


def test_no_notification_when_nothing_changed(cld, receiver):
    cloudinary.api.create_trigger(receiver.url, "resource_tags_changed", **cld.opts)
    cloudinary.uploader.upload(image_bytes(), public_id="a", tags=["x"], **cld.opts)
    cloudinary.uploader.add_tag("x", ["a"], **cld.opts)
    cloudinary.uploader.add_tag("y", ["a"], **cld.opts)
    # Notifications are queued by the call itself: only the real change has one.
    assert [json.loads(n["body"])["resources"][0]["added"] for n in cld.notifications()] == [["y"]]


def test_retries_until_200_then_stops(cld, receiver):
    receiver.statuses = [500, 204]  # "not HTTP 200" is a failure
    cloudinary.uploader.upload(image_bytes(), public_id="a", notification_url=receiver.url, **cld.opts)
    receiver.wait_for(3)
    note, = cld.notifications()
    assert note["status"] == "delivered"
    assert [a["status"] for a in note["attempts"]] == [500, 204, 200]


def test_gives_up_after_three_retries(cld, receiver):
    receiver.statuses = [500] * 10
    cloudinary.uploader.upload(image_bytes(), public_id="a", notification_url=receiver.url, **cld.opts)
    receiver.wait_for(4)
    deadline = time.monotonic() + 5
    while cld.notifications()[0]["status"] != "failed" and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.7)
    assert len(receiver.received) == 4 and cld.notifications()[0]["status"] == "failed"


def test_faults_drop_duplicate_and_out_of_order(cld, receiver):
    cld.add_field("sku")
    base = f"/_sim/environments/{cld.cloud_name}/notifications"
    cloudinary.api.create_trigger(receiver.url, "all", **cld.opts)
    cld.sim.control("POST", base + "/faults", json={"action": "drop", "notification_type": "upload"})
    cloudinary.uploader.upload(image_bytes(), public_id="dropped", **cld.opts)
    cld.sim.control("POST", base + "/faults", json={"action": "duplicate"})
    cloudinary.uploader.upload(image_bytes(), public_id="twice", **cld.opts)
    receiver.wait_for(2)
    assert [json.loads(r.body)["public_id"] for r in receiver.received] == ["twice", "twice"]
    cld.sim.control("POST", base + "/faults", json={"action": "hold", "count": 2})
    cloudinary.uploader.upload(image_bytes(), public_id="late", **cld.opts)
    cloudinary.uploader.update_metadata({"sku": "L"}, ["late"], **cld.opts)
    assert sorted(n["status"] for n in cld.notifications()).count("held") == 2
    released = cld.sim.control("POST", base + "/release", json={"order": "reverse"})["released"]
    assert len(released) == 2
    received = receiver.wait_for(4)
    assert [json.loads(r.body)["notification_type"] for r in received[2:]] == ["resource_metadata_changed", "upload"]
    statuses = sorted(n["status"] for n in cld.notifications())
    assert statuses == ["delivered"] * 4 + ["dropped"]
