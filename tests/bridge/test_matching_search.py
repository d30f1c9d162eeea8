"""Packing lookups into few searches, and the equality rules of /matches."""
from __future__ import annotations

from hypothesis import given, strategies as st

from jobs.matching.fields import STANDARD_BY_KEY
from jobs.matching.matcher import node_values, normalise, search_text
from jobs.matching.search import MAX_SEARCH_CHARS, page_size, product_number, quote, search_term, searches


def test_page_size_fits_query_maximum_and_bucket():
    assert page_size(2000, 3) == 250          # 752 points
    assert page_size(1000, 4) == 249          # 998 <= 1000
    assert page_size(100, 3) == 32            # a 100-point bucket: 98 // 3
    assert page_size(1, 3) == 1
    for capacity in (50, 100, 200, 1000, 2000, 20000):
        for cost in (1, 2, 3, 4, 7):
            first = page_size(capacity, cost)
            assert 2 + first * cost <= max(min(capacity, 1000), 2 + cost)


def test_quoting_keeps_odd_values_one_token():
    assert quote('12" pipe') == '"12\\" pipe"'
    assert quote("a\\b") == '"a\\\\b"'
    assert search_term("sku", "AB: 1 (x)") == 'sku:"AB: 1 (x)"'
    assert search_term("id", "123") == "id:123"


def test_product_number():
    assert product_number("gid://shopify/Product/42") == "42"
    assert product_number("42") == "42"
    assert product_number("gid://shopify/ProductVariant/42") is None
    assert product_number(" 42") is None
    assert product_number("4²") is None and product_number("٤٢") is None  # digits, but not ASCII ones


@given(st.lists(st.text(min_size=1, max_size=80), min_size=1, max_size=600),
       st.integers(min_value=1, max_value=300), st.integers(min_value=100, max_value=6000))
def test_searches_cover_every_value_within_limits(values, max_terms, max_chars):
    out = list(searches("sku", values, max_terms=max_terms, max_chars=max_chars))
    assert [v for chunk, _ in out for v in chunk] == values
    for chunk, query in out:
        assert len(chunk) <= max_terms
        assert query == " OR ".join(search_term("sku", v) for v in chunk)
        assert len(query) <= max_chars or len(chunk) == 1


def test_1000_skus_need_few_searches():
    skus = [f"SKU-{i:06d}" for i in range(1000)]
    out = list(searches("sku", skus))
    assert len(out) == 4 and all(len(q) <= MAX_SEARCH_CHARS for _, q in out)


def test_equality_rules():
    assert normalise("  Äpfel-Blau ", exact=False) == normalise("äpfel-blau", exact=False)
    # NFD input (macOS file names) equals NFC.
    assert normalise("A\u0308pfel", exact=False) == normalise("Äpfel", exact=False)
    assert normalise("STRASSE", exact=False) == normalise("strasse", exact=False)
    assert normalise("Straße", exact=False) != normalise("STRASSE", exact=False)  # as Shopify's search
    assert normalise(" 42", exact=True) != normalise("42", exact=True)
    assert search_text("   ", exact=False) is None
    assert search_text(" a b ", exact=False) == "a b"


def test_node_values():
    product = {"id": "gid://shopify/Product/7", "legacyResourceId": "7", "title": "T", "handle": "h",
               "vendor": "V", "productType": "P", "tags": ["a", "b"]}
    assert node_values(STANDARD_BY_KEY["tag"], product) == ["a", "b"]
    assert node_values(STANDARD_BY_KEY["id"], product) == ["gid://shopify/Product/7", "7"]
    assert node_values(STANDARD_BY_KEY["product_type"], product) == ["P"]
    assert node_values(STANDARD_BY_KEY["sku"], {"sku": None}) == []
