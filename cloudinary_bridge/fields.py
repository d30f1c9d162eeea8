"""`GET /fields`: the Shopify fields a Cloudinary value can be matched
against (what they are and how they are read: jobs.matching.fields)."""
from __future__ import annotations

from typing import Optional

from flask import g, jsonify
from pydantic import BaseModel

from jobs.matching.fields import (METAFIELD_SEARCH_NOTE, STANDARD_FIELDS, Level, metafield_definitions,
                                  unsearchable_reason)
from shopify_app.admin_api import REQUEST_MAX_WAIT, for_shop

from . import bp, openapi


class FieldDescription(BaseModel):
    key: str
    label: str
    level: Level
    type: Optional[str] = None
    matchable: bool = True
    note: Optional[str] = None


class FieldsResponse(BaseModel):
    fields: list[FieldDescription]


@bp.get("/fields")
@openapi.operation("Shopify fields to match on", tag="Matching", responses={200: FieldsResponse}, upstream=True,
                   description="Standard product and variant fields, then every product metafield definition as "
                               "`metafield:<namespace>.<key>`.")
def list_fields():
    client = for_shop(g.shop, max_wait=REQUEST_MAX_WAIT)
    fields = [FieldDescription(key=f.key, label=f.label, level=f.level) for f in STANDARD_FIELDS]
    for spec in metafield_definitions(client):
        fields.append(FieldDescription(key=spec.key, label=spec.label, level=spec.level, type=spec.metafield_type,
                                       matchable=spec.searchable,
                                       note=unsearchable_reason(spec) or METAFIELD_SEARCH_NOTE))
    return jsonify(FieldsResponse(fields=fields).model_dump())
