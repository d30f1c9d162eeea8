"""Fixtures shared by the simulator's auth, identity and webhook tests."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from shopify_sim.state import SimState

CLIENT_ID = "sim-auth-client-id"
CLIENT_SECRET = "sim-auth-secret-0123456789abcdef"
SHOP = "auth-shop.myshopify.com"
OTHER_SHOP = "other-shop.myshopify.com"
APP_URL = "https://assetlink.example.test/"
REDIRECT_URI = "https://assetlink.example.test/auth/callback"


def app_toml(application_url: str = APP_URL) -> str:
    return f'''
client_id = "{CLIENT_ID}"
name = "AssetLink test"
application_url = "{application_url}"
embedded = true

[access_scopes]
scopes = "write_products,write_files"

[auth]
redirect_urls = [ "{REDIRECT_URI}" ]

[webhooks]
api_version = "2026-07"

  [[webhooks.subscriptions]]
  topics = [ "app/uninstalled", "app/scopes_update" ]
  uri = "/webhooks/app"

  [[webhooks.subscriptions]]
  compliance_topics = [ "customers/data_request", "customers/redact", "shop/redact" ]
  uri = "/webhooks/compliance"
'''


class Clock:
    """A clock tests move by hand."""

    def __init__(self, start: float | None = None) -> None:
        self.now = float(int(time.time())) if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Sim:
    app: Any
    client: Any
    state: SimState
    clock: Clock

    def register(self, application_url: str = APP_URL, **extra: Any) -> Any:
        response = self.client.post("/_sim/apps", json={"client_secret": CLIENT_SECRET,
                                                         "toml": app_toml(application_url), **extra})
        assert response.status_code in (200, 201), response.get_json()
        return response


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    path: str


class Receiver:
    """A real HTTP server on 127.0.0.1:<free port> that records what it gets
    and answers with the next status from `statuses` (the last one repeats)."""

    def __init__(self, statuses: list[int], delay: float = 0.0) -> None:
        self.statuses = list(statuses)
        self.delay = delay
        self.received: list[Received] = []
        self.server = make_server("127.0.0.1", 0, self._wsgi)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    @Request.application
    def _wsgi(self, request: Request) -> Response:
        self.received.append(Received(headers=dict(request.headers), body=request.get_data(), path=request.path))
        if self.delay:
            time.sleep(self.delay)
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        headers = {"Location": "https://elsewhere.example/"} if 300 <= status < 400 else {}
        return Response("ok", status=status, headers=headers)
