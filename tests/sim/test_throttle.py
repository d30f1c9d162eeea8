"""The per-(shop, app) leaky bucket (shopify_sim.throttle), on an injected clock."""
from __future__ import annotations

import pytest

from shopify_sim.throttle import PLANS, Bucket, plan_limits


def test_starts_full_and_drains_by_what_is_spent():
    bucket = Bucket(2000, 100, now=0.0)
    assert bucket.status(0.0) == {"maximumAvailable": 2000, "currentlyAvailable": 2000, "restoreRate": 100}
    assert bucket.try_spend(752, 0.0)
    assert bucket.status(0.0)["currentlyAvailable"] == 1248


def test_refuses_a_request_larger_than_what_is_available_and_takes_nothing():
    bucket = Bucket(100, 50, now=0.0)
    assert bucket.try_spend(80, 0.0)
    assert not bucket.try_spend(30, 0.0)
    assert bucket.status(0.0)["currentlyAvailable"] == 20


def test_restores_at_the_restore_rate_up_to_the_maximum():
    bucket = Bucket(1000, 50, now=0.0)
    assert bucket.try_spend(1000, 0.0)
    assert bucket.available(1.0) == pytest.approx(50)
    assert bucket.available(4.5) == pytest.approx(225)
    assert not bucket.try_spend(300, 4.5)
    assert bucket.try_spend(300, 6.0)
    assert bucket.available(10_000.0) == 1000


def test_refund_gives_back_the_unused_part_without_overflowing():
    bucket = Bucket(2000, 100, now=0.0)
    bucket.try_spend(82, 0.0)  # requested
    bucket.refund(82 - 7, 0.0)  # actual was 7
    assert bucket.status(0.0)["currentlyAvailable"] == 1993
    bucket.refund(500, 0.0)
    assert bucket.status(0.0)["currentlyAvailable"] == 2000


def test_time_going_backwards_does_not_restore():
    bucket = Bucket(100, 10, now=5.0)
    bucket.try_spend(100, 5.0)
    assert bucket.available(3.0) == 0
    assert bucket.available(6.0) == pytest.approx(10)


def test_seconds_until_enough_is_available():
    bucket = Bucket(1000, 100, now=0.0)
    bucket.try_spend(1000, 0.0)
    assert bucket.seconds_until(250, 0.0) == pytest.approx(2.5)
    assert bucket.seconds_until(250, 3.0) == 0.0


def test_currently_available_is_reported_as_whole_points():
    bucket = Bucket(2000, 100, now=0.0)
    bucket.try_spend(2000, 0.0)
    assert bucket.status(0.25)["currentlyAvailable"] == 25
    assert bucket.status(0.255)["currentlyAvailable"] == 25


def test_plans_use_shopifys_restore_rates_and_are_configurable():
    assert [PLANS[p]["restoreRate"] for p in ("standard", "advanced", "plus", "enterprise")] == [100, 200, 1000, 2000]
    assert plan_limits("standard") == {"maximumAvailable": 2000.0, "restoreRate": 100.0}
    assert plan_limits("Shopify_Plus")["restoreRate"] == 1000
    assert plan_limits("no-such-plan") == plan_limits("standard")
    custom = plan_limits("standard", {"standard": {"maximumAvailable": 50, "restoreRate": 5}})
    assert custom == {"maximumAvailable": 50, "restoreRate": 5}
    bucket = Bucket.for_plan("advanced")
    assert bucket.status(0.0)["maximumAvailable"] == 4000


def test_rejects_nonsense_limits():
    with pytest.raises(ValueError):
        Bucket(0, 10)
