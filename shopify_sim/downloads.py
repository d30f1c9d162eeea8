"""Shopify downloads every external source it is given (fileCreate,
productCreate/productUpdate/productCreateMedia `media`, fileUpdate
`originalSource`) and processes the bytes; so does the simulator, with a real
HTTP GET, in the background, while the file is UPLOADED/PROCESSING.

What is reachable is configured, never the internet: `SIM_FETCH_ORIGINS` maps
public origins to local base URLs, and a source is fetched from its origin's
base with its path and query kept (a plain origin substitution):

    {"https://res.cloudinary.com": "http://127.0.0.1:8800"}
    https://res.cloudinary.com/demo/image/upload/v1/a.jpg → http://127.0.0.1:8800/demo/image/upload/v1/a.jpg

The key `"*"` maps every origin not named; a base may contain `{host}`,
replaced by the source's host name (the conformance runner's stand-in internet
is `{"*": "http://127.0.0.1:PORT/{host}"}`).

**Unknown origins are not fetched** (the one default, strict): a source whose
origin is not mapped fails as an unreachable download would
(IMAGE_DOWNLOAD_FAILURE, GENERIC_FILE_DOWNLOAD_FAILURE, …). A simulator that
quietly accepted any URL is how a sync that sent
`https://res.cloudinary.com//image/upload/…` (empty cloud name) passed every
test; one that reached the real internet would make tests depend on it.

The config value is a dict, JSON, or `origin=base,origin=base` (environment
and `python -m shopify_sim --fetch-origin`). SIM_FETCH_TIMEOUT (s, default 10)
bounds one download; SIM_FETCH_WORKERS (default 8) downloads run at once.
"""
from __future__ import annotations

import json
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, Iterable, Mapping, Optional
from urllib.parse import urlsplit

import requests

from .inspection import Fetched, Outcome, byte_limit, inspect

CHUNK = 256 * 1024
NOT_MAPPED = "the source's origin is not reachable from the simulator (not in SIM_FETCH_ORIGINS)"


class OriginsError(ValueError):
    """A malformed SIM_FETCH_ORIGINS value (refused at start-up)."""


def _origin_key(origin: str) -> str:
    if origin == "*":
        return origin
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/") \
            or parts.query or parts.fragment:
        raise OriginsError(f"{origin!r} is not an origin (scheme://host[:port])")
    return f"{parts.scheme}://{parts.netloc}".lower()


def parse_origins(value: Any) -> dict[str, str]:
    """SIM_FETCH_ORIGINS as {origin: base URL}."""
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except ValueError as exc:
                raise OriginsError(f"SIM_FETCH_ORIGINS is not valid JSON: {exc}") from None
        else:
            pairs = [p.split("=", 1) for p in text.split(",") if p.strip()]
            if any(len(p) != 2 for p in pairs):
                raise OriginsError("SIM_FETCH_ORIGINS entries are origin=base_url")
            value = {k.strip(): v.strip() for k, v in pairs}
    if not isinstance(value, Mapping):
        raise OriginsError("SIM_FETCH_ORIGINS must map origins to base URLs")
    out: dict[str, str] = {}
    for origin, base in value.items():
        base_parts = urlsplit(str(base))
        if base_parts.scheme not in ("http", "https") or not base_parts.netloc:
            raise OriginsError(f"the base URL for {origin!r} must be an http(s) URL, not {base!r}")
        out[_origin_key(str(origin))] = str(base).rstrip("/")
    return out


def local_url(url: str, origins: Mapping[str, str]) -> Optional[str]:
    """Where the simulator fetches `url` from, or None when its origin is not mapped."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    base = origins.get(f"{parts.scheme}://{parts.netloc}".lower()) or origins.get("*")
    if base is None:
        return None
    base = base.replace("{host}", (parts.hostname or "").lower())
    return base + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class Downloads:
    """The simulator's downloader: a small pool of threads doing HTTP GETs.
    `start` returns a future of the processing Outcome."""

    def __init__(self, origins: Mapping[str, str], *, timeout: float = 10.0, workers: int = 8) -> None:
        self.origins = dict(origins)
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="sim-download")
        self._local = threading.local()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Downloads":
        return cls(parse_origins(config.get("SIM_FETCH_ORIGINS")),
                   timeout=float(config.get("SIM_FETCH_TIMEOUT", 10.0)),
                   workers=int(config.get("SIM_FETCH_WORKERS", 8)))

    def start(self, url: str, kind: str) -> "Future[Outcome]":
        local = local_url(url, self.origins)
        if local is None:
            done: Future[Outcome] = Future()
            done.set_result(inspect(kind, Fetched(None, None, None, error=NOT_MAPPED)))
            return done
        return self._pool.submit(self._process, local, kind)

    def _process(self, local: str, kind: str) -> Outcome:
        return inspect(kind, self.fetch(local, byte_limit(kind)))

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.trust_env = False  # mapped origins are local: no proxies, no netrc
        return session

    def fetch(self, url: str, limit: int) -> Fetched:
        """GET `url`, reading at most `limit` bytes (one more marks it too large)."""
        try:
            response = self._session().get(url, stream=True, timeout=self.timeout)
        except requests.RequestException as exc:
            return Fetched(None, None, None, error=f"{type(exc).__name__} fetching the source")
        with response:
            content_type = response.headers.get("Content-Type")
            if response.status_code != 200:
                return Fetched(response.status_code, content_type, None)
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                return Fetched(200, content_type, None, too_large=True)
            body = bytearray()
            try:
                for chunk in response.iter_content(CHUNK):
                    body += chunk
                    if len(body) > limit:
                        return Fetched(200, content_type, None, too_large=True)
            except requests.RequestException as exc:
                return Fetched(None, content_type, None, error=f"{type(exc).__name__} reading the source")
            return Fetched(200, content_type, bytes(body))

    def wait(self, futures: Iterable["Future[Outcome]"]) -> None:
        """Block until these downloads are done (a download is bounded by the timeout)."""
        pending = [f for f in futures if not f.done()]
        if pending:
            wait(pending, timeout=self.timeout * 3 + 5)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
