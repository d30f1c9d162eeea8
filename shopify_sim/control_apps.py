"""Control API for apps: what the Partner dashboard and a merchant's clicks in
the admin would do. Documented in shopify_sim/AUTH.md.
"""
from __future__ import annotations

import tomllib
from typing import Any, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Blueprint, current_app, jsonify, redirect, request

from . import get_state, webhooks
from .identity import admin_host, admin_session, mint_id_token
from .oauth import DEFAULT_USER_ID, split_scopes, token_response
from .signing import sign_query
from .state import App, Shop, SimState

bp = Blueprint("control_apps", __name__)


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@bp.errorhandler(ControlError)
def _control_error(exc: ControlError) -> Any:
    return jsonify({"error": exc.message}), exc.status


def _body() -> dict[str, Any]:
    body = request.get_json(force=True, silent=True) if request.get_data() else {}
    if not isinstance(body, dict):
        raise ControlError(400, "The request body must be a JSON object")
    return body


def _shop(state: SimState, domain: str) -> Shop:
    shop = state.shops.get(domain)
    if shop is None:
        raise ControlError(404, f"No shop {domain}")
    return shop


def _app(state: SimState, client_id: Any) -> App:
    app = state.apps.get(str(client_id or ""))
    if app is None:
        raise ControlError(404, f"No app with client_id {client_id!r}")
    return app


# -- app registration -----------------------------------------------------

def prepend_application_url(uri: str, application_url: str) -> str:
    """A subscription's `uri` as Shopify CLI resolves it: a path starting with
    `/` is appended to application_url (trailing slash removed)."""
    return application_url.rstrip("/") + uri if uri.startswith("/") else uri


def subscriptions_from(entries: Any, application_url: str) -> list[tuple[str, str]]:
    """(topic, absolute uri) pairs from `[[webhooks.subscriptions]]` tables."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise ControlError(400, "webhooks.subscriptions must be a list of tables")
    pairs = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("uri"), str) or not entry["uri"]:
            raise ControlError(400, "Every webhook subscription needs a uri")
        topics = list(entry.get("topics") or []) + list(entry.get("compliance_topics") or [])
        bad = [t for t in entry.get("compliance_topics") or [] if t not in webhooks.COMPLIANCE_TOPICS]
        if bad or not topics or not all(isinstance(t, str) for t in topics):
            raise ControlError(400, f"Invalid topics in subscription to {entry['uri']}")
        uri = prepend_application_url(entry["uri"], application_url)
        pairs.extend((topic, uri) for topic in topics)
    return pairs


def app_config_from_toml(text: str) -> dict[str, Any]:
    """The fields of a shopify.app.toml the simulator uses."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ControlError(400, f"shopify.app.toml does not parse: {exc}") from None
    hooks = doc.get("webhooks") or {}
    config: dict[str, Any] = {
        "client_id": doc.get("client_id"),
        "application_url": doc.get("application_url"),
        "scopes": (doc.get("access_scopes") or {}).get("scopes", ""),
        "redirect_urls": (doc.get("auth") or {}).get("redirect_urls", []),
        "subscriptions": hooks.get("subscriptions"),
    }
    if hooks.get("api_version"):
        config["webhook_api_version"] = hooks["api_version"]
    return config


def _app_json(app: App) -> dict[str, Any]:
    return {"client_id": app.client_id, "application_url": app.application_url, "scopes": app.scopes,
            "redirect_urls": app.redirect_urls, "webhook_api_version": app.webhook_api_version,
            "webhooks": [{"topic": t, "uri": u} for t, u in app.webhooks]}


