"""The OpenAPI document states the server's own rules (issue 15.7: "schema
accepts what the server rejects"): each pattern is checked against the code
that enforces it, with generated strings."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from jobs.matching.fields import STANDARD_BY_KEY
from cloudinary_bridge.openapi import TEXT_PATTERN, build_document
from jobs.planner import transformation
from jobs.planner.request import SHOPIFY_FIELD_PATTERN, STANDARD_FIELD_KEYS, shopify_field
from jobs.planner.settings import webhook_url_problem, webhook_url_schema

RELAXED = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
# Drawing from the 12 kB transformation pattern is slow: fewer, still varied.
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


def _patterns(node, path=""):
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield path, node["pattern"]
        for key, value in node.items():
            if key != "not":  # a `not` pattern says what is refused
                yield from _patterns(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _patterns(value, f"{path}[{index}]")


@pytest.mark.parametrize("development", [True, False])
def test_no_pattern_of_the_document_admits_a_nul(app, development):
    """shopify_app.json_input refuses U+0000 in any string; a field's own
    pattern replaces the document's general text pattern, so each must
    refuse it too."""
    app.config["ASSETLINK_DEVELOPMENT"] = development
    with app.app_context():
        document = build_document(app)
    found = list(_patterns(document))
    assert any(p == TEXT_PATTERN for _, p in found)
    for path, pattern in found:
        compiled = re.compile(pattern)
        for probe in ("\x00", "a\x00", "sku\x00", "https://a.example.com/\x00", "w_100\x00",
                      "gid://shopify/Product/1\x00"):
            assert not compiled.search(probe) or not compiled.fullmatch(probe), (path, pattern, probe)


def test_the_shopify_field_pattern_names_the_fields_the_bridge_describes():
    assert set(STANDARD_FIELD_KEYS) == set(STANDARD_BY_KEY)
    for key in STANDARD_FIELD_KEYS:
        assert re.fullmatch(SHOPIFY_FIELD_PATTERN, key)
    for good in ("metafield:custom.material", "metafield:$app:cloudinary.sku", "metafield:app--1--x.y"):
        assert shopify_field(good) == good
    for bad in ("0", "skus", "metafield:", "metafield:nodot", "metafield:a.b.c", "metafield:a b.c", "SKU"):
        with pytest.raises(ValueError):
            shopify_field(bad)


@SLOW
@given(st.from_regex(transformation.PATTERN, fullmatch=True).filter(lambda s: len(s) <= transformation.MAX_LENGTH))
def test_every_transformation_the_schema_admits_is_valid(text):
    if re.search(transformation.REPEATED_KEY, text) or re.search(transformation.TOO_MANY_STEPS, text):
        with pytest.raises(transformation.TransformationError, match="twice|steps"):
            transformation.validate(text)
    else:
        assert transformation.validate(text) == text


@RELAXED
@given(st.text(alphabet="wchqfe_,/0123456789:.$aiutoflgs", max_size=40))
def test_every_valid_transformation_is_admitted_by_the_schema(text):
    try:
        transformation.validate(text)
    except transformation.TransformationError:
        return
    assert re.fullmatch(transformation.PATTERN, text)
    assert not re.search(transformation.REPEATED_KEY, text) and not re.search(transformation.TOO_MANY_STEPS, text)


@pytest.mark.parametrize("development", [True, False])
def test_every_webhook_url_the_schema_admits_is_accepted(development):
    rule = webhook_url_schema(development=development)
    refused = re.compile(rule["not"]["pattern"]) if "not" in rule else None

    @RELAXED
    @given(st.from_regex(rule["pattern"], fullmatch=True))
    def check(url):
        if len(url) > 2048 or (refused is not None and refused.search(url)):
            return
        assert webhook_url_problem(url, development=development) is None, url

    check()


@pytest.mark.parametrize("url", ["https://localhost/x", "https://a.local/x", "https://x.internal:8443/",
                                 "https://h.home.arpa", "https://10.0.0.1/x", "https://0x7f.0.0.1/", "https://a.0x1/",
                                 "https://127.1/", "http://hooks.example.com/", "https://intranet/"])
def test_urls_production_refuses_are_outside_its_schema(url):
    rule = webhook_url_schema(development=False)
    admitted = re.fullmatch(rule["pattern"], url) and not re.search(rule["not"]["pattern"], url)
    assert webhook_url_problem(url, development=False) is not None
    assert not admitted, url
