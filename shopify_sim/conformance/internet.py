"""The conformance runner's stand-in for the internet: one rule for every
scenario, never a per-scenario answer.

The captures were recorded against live hosts (placehold.co images, w3.org
PDFs, example.com); the replays run offline. Every source a replayed document
names is fetched through SIM_FETCH_ORIGINS `{"*": "<this server>/{host}"}`, and
this server answers `/<host>/<path>` by:

1. hosts reserved by RFC 2606 / RFC 6761 (example.com, example.net,
   example.org and their subdomains; the .test, .example, .invalid and
   .localhost top-level domains) hold no files: 404 (the captured
   `https://example.com/not-an-image.jpg` ended FAILED);
2. every other host is a static file host: `shopify_sim.standin`'s rule
   (a file of the type the path names, W×H images where a segment says so,
   404 for an empty segment or an unknown type).
"""
from __future__ import annotations

import threading
from typing import Any, Optional

from .. import standin

RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
RESERVED_TLDS = ("test", "example", "invalid", "localhost")


def is_reserved(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host.rsplit(".", 1)[-1] in RESERVED_TLDS or any(
        host == d or host.endswith("." + d) for d in RESERVED_DOMAINS)


def resolve(path: str) -> Optional[tuple[str, bytes]]:
    host, sep, rest = path.lstrip("/").partition("/")
    if not sep or not host or is_reserved(host):
        return None
    return standin.content("/" + rest)


class Internet:
    """The stand-in internet served on a free loopback port while in use."""

    def __init__(self) -> None:
        self.server = standin.make_server(resolve)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="conformance-internet", daemon=True)

    @property
    def fetch_origins(self) -> dict[str, str]:
        return {"*": self.base_url + "/{host}"}

    def __enter__(self) -> "Internet":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