@bp.post("/_sim/apps")
def register_app() -> Any:
    body = _body()
    fields = app_config_from_toml(body["toml"]) if isinstance(body.get("toml"), str) else {}
    # Explicit fields win over the TOML (the secret is never in the TOML).
    for key in ("client_id", "application_url", "scopes", "redirect_urls", "webhook_api_version"):
        if body.get(key) is not None:
            fields[key] = body[key]
    if body.get("webhooks") is not None:
        fields["subscriptions"] = body["webhooks"]
    client_id, secret, url = fields.get("client_id"), body.get("client_secret"), fields.get("application_url")
    for name, value in (("client_id", client_id), ("client_secret", secret), ("application_url", url)):
        if not isinstance(value, str) or not value:
            raise ControlError(400, f"{name} is required")
    if urlsplit(url).scheme not in ("http", "https"):
        raise ControlError(400, "application_url must be an http(s) URL")
    redirect_urls = fields.get("redirect_urls") or []
    if not isinstance(redirect_urls, list) or not all(isinstance(u, str) for u in redirect_urls):
        raise ControlError(400, "redirect_urls must be a list of URLs")
    app = App(client_id=client_id, client_secret=secret, application_url=url,
              scopes=split_scopes(fields.get("scopes")), redirect_urls=list(redirect_urls),
              webhooks=subscriptions_from(fields.get("subscriptions"), url),
              webhook_api_version=str(fields.get("webhook_api_version") or App.webhook_api_version))
    state = get_state()
    with state.lock:
        existed = client_id in state.apps
        state.apps[client_id] = app
    return jsonify(_app_json(app)), 200 if existed else 201


# -- installs and tokens --------------------------------------------------

@bp.post("/_sim/shops/<domain>/installs")
def install(domain: str) -> Any:
    """Managed install: Shopify installs the app with the TOML's scopes and
    tells the app nothing; the app gets a token by token exchange."""
    state = get_state()
    body = _body()
    with state.lock:
        shop = _shop(state, domain)
        app = _app(state, body.get("client_id"))
        existed = app.client_id in shop.installed_apps
        shop.installed_apps.add(app.client_id)
    return jsonify({"shop": domain, "client_id": app.client_id, "scopes": app.scopes}), 200 if existed else 201


@bp.post("/_sim/shops/<domain>/access_tokens")
def issue_access_token(domain: str) -> Any:
    state = get_state()
    body = _body()
    with state.lock:
        shop = _shop(state, domain)
        app = _app(state, body.get("client_id"))
        scopes = split_scopes(body["scopes"]) if body.get("scopes") is not None else list(app.scopes)
        shop.installed_apps.add(app.client_id)
        token = state.issue_token(domain, app.client_id, scopes, expiring=bool(body.get("expiring")))
        response = token_response(state, token)
    return jsonify(response), 201


@bp.get("/_sim/shops/<domain>/apps/<client_id>/open")
def open_app(domain: str, client_id: str) -> Any:
    """The admin opening the app: the iframe's first request, with the query
    Shopify puts on it (embedded, hmac, host, id_token, locale, session, shop,
    timestamp). `?path=/x?y=1` deep-links; `user_id` and `locale` pick the
    viewer."""
    state = get_state()
    path = request.args.get("path", "")
    if path and not path.startswith("/"):
        raise ControlError(400, "path must start with /")
    with state.lock:
        _shop(state, domain)
        app = _app(state, client_id)
        # Managed install happens before the first load.
        state.shops[domain].installed_apps.add(app.client_id)
        now = state.now()
        user_id = request.args.get("user_id", DEFAULT_USER_ID)
        target_path, _, deep_query = path.partition("?")
        params: dict[str, Any] = dict(parse_qsl(deep_query, keep_blank_values=True))
        params.update({
            "embedded": "1",
            "host": admin_host(domain),
            "id_token": mint_id_token(shop=domain, client_id=app.client_id, client_secret=app.client_secret,
                                      user_id=user_id, now=now),
            "locale": request.args.get("locale", "en"),
            "session": admin_session(domain, user_id),
            "shop": domain,
            "timestamp": str(int(now)),
        })
        signed = sign_query(params, app.client_secret)
    base = prepend_application_url(target_path, app.application_url) if target_path else app.application_url
    separator = "&" if urlsplit(base).query else "?"
    return redirect(base + separator + urlencode(sorted(signed.items())), 302)


