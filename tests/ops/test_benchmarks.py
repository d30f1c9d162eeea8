"""The fairness and load benchmarks (bench/) run at a tiny size, so they can't
rot: not timed; what is checked is the shape of their results and that what
they measure held (every sync finished, order held, no overtakes, 0 errors).

The pure parts of the fairness figures are checked on made-up timelines too,
so that a broken detector can't report a fair run by accident.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import fairness
from tests.support import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]


def _run_bench(script: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "bench" / script), *args, "--redis-url", REDIS_URL],
                          cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=280)


@pytest.mark.slow
def test_fairness_benchmark_finishes_every_sync_in_order(tmp_path):
    out = tmp_path / "fairness.json"
    done = _run_bench("fairness.py", "--stores", "3", "--products", "4", "--images", "1", "--workers", "1", "2",
                      "--processing-delay", "0.1", "--json", str(out))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(out.read_text())
    assert results["stores"] == 3 and results["syncs_per_store"] == 2
    assert [run["workers"] for run in results["runs"]] == [1, 2]
    assert set(results["speedup"]) == {"2_vs_1"}
    for run in results["runs"]:
        assert run["statuses"] == {"succeeded": 6}
        assert run["all_finished"] and run["all_succeeded"]
        assert run["assets_linked"] == 3 * 4
        assert run["order_held_stores"] == 3
        assert run["overtakes"] == 0
        assert run["throttled"] == 0 and run["requests"] > 0
        assert run["wall_s"] >= run["per_store_bound_s"] > 0
        for key in ("start_delay_first_s", "start_delay_later_s", "sync_run_s", "store_done_s"):
            assert set(run[key]) == {"median", "p90", "max"}
        assert set(run["load_average"]) == {"mean", "max"}


@pytest.mark.slow
def test_load_benchmark_answers_every_request(tmp_path):
    out = tmp_path / "load.json"
    done = _run_bench("load.py", "--users", "1", "3", "--requests", "12", "--products", "10", "--json", str(out),
                      "--time-limit", "60", env={"WEB_CONCURRENCY": "2"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(out.read_text())
    assert results["web_concurrency"] == 2
    runs = results["runs"]
    assert [(r["endpoint"], r["users"]) for r in runs] == [
        (e, u) for e in ("store", "matches", "sync", "connection") for u in (1, 3)]
    for run in runs:
        # Exactly the fixed number: the run stopped by itself after them.
        assert run["requests"] == 12, run
        assert run["failures"] == 0 and run["failure_kinds"] == {}, run
        assert run["statuses"] == {"200": 12}, run
        assert run["server_errors"] == 0
        assert run["requests_per_s"] > 0 and 0 < run["p50_ms"] <= run["p99_ms"]
    assert results["error_log_lines"] == []


# -- the fairness figures on made-up timelines --------------------------------------------------------
def _sync(created: float, started: float | None, finished: float | None, status: str = "succeeded") -> dict:
    def at(t: float | None) -> str | None:
        return None if t is None else f"2026-01-01T00:00:{t:06.3f}+00:00"
    return {"created_at": at(created), "started_at": at(started), "finished_at": at(finished), "status": status,
            "progress": {"assets_linked": 1}}


def test_a_first_come_first_served_schedule_has_no_overtakes():
    # One worker: a's two syncs, b's two; b's first goes before a's second.
    rows = fairness.timeline({"a": [_sync(0, 0, 2), _sync(0, 4, 6)], "b": [_sync(0.1, 2, 4), _sync(0.1, 6, 8)]})
    assert fairness.overtakes(rows, tolerance=0.25) == 0


def test_a_store_running_twice_ahead_of_one_waiting_is_an_overtake():
    # a's second sync (ready at 2) starts before b's first (ready at 0.1).
    rows = fairness.timeline({"a": [_sync(0, 0, 2), _sync(0, 2, 4)], "b": [_sync(0.1, 4, 6)]})
    assert fairness.overtakes(rows, tolerance=0.25) == 1


def test_order_held_needs_each_sync_to_start_after_the_previous_ended():
    in_order = fairness.timeline({"a": [_sync(0, 0, 2), _sync(0.1, 2, 4)]})
    overlapping = fairness.timeline({"a": [_sync(0, 0, 2), _sync(0.1, 1, 4)]})
    reversed_ = fairness.timeline({"a": [_sync(0, 3, 5), _sync(0.1, 0, 2)]})
    unfinished = fairness.timeline({"a": [_sync(0, 0, 2), _sync(0.1, None, None, "queued")]})
    assert fairness.order_held(in_order)
    assert not fairness.order_held(overlapping)
    assert not fairness.order_held(reversed_)
    assert not fairness.order_held(unfinished)


def test_figures_count_unfinished_syncs_and_the_bounds():
    syncs = {"a": [_sync(0, 0, 2), _sync(0, 2, 3)], "b": [_sync(0, 3, 4), _sync(0, None, None, "running")]}
    logs = {"a": [{"actualCost": 2500}], "b": [{"actualCost": 10, "throttled": True}]}
    f = fairness.figures(syncs, logs, {"maximumAvailable": 2000, "restoreRate": 100}, workers=1, tolerance=0.25)
    assert not f["all_finished"] and f["statuses"] == {"running": 1, "succeeded": 3}
    assert f["order_held_stores"] == 1
    assert f["work_conserving_bound_s"] == 4.0 and f["per_store_bound_s"] == 3.0
    assert f["rate_limit_floor_s"] == 5.0 and f["throttled"] == 1


def test_overtakes_go_by_the_queue_times_when_every_sync_has_them():
    # By the batches' times b's sync (ready later) started first; by the
    # queue's, b's job was enqueued first (its POST committed later but
    # enqueued earlier), so the queue was first come, first served.
    a, b = _sync(0, 1.0, 2), _sync(0.5, 0.5, 1)
    a["queue"], b["queue"] = {"enqueued_at": 10.4, "started_at": 11.0}, {"enqueued_at": 10.2, "started_at": 10.5}
    rows = fairness.timeline({"a": [a], "b": [b]})
    assert fairness.overtakes(rows, tolerance=0.25) == 0
    a["queue"]["enqueued_at"] = 9.0   # a queued first, started last: overtaken
    assert fairness.overtakes(fairness.timeline({"a": [a], "b": [b]}), tolerance=0.25) == 1
