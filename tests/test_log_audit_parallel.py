"""The log audit (tests/log_audit.py) fails a parallel run too: each
pytest-xdist worker audits its own lines and the controller adds them up."""
from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]

LEAKY = '''
import logging

from tests.support import API_SECRET

def test_logs_the_client_secret():
    logging.getLogger("somewhere").warning("signing with %s", API_SECRET)

def test_logs_nothing_secret():
    logging.getLogger("somewhere").warning("nothing to see")
'''


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_leaky=LEAKY)
    pytester.makeini("[pytest]\n")
    return pytester.runpytest_subprocess("-p", "tests.log_audit", "-p", "no:cacheprovider", *args)


@pytest.mark.parametrize("processes", [["-n", "2"], ["-p", "no:xdist"]], ids=["two-workers", "one-process"])
def test_a_leaked_secret_fails_the_run(pytester, monkeypatch, processes):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    result = _run(pytester, *processes)
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*log audit: 1 secret(s) in * log lines*"])


def test_a_clean_parallel_run_passes_and_counts_every_workers_lines(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makepyfile(test_clean='''
import logging

def test_one():
    logging.getLogger("somewhere").warning("one")

def test_two():
    logging.getLogger("somewhere").warning("two")
''')
    pytester.makeini("[pytest]\n")
    result = pytester.runpytest_subprocess("-p", "tests.log_audit", "-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=2)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*log audit: * log lines, no secret found*"])


def test_a_secret_a_test_made_up_is_looked_for_literally():
    """A Cloudinary api_secret is 32 hex digits: no credential pattern knows it."""
    from tests import log_audit
    secret = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    line = f'{{"msg": "verifying with {secret}"}}'
    assert log_audit.find_leaks([line], log_audit.literal_secrets()) == []
    log_audit.add_secret(secret)
    assert [what for what, _ in log_audit.find_leaks([line], log_audit.literal_secrets())] == [
        "a secret the tests configured"]