# -- uninstall and webhooks -----------------------------------------------

def _enqueue(state: SimState, app: App, shop: str, topic: str, payload: dict[str, Any],
             not_before: float | None = None) -> list[webhooks.Delivery]:
    config = current_app.config
    created = webhooks.enqueue(state, app=app, shop=shop, topic=topic, payload=payload,
                               retry_scale=float(config.get("SIM_WEBHOOK_RETRY_SCALE", 1.0)),
                               not_before=not_before)
    if created and config.get("SIM_WEBHOOK_THREAD"):
        webhooks.ensure_delivery_thread(state)
    return created


@bp.post("/_sim/shops/<domain>/apps/<client_id>/uninstall")
def uninstall(domain: str, client_id: str) -> Any:
    """The merchant uninstalls: tokens die at once, `app/uninstalled` goes
    out, and `shop/redact` follows 48 hours later (SIM_SHOP_REDACT_DELAY)."""
    state = get_state()
    with state.lock:
        shop = _shop(state, domain)
        app = _app(state, client_id)
        if app.client_id not in shop.installed_apps:
            raise ControlError(409, f"{client_id} is not installed on {domain}")
        shop.installed_apps.discard(app.client_id)
        state.revoke_tokens(domain, app.client_id)
        now = state.now()
        sent = _enqueue(state, app, domain, "app/uninstalled", webhooks.shop_payload(shop, now))
        delay = float(current_app.config.get("SIM_SHOP_REDACT_DELAY", webhooks.SHOP_REDACT_DELAY_SECONDS))
        redact = _enqueue(state, app, domain, "shop/redact", webhooks.compliance_payload("shop/redact", shop),
                          not_before=now + delay)
    return jsonify({"shop": domain, "client_id": client_id, "uninstalled": True,
                    "webhooks": [d.as_json() for d in sent + redact]})


@bp.post("/_sim/shops/<domain>/webhooks/<path:topic>")
def trigger_webhook(domain: str, topic: str) -> Any:
    """Send `topic` for the shop: to `client_id`'s app, or to every app that
    subscribes. Compliance topics get Shopify's payload shape (fields in
    `payload` override); other topics need `payload` (app/scopes_update gets
    the shop's `shop_id` added unless it sets one)."""
    state = get_state()
    body = _body()
    payload = body.get("payload")
    if payload is not None and not isinstance(payload, dict):
        raise ControlError(400, "payload must be a JSON object")
    with state.lock:
        shop = _shop(state, domain)
        if topic in webhooks.COMPLIANCE_TOPICS:
            payload = webhooks.compliance_payload(topic, shop, payload)
        elif payload is None:
            raise ControlError(400, f"payload is required for {topic}")
        elif topic == "app/scopes_update":
            payload = webhooks.scopes_update_payload(shop, payload)
        apps = [_app(state, body["client_id"])] if body.get("client_id") else list(state.apps.values())
        sent = [d for app in apps for d in _enqueue(state, app, domain, topic, payload)]
    if not sent:
        raise ControlError(422, f"No app subscribes to {topic}")
    return jsonify({"webhooks": [d.as_json() for d in sent]}), 202


@bp.get("/_sim/webhooks")
def webhook_log() -> Any:
    state = get_state()
    wanted: Mapping[str, str] = {k: request.args[k] for k in ("shop", "topic", "status", "client_id")
                                 if k in request.args}
    with state.lock:
        rows = [d.as_json() for d in state.webhook_deliveries
                if all(getattr(d, k) == v for k, v in wanted.items())]
    return jsonify({"deliveries": rows})


@bp.post("/_sim/webhooks/deliver")
def deliver_now() -> Any:
    """Attempt the due deliveries now (`{"everything": true}`: every pending
    one, ignoring the retry schedule and the shop/redact delay)."""
    state = get_state()
    attempted = webhooks.deliver_pending(state, everything=bool(_body().get("everything")))
    with state.lock:
        return jsonify({"attempted": [d.as_json() for d in attempted]})
