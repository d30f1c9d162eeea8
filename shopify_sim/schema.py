"""Shopify's Admin GraphQL schema, 2026-10, as Shopify publishes it."""
from __future__ import annotations

import functools
import gzip
import json
import os

from graphql import GraphQLSchema, build_client_schema

API_VERSION = "2026-10"
SCHEMA_PATH = os.path.join(os.path.dirname(__file__), "data", f"admin_{API_VERSION}.json.gz")


@functools.lru_cache(maxsize=1)
def admin_schema() -> GraphQLSchema:
    with gzip.open(SCHEMA_PATH, "rt", encoding="utf-8") as fh:
        introspection = json.load(fh)["data"]
    schema = build_client_schema(introspection)
    # graphql-core's own schema validation rejects the schema as Shopify
    # publishes it (deprecated fields implementing non-deprecated interface
    # fields); Shopify serves it as it is, so skip that check and validate
    # queries normally.
    schema._validation_errors = []
    return schema


@functools.lru_cache(maxsize=1)
def introspection() -> dict:
    with gzip.open(SCHEMA_PATH, "rt", encoding="utf-8") as fh:
        return json.load(fh)["data"]
