"""`GET /store`: who the token belongs to, and its settings."""
from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from flask import g, jsonify
from pydantic import BaseModel

from . import bp, openapi
from .settings import Settings, stored_settings


class ConnectionInfo(BaseModel):
    id: str
    kind: Literal["connection", "api_key"]
    label: Optional[str]
    cloud_name: Optional[str]
    created_at: datetime
    last_used_at: Optional[datetime]


class StoreResponse(BaseModel):
    domain: str
    name: Optional[str]
    currency: Optional[str]
    plan: Optional[str]
    scopes: list[str]
    cloud_name: Optional[str]
    connection: ConnectionInfo
    settings: Settings


@bp.get("/store")
@openapi.operation("The connected store", tag="Store", responses={200: StoreResponse})
def get_store():
    shop, credential = g.shop, g.credential
    body = StoreResponse(
        domain=shop.domain, name=shop.name, currency=shop.currency, plan=shop.plan,
        scopes=sorted({s.strip() for s in (shop.scopes or "").split(",") if s.strip()}),
        cloud_name=credential.cloud_name,
        connection=ConnectionInfo(id=credential.id, kind=credential.kind, label=credential.label,
                                  cloud_name=credential.cloud_name, created_at=credential.created_at,
                                  last_used_at=credential.last_used_at),
        settings=stored_settings(credential))
    return jsonify(body.model_dump(mode="json"))
