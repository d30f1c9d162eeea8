"""Run by tests/sim/test_identity.py with the Python of a separate virtualenv
that has Shopify's `shopifyapp` package (its module is named `shopify_app`,
like ours, so it can't live in the project's venv).

Reads a JSON job on stdin, runs Shopify's own verification and exchange
functions against a running simulator, prints JSON results.
"""
from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone

import httpx
from shopify_app import ShopifyApp


class ToSimulator(httpx.HTTPTransport):
    """Sends https://SHOP/path to {simulator}/SHOP/path, as SHOPIFY_SHOP_ORIGIN does for our app."""

    def __init__(self, origin: str) -> None:
        super().__init__()
        self.origin = origin

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        target = httpx.URL(f"{self.origin}/{request.url.host}{request.url.raw_path.decode()}")
        request.url = target
        request.headers["Host"] = target.netloc.decode()
        return super().handle_request(request)


def main() -> None:
    job = json.load(sys.stdin)
    app = ShopifyApp(client_id=job["client_id"], client_secret=job["client_secret"])
    client = httpx.Client(transport=ToSimulator(job["sim"]))
    out: dict = {}

    home = app.verify_app_home_req({"method": "GET", "headers": {}, "url": job["open_url"], "body": ""},
                                   app_home_patch_id_token_path="/auth/patch-id-token")
    out["app_home"] = {"ok": home.ok, "shop": home.shop, "user_id": home.user_id, "code": home.log.code}

    exchanged = app.exchange_using_token_exchange("offline", id_token=home.id_token, http_client=client)
    token = exchanged.access_token
    out["exchange"] = {"ok": exchanged.ok, "code": exchanged.log.code,
                       "token": token.token if token else None,
                       "refresh_token": token.refresh_token if token else None,
                       "scope": token.scope if token else None}

    if token:
        due = dict(vars(token)) if not isinstance(token, dict) else dict(token)
        due["expires"] = (datetime.now(timezone.utc) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        refreshed = app.refresh_token_exchanged_access_token(due, http_client=client)
        out["refresh"] = {"ok": refreshed.ok, "code": refreshed.log.code,
                          "token": refreshed.access_token.token if refreshed.access_token else None}

    hook = job["webhook"]
    request = {"method": "POST", "headers": hook["headers"], "url": "https://app.test/webhooks", "body": hook["body"]}
    verified = app.verify_webhook_req(request)
    out["webhook"] = {"ok": verified.ok, "shop": verified.shop, "code": verified.log.code}
    tampered = app.verify_webhook_req(dict(request, body=hook["body"].replace("shop_domain", "shop_domaim")))
    out["webhook_tampered"] = {"ok": tampered.ok, "status": tampered.response.status}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
