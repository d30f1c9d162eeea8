"""Shopify's leaky bucket for the GraphQL Admin API, one per (shop, app).

The bucket holds `maximum_available` points and refills continuously at
`restore_rate` points per second. A request must find its requested cost
available before it runs (else THROTTLED); once it has run the difference to
its actual cost is refunded
(https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits).
Time is always passed in, so tests drive it with a fake clock.
"""
from __future__ import annotations

import threading
from typing import Mapping

# Restore rates as Shopify publishes them per plan (points/second). Bucket
# sizes are not published per plan; every capture from a development store
# shows maximumAvailable 2000 with restoreRate 100, i.e. 20 s of restore, so
# each plan's bucket is 20 × its restore rate. Override via SIM_PLANS.
PLANS: dict[str, dict[str, float]] = {
    "standard": {"maximumAvailable": 2000.0, "restoreRate": 100.0},
    "advanced": {"maximumAvailable": 4000.0, "restoreRate": 200.0},
    "plus": {"maximumAvailable": 20000.0, "restoreRate": 1000.0},
    "enterprise": {"maximumAvailable": 40000.0, "restoreRate": 2000.0},
}
PLAN_ALIASES = {"basic": "standard", "shopify": "standard", "development": "standard",
                "partner_test": "standard", "shopify_plus": "plus"}


def plan_limits(plan: str, overrides: Mapping[str, Mapping[str, float]] | None = None) -> dict[str, float]:
    """Bucket size and restore rate for a plan name (unknown plans: standard)."""
    plans = dict(PLANS)
    if overrides:
        plans.update({k.lower(): dict(v) for k, v in overrides.items()})
    key = plan.lower()
    key = key if key in plans else PLAN_ALIASES.get(key, "standard")
    return dict(plans.get(key, PLANS["standard"]))


class Bucket:
    """A leaky bucket of cost points; starts full."""

    def __init__(self, maximum_available: float, restore_rate: float, now: float | None = None) -> None:
        if maximum_available <= 0 or restore_rate < 0:
            raise ValueError("bucket size must be positive and restore rate non-negative")
        self.maximum_available = float(maximum_available)
        self.restore_rate = float(restore_rate)
        self._available = float(maximum_available)
        self._updated_at = now
        self._lock = threading.Lock()

    @classmethod
    def for_plan(cls, plan: str, overrides: Mapping[str, Mapping[str, float]] | None = None) -> "Bucket":
        limits = plan_limits(plan, overrides)
        return cls(limits["maximumAvailable"], limits["restoreRate"])

    def _restore(self, now: float) -> None:
        if self._updated_at is not None and now > self._updated_at:
            self._available = min(self.maximum_available,
                                  self._available + (now - self._updated_at) * self.restore_rate)
        if self._updated_at is None or now > self._updated_at:
            self._updated_at = now

    def available(self, now: float) -> float:
        with self._lock:
            self._restore(now)
            return self._available

    def try_spend(self, amount: float, now: float) -> bool:
        """Take `amount` points if that many are available; False (nothing
        taken) when the request must be throttled."""
        with self._lock:
            self._restore(now)
            if amount > self._available:
                return False
            self._available -= amount
            return True

    def refund(self, amount: float, now: float) -> None:
        """Give back points charged up front but not used (requested − actual)."""
        if amount <= 0:
            return
        with self._lock:
            self._restore(now)
            self._available = min(self.maximum_available, self._available + amount)

    def seconds_until(self, amount: float, now: float) -> float:
        """How long until `amount` points are available (0 if they are)."""
        missing = amount - self.available(now)
        if missing <= 0:
            return 0.0
        if self.restore_rate == 0:
            return float("inf")
        return missing / self.restore_rate

    def status(self, now: float) -> dict[str, float | int]:
        """`extensions.cost.throttleStatus` as Shopify reports it."""
        available = self.available(now)
        return {
            "maximumAvailable": _number(self.maximum_available),
            "currentlyAvailable": _number(int(available)),
            "restoreRate": _number(self.restore_rate),
        }


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value
