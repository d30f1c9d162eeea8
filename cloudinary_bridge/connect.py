"""Connecting a Cloudinary environment: code -> token, and revoking it."""
from __future__ import annotations

from typing import Annotated, Optional

from flask import g, jsonify
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from shopify_app import credentials
from shopify_app.extensions import db
from shopify_app.models import BridgeCredential
from shopify_app.problems import PROBLEM_TYPE_BASE, Problem

from . import bp, limits, openapi
from .errors import parse_body

# Cloudinary cloud names are letters, digits, '-' and '_'.
CLOUD_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,127}$"
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


class ConnectRequest(BaseModel):
    model_config = ConfigDict(strict=True)

    connection_code: Annotated[StrictStr, Field(min_length=1, max_length=200)]
    cloud_name: Annotated[StrictStr, Field(pattern=CLOUD_NAME_PATTERN)]
    label: Optional[Annotated[StrictStr, Field(max_length=255, pattern=PRINTABLE)]] = None


class StoreRef(BaseModel):
    domain: str
    name: Optional[str]


class ConnectResponse(BaseModel):
    token: str = Field(description="Bearer token for every other call. Shown once.")
    signing_secret: str = Field(description="Signs the sync-completed webhook (HMAC-SHA256). Shown once.")
    connection_id: str
    store: StoreRef


@bp.post("/connect")
@openapi.operation(
    "Exchange a connection code for a token", tag="Connection", public=True,
    request=ConnectRequest, responses={200: ConnectResponse},
    problems={401: "The code is unknown, already used or regenerated.",
              429: "The code is not valid, and too many attempts failed from this client (or with this "
                   "store's old codes); see Retry-After. A valid code always connects."},
    description="The merchant copies the code from Settings in the Shopify admin. A code works once. Failed "
                "attempts are counted per client address (IPv6: per /64) and per store; a valid code is "
                "never refused.")
def connect():
    body = parse_body(ConnectRequest)
    issued = credentials.redeem_code(body.connection_code, body.cloud_name, body.label)
    if issued is None:
        wait = limits.record_failure(credentials.store_of_ended_code(body.connection_code))
        if wait is not None:
            raise Problem(429, "This connection code is not valid, and too many connection attempts failed "
                               "from this address (or with this store's old codes); try again later.",
                          title="Too Many Requests", type_=PROBLEM_TYPE_BASE + "too-many-failed-attempts",
                          headers={"Retry-After": str(wait)})
        raise Problem(401, "This connection code is not valid: it is unknown, was already used, or was "
                           "regenerated. Copy the current code from Settings in the Shopify admin.",
                      title="Unauthorized", type_=PROBLEM_TYPE_BASE + "invalid-connection-code")
    shop = issued.credential.shop
    return jsonify(ConnectResponse(
        token=issued.token, signing_secret=issued.signing_secret or "", connection_id=issued.credential.id,
        store=StoreRef(domain=shop.domain, name=shop.name)).model_dump())


@bp.delete("/connection")
@openapi.operation("Revoke the calling token", tag="Connection", responses={204: None},
                   description="The token (connection or API key) stops working at once.")
def disconnect():
    credential = db.session.get(BridgeCredential, g.credential.id)
    credentials.revoke(credential)
    db.session.commit()
    return "", 204
