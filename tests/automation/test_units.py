"""The pure parts of automation: reading notification bodies, rules'
filters and values, search results corrected by fresh Admin API reads, and
the signature check."""
from __future__ import annotations

import hashlib
import json

import pytest

from jobs.automation.events import read_notice
from jobs.automation.relink import _fresh
from jobs.automation.rules import AutomationRule
from shopify_app.cloudinary_admin import notification_signature_problem

RULE = {"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append",
        "filter": {"folder": "products", "tags": ["approved"]}}


@pytest.mark.parametrize(("body", "kind", "public_ids", "hints"), [
    ({"notification_type": "upload", "asset_id": "a", "public_id": "p"}, "upload", ["p"], []),
    ({"notification_type": "rename", "asset_id": "a", "from_public_id": "old", "to_public_id": "new"}, "rename",
     ["new", "old"], []),
    ({"notification_type": "delete", "resources": [{"asset_id": "a", "public_id": "p"}, {"public_id": "q"}]},
     "delete", ["p", "q"], []),
    ({"notification_type": "resource_metadata_changed",
      "resources": {"p": {"asset_id": "a", "previous_metadata": {"sku": "OLD-1"}, "new_metadata": {"sku": "N"}}}},
     "resource_metadata_changed", ["p"], [["sku", "OLD-1"]]),
    ({"notification_type": "resource_tags_changed",
      "resources": [{"asset_id": "a", "public_id": "p", "added": ["x"], "removed": ["y"]}]},
     "resource_tags_changed", ["p"], [["tags", "y"]]),
])
def test_notification_bodies(body, kind, public_ids, hints):
    notice = read_notice(body)
    assert (notice.notification_type, notice.public_ids, notice.hints, notice.ignored) == (kind, public_ids, hints,
                                                                                         None)


@pytest.mark.parametrize("body", [[], "x", {"notification_type": "eager"}, {"notification_type": "upload"},
                                  {"notification_type": "delete", "resources": "nope"}])
def test_bodies_that_change_nothing_are_ignored(body):
    assert read_notice(body).ignored


def test_a_rule_follows_its_folder_and_tags_and_reads_list_values():
    rule = AutomationRule.model_validate(RULE)
    asset = {"asset_folder": "products/shoes", "tags": ["approved", "x"], "metadata": {"sku": [" A-1 ", "B-2", ""]}}
    assert rule.follows(asset) and rule.values_of(asset) == ["A-1", "B-2"]
    assert not rule.follows({**asset, "asset_folder": "productsX"})
    assert not rule.follows({**asset, "tags": ["x"]})


def test_search_results_are_corrected_by_fresh_reads():
    found = [{"asset_id": "1", "public_id": "kept"}, {"asset_id": "2", "public_id": "stale-name"},
             {"asset_id": "3", "public_id": "deleted"}]
    current = {"2": {"asset_id": "2", "public_id": "new-name"}, "4": {"asset_id": "4", "public_id": "just-uploaded"}}
    assert [r["public_id"] for r in _fresh(found, current, vanished={"deleted", "stale-name"})] == [
        "kept", "new-name", "just-uploaded"]


def test_signatures_sha1_sha256_window_and_forgeries():
    body, secret, now = json.dumps({"a": 1}).encode(), "s3cret", 1_800_000_000
    sha1 = hashlib.sha1(body + b"1800000000" + secret.encode()).hexdigest()
    sha256 = hashlib.sha256(body + b"1800000000" + secret.encode()).hexdigest()
    assert notification_signature_problem(body, "1800000000", sha1, secret, now=now) is None
    assert notification_signature_problem(body, "1800000000", sha256.upper(), secret, now=now) is None
    assert notification_signature_problem(body, "1800000000", sha1, "other", now=now)
    assert notification_signature_problem(body + b" ", "1800000000", sha1, secret, now=now)
    assert notification_signature_problem(body, "1800000000", sha1, secret, now=now + 7201)
    assert notification_signature_problem(body, "1800000000", sha1, secret, now=now - 3600)
    assert notification_signature_problem(body, "18e8", sha1, secret, now=now)
    assert notification_signature_problem(body, None, sha1, secret, now=now)
    assert notification_signature_problem(b"\xff", "1800000000", sha1, secret, now=now)


