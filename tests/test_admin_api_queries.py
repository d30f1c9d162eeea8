"""Every document the app sends validates against Shopify's 2026-10 schema."""
from __future__ import annotations

import pytest
from graphql import parse, validate

from shopify_app.admin_api import queries
from shopify_sim.schema import admin_schema

DOCUMENTS = queries.all_documents()


def test_module_has_documents():
    assert {"SHOP_INFO", "MATCH_VARIANTS", "MATCH_PRODUCTS", "PRODUCT_METAFIELD_DEFINITIONS"} <= set(DOCUMENTS)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_is_valid_against_admin_schema(name):
    errors = validate(admin_schema(), parse(DOCUMENTS[name]))
    assert errors == [], f"{name}: {[e.message for e in errors]}"


def test_a_wrong_field_is_caught():
    # The check itself must be able to fail.
    errors = validate(admin_schema(), parse("query { shop { noSuchField } }"))
    assert errors
