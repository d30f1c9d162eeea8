"""The log audit: every log line of a test run, checked for secrets.

Every record any logger emits during the run (the app's, the bridge's, the
jobs', Werkzeug's access lines, RQ's) is formatted exactly as production
formats it (shopify_app.logs: JSON, redacted) and kept; worker processes'
captured output is added with `audit_text`. At the end of the run the lines
are searched for the secrets the tests used (the app's client secret,
encryption key and signing key) and for anything shaped like a credential
(session tokens, connection codes, connection tokens, API keys, signing
secrets, Shopify access tokens, `id_token`/`hmac` query values). A hit fails
the run and names the line (with the secret masked).
"""
from __future__ import annotations

import logging
import re
import threading
from typing import Iterable

import pytest

_lines: list[str] = []
_lock = threading.Lock()

# Anything credential-shaped that redaction would have replaced.
CREDENTIAL_SHAPES = (
    re.compile(r"eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]+"),   # JWT (session token / id_token)
    re.compile(r"\b(?:alc|alt|alk|als)_[A-Za-z0-9_-]{16,}"),                 # codes, tokens, keys, secrets
    re.compile(r"\bshp(?:at|ca|pa|ss|ua|rt)_[A-Za-z0-9]{8,}"),               # Shopify tokens
    re.compile(r"[?&;](?:id_token|hmac|signature|session_token|code)=(?!\[redacted\])[^&\s\"'#]+"),
    re.compile(r"\bgAAAAA[A-Za-z0-9_=-]{20,}"),                              # Fernet ciphertexts
)


class AuditHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        from shopify_app import logs
        self.setFormatter(logs.formatter("json"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # a broken record must not break the test that logged it
            return
        with _lock:
            _lines.append(line)


_handler: AuditHandler | None = None


def audit_text(text: str | bytes | None) -> None:
    """Add a process's captured output (a worker's stdout/stderr) to the audit."""
    if not text:
        return
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    with _lock:
        _lines.extend(text.splitlines())


def _attach() -> None:
    root = logging.getLogger()
    if _handler is not None and _handler not in root.handlers:
        # Alembic's fileConfig (migration tests) replaces the root handlers.
        root.addHandler(_handler)


_added_secrets: list[str] = []


def add_secret(secret: str) -> None:
    """A secret a test made up (a Cloudinary environment's api_secret, say):
    it has no shape the patterns know, so it is looked for literally."""
    with _lock:
        _added_secrets.append(secret)


def literal_secrets() -> list[str]:
    from tests import support
    with _lock:
        added = list(_added_secrets)
    return [support.API_SECRET, support.ENCRYPTION_KEY, "test-secret-key", *added]


def find_leaks(lines: Iterable[str], secrets: Iterable[str]) -> list[tuple[str, str]]:
    """[(what leaked, the line with it masked)]."""
    secrets = [s for s in secrets if s]
    leaks = []
    for line in lines:
        for secret in secrets:
            if secret in line:
                leaks.append(("a secret the tests configured", line.replace(secret, "<SECRET>")))
        for shape in CREDENTIAL_SHAPES:
            match = shape.search(line)
            if match:
                leaks.append((f"something shaped like {shape.pattern[:40]}", line.replace(match.group(0), "<SECRET>")))
    return leaks


def pytest_sessionstart(session: pytest.Session) -> None:
    global _handler
    _handler = AuditHandler()
    _attach()
    # Werkzeug's access lines (INFO) carry the full request line: audit them too.
    logging.getLogger("werkzeug").setLevel(logging.INFO)


def pytest_runtest_setup(item: pytest.Item) -> None:
    _attach()


# Under pytest-xdist each worker process audits its own lines and sends the
# result to the controller (xdist's `workeroutput`), which reports the run's
# total and fails the run on any leak.
_worker_results: list[dict] = []


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    result = getattr(node, "workeroutput", {}).get("log_audit")
    if result is not None:
        _worker_results.append(result)


def _own_result() -> dict:
    with _lock:
        lines = list(_lines)
    leaks = find_leaks(lines, literal_secrets())
    return {"lines": len(lines), "leaks": [list(leak) for leak in leaks[:20]], "leak_count": len(leaks)}


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    result = _own_result()
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["log_audit"] = result
        return
    results = [result, *_worker_results]
    lines = sum(r["lines"] for r in results)
    leak_count = sum(r["leak_count"] for r in results)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if leak_count:
        if reporter is not None:
            reporter.write_sep("=", f"log audit: {leak_count} secret(s) in {lines} log lines", red=True)
            for what, line in [leak for r in results for leak in r["leaks"]][:20]:
                reporter.write_line(f"{what}: {line[:400]}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif reporter is not None and lines:
        reporter.write_line(f"log audit: {lines} log lines, no secret found")
