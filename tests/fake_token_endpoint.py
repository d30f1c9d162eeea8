"""A small stand-in for a shop's `/admin/oauth/access_token` (and authorize),
playing Shopify's documented behaviour, with knobs for the failures the app
must survive: lost responses, slow answers, rate limits.

Served by werkzeug on 127.0.0.1:<free port> in a thread; point
SHOPIFY_SHOP_ORIGIN at `fake.origin_template` (the `token_endpoint` fixture
in tests/conftest.py does both). Behaviour
(shopify-auth-and-embedding notes §1–§2):
- client_id/client_secret in the form body, else 401 invalid_client;
- token exchange: the ID token is checked (signature, aud, exp, dest = shop),
  else 400 invalid_subject_token;
- expiring=1 → access token (3600 s) + refresh token (7776000 s);
- refresh: single use, but the previous refresh token is kept until its
  replacement is used (lost-response retries work); dead → 400 invalid_grant;
- authorization_code: single use, else 400 invalid_request.
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from joserfc.jwt import JWTClaimsRegistry
from werkzeug.wrappers import Request, Response

from tests.server_thread import ServerThread

ACCESS_TTL = 3600
OFFLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token"
REFRESH_TTL = 7776000


@dataclass
class RefreshToken:
    shop: str
    scopes: str
    expires_at: float
    replaced_by: str | None = None  # the refresh token issued in exchange for this one


@dataclass
class FakeTokenEndpoint:
    client_id: str
    client_secret: str
    scopes: str = "write_products,write_files"
    # Knobs (tests set them).
    lose_responses: int = 0          # process the next N requests, then answer 502
    stall_responses: int = 0         # process the next N, then sleep `stall_seconds` before answering
    stall_seconds: float = 0.0
    rate_limit_next: int = 0         # answer the next N with 429 without processing
    delay_seconds: float = 0.0       # sleep before processing every request
    installed: set[str] = field(default_factory=set)  # empty: every shop has the app
    requests: list[dict[str, Any]] = field(default_factory=list)
    access_tokens: dict[str, str] = field(default_factory=dict)   # token -> shop
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (shop, scopes)
    legacy_tokens: set[str] = field(default_factory=set)   # non-expiring offline tokens
    migrated: dict[str, dict[str, Any]] = field(default_factory=dict)  # old token -> the pair it became
    lock: threading.Lock = field(default_factory=threading.Lock)
    origin: str = ""

    @property
    def origin_template(self) -> str:
        return self.origin + "/{shop}"

    def grants(self, grant_type: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r.get("grant_type") == grant_type]

    def issue_code(self, shop: str, scopes: str | None = None) -> str:
        code = secrets.token_hex(16)
        self.codes[code] = (shop, self.scopes if scopes is None else scopes)
        return code

    def issue_pair(self, shop: str, scopes: str | None = None) -> dict[str, Any]:
        with self.lock:
            return self._pair(shop, self.scopes if scopes is None else scopes, expiring=True)

    # -- WSGI ----------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self._dispatch(request)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/", 1)
        if len(parts) != 2:
            return Response("not found", 404)
        shop, rest = parts
        if rest == "admin/oauth/access_token" and request.method == "POST":
            return self._access_token(shop, request)
        if rest == "admin/oauth/authorize" and request.method == "GET":
            return Response("authorize page", 200)
        return Response("not found", 404)

    def _access_token(self, shop: str, request: Request) -> Response:
        params = request.form.to_dict()
        with self.lock:
            self.requests.append({"shop": shop, **params})
            if self.rate_limit_next:
                self.rate_limit_next -= 1
                return _json({"errors": "Too many requests"}, 429, {"Retry-After": "0"})
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        with self.lock:
            status, body = self._grant(shop, params)
            lose = stall = False
            if status == 200 and self.lose_responses:
                self.lose_responses -= 1
                lose = True
            elif status == 200 and self.stall_responses:
                self.stall_responses -= 1
                stall = True
        if lose:
            return Response("<html>502 Bad Gateway</html>", 502, mimetype="text/html")
        if stall:
            time.sleep(self.stall_seconds)
        return _json(body, status)

    def _grant(self, shop: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if params.get("client_id") != self.client_id or params.get("client_secret") != self.client_secret:
            return 401, {"error": "invalid_client", "error_description": "Client credentials are invalid"}
        if self.installed and shop not in self.installed:
            return 401, {"error": "invalid_client", "error_description": "The app is not installed"}
        grant = params.get("grant_type")
        expiring = params.get("expiring") == "1"
        if grant == "urn:ietf:params:oauth:grant-type:token-exchange":
            if params.get("subject_token_type") == OFFLINE_TOKEN_TYPE:
                return self._migrate(shop, params)
            if params.get("subject_token_type") != "urn:ietf:params:oauth:token-type:id_token":
                return 400, {"error": "invalid_request"}
            if not self._id_token_ok(params.get("subject_token", ""), shop):
                return 400, {"error": "invalid_subject_token", "error_description": "Invalid subject token"}
            return 200, self._pair(shop, self.scopes, expiring)
        if grant == "refresh_token":
            raw = params.get("refresh_token", "")
            old = self.refresh_tokens.get(raw)
            if old is None or old.shop != shop or old.expires_at <= time.time():
                return 400, {"error": "invalid_grant", "error_description": "Invalid refresh token"}
            # Using a token retires the one it replaced.
            for token in list(self.refresh_tokens.values()):
                if token.replaced_by == raw:
                    token.replaced_by = "used"
            if old.replaced_by == "used":
                return 400, {"error": "invalid_grant", "error_description": "Refresh token already used"}
            pair = self._pair(shop, old.scopes, True)
            old.replaced_by = pair["refresh_token"]
            return 200, pair
        if grant == "authorization_code":
            found = self.codes.pop(params.get("code", ""), None)
            if found is None or found[0] != shop:
                return 400, {"error": "invalid_request", "error_description": "Code not found or used"}
            return 200, self._pair(shop, found[1], expiring)
        return 400, {"error": "unsupported_grant_type"}

    def _migrate(self, shop: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """Non-expiring offline token → expiring pair; the old token is revoked,
        and a retry with it returns the same pair."""
        old = params.get("subject_token", "")
        if params.get("expiring") != "1" or params.get("requested_token_type") != OFFLINE_TOKEN_TYPE:
            return 400, {"error": "invalid_request"}
        if old in self.migrated:
            return 200, self.migrated[old]
        if self.access_tokens.get(old) != shop or old not in self.legacy_tokens:
            return 400, {"error": "invalid_subject_token"}
        del self.access_tokens[old]
        self.migrated[old] = self._pair(shop, self.scopes, True)
        return 200, self.migrated[old]

    def issue_legacy_token(self, shop: str) -> str:
        with self.lock:
            token = self._pair(shop, self.scopes, False)["access_token"]
            self.legacy_tokens.add(token)
            return token

    def _pair(self, shop: str, scopes: str, expiring: bool) -> dict[str, Any]:
        access = "shpat_" + secrets.token_hex(16)
        self.access_tokens[access] = shop
        if not expiring:
            return {"access_token": access, "scope": scopes}
        refresh = "shprt_" + secrets.token_hex(16)
        self.refresh_tokens[refresh] = RefreshToken(shop, scopes, time.time() + REFRESH_TTL)
        return {"access_token": access, "scope": scopes, "expires_in": ACCESS_TTL, "refresh_token": refresh,
                "refresh_token_expires_in": REFRESH_TTL}

    def _id_token_ok(self, raw: str, shop: str) -> bool:
        try:
            token = jwt.decode(raw, OctKey.import_key(self.client_secret), algorithms=["HS256"])
            JWTClaimsRegistry(aud={"essential": True, "value": self.client_id}, exp={"essential": True},
                              dest={"essential": True}).validate(token.claims)
        except (JoseError, ValueError):
            return False
        return urlsplit(str(token.claims["dest"])).hostname == shop


def _json(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    import json
    return Response(json.dumps(body), status, headers=headers, mimetype="application/json")


class RunningFake:
    def __init__(self, fake: FakeTokenEndpoint) -> None:
        self.fake = fake
        self.server = ServerThread(fake)
        fake.origin = self.server.base_url

    def __enter__(self) -> FakeTokenEndpoint:
        self.server.start()
        return self.fake

    def __exit__(self, *exc: Any) -> None:
        self.server.stop()