# -- which links a relink takes off (plan_relink, with Cloudinary and the link records faked) -------

def _asset(asset_id: str, public_id: str, sku: str, tags: list[str]) -> dict:
    return {"asset_id": asset_id, "public_id": public_id, "resource_type": "image", "type": "upload",
            "format": "jpg", "version": 1, "tags": tags, "metadata": {"sku": sku}}


def _plan(monkeypatch, assets: list[dict], links: dict, refs: list[dict]):
    from jobs import asset_links
    from jobs.automation import relink
    from jobs.automation.rules import AutomationRule
    from shopify_app import cloudinary_admin

    def linked(shop_id, cloud_name, *, public_ids=(), group_values=()):
        groups = {g.strip().lower() for g in group_values}
        return {key: link for key, link in links.items()
                if key[1] in set(public_ids) or link.group_value.lower() in groups}

    def search_groups(env, field, values):
        return [a for a in assets if (set(a["tags"]) if field == "tags" else {a["metadata"].get(field)}) & set(values)]

    by_id = {a["asset_id"]: a for a in assets}
    monkeypatch.setattr(asset_links, "linked", linked)
    monkeypatch.setattr(cloudinary_admin, "search_groups", search_groups)
    monkeypatch.setattr(cloudinary_admin, "resources_by_asset_ids",
                        lambda env, ids: {i: by_id[i] for i in ids if i in by_id})
    monkeypatch.setattr(cloudinary_admin, "resource", lambda env, public_id, *_: next(
        (a for a in assets if a["public_id"] == public_id), None))
    rule = AutomationRule.model_validate({"match": {"cloudinary_field": "sku", "shopify_field": "sku"},
                                          "link_mode": "append"})
    env = cloudinary_admin.Environment("acme", "key", "secret", "http://127.0.0.1:9")
    plan = relink.plan_relink(env, 1, [rule], relink.Work(refs=refs))
    return plan.unlinks, [[a["public_id"] for a in assets] for _, assets in plan.syncs]


def test_a_link_made_by_another_field_is_not_taken_off(monkeypatch):
    """A dialog sync linked two lifestyle images to a product by the tag
    "summer"; automation matches by SKU. A metadata change on one of them must
    not read "summer" as a SKU that no asset has any more and unlink both."""
    from jobs.asset_links import Linked
    p, q = _asset("p1", "shoes/p", "ABC-1", ["summer"]), _asset("q1", "shoes/q", "XYZ-9", ["summer"])
    links = {("X", "shoes/p"): Linked("summer", "tags"), ("X", "shoes/q"): Linked("summer", "tags")}
    unlinks, syncs = _plan(monkeypatch, [p, q], links, [{"asset_id": "p1", "public_id": "shoes/p"}])
    assert unlinks == []
    assert syncs == [["shoes/p"]]   # its SKU group, linked as the rule says


def test_an_asset_regrouped_under_the_rules_field_leaves_its_old_group(monkeypatch):
    from jobs.asset_links import Linked
    p = _asset("p1", "shoes/p", "NEW-1", [])
    links = {("X", "shoes/p"): Linked("ABC-1", "sku")}
    unlinks, syncs = _plan(monkeypatch, [p], links, [{"asset_id": "p1", "public_id": "shoes/p"}])
    assert unlinks == [(["X"], ["shoes/p"])] and syncs == [["shoes/p"]]


def test_a_deleted_asset_leaves_whatever_field_linked_it(monkeypatch):
    from jobs.asset_links import Linked
    links = {("X", "shoes/p"): Linked("summer", "tags"), ("Y", "shoes/p"): Linked("ABC-1", None)}
    unlinks, syncs = _plan(monkeypatch, [], links, [{"public_id": "shoes/p"}])
    assert sorted(unlinks) == [(["X", "Y"], ["shoes/p"])] and syncs == []


def test_a_run_says_what_started_it():
    from jobs.automation.events import PRODUCT_EVENT
    from jobs.automation.flush import run_trigger
    assert run_trigger(["delete", "delete"]) == "delete"
    assert run_trigger([PRODUCT_EVENT, PRODUCT_EVENT]) == "new_product"
    assert run_trigger(["upload", PRODUCT_EVENT]) == "upload"
    assert run_trigger(["resource_metadata_changed", "delete"]) == "upload"
