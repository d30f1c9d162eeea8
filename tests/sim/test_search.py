"""Shopify's search syntax (https://shopify.dev/docs/api/usage/search-syntax):
the parser and the matcher on their own."""
from __future__ import annotations

from dataclasses import dataclass, field

from shopify_sim import search
from shopify_sim.search import And, Not, Or, Term, parse


@dataclass
class Rec:
    title: str = ""
    skus: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    id: int = 1


MATCHER = search.Matcher({
    "title": search.Field(search.TEXT, lambda r: [r.title]),
    "sku": search.Field(search.KEYWORD, lambda r: r.skus),
    "tag": search.Field(search.KEYWORD, lambda r: r.tags),
    "id": search.Field(search.NUMBER, lambda r: [r.id]),
}, default_fields=("title", "sku"))


def matches(query: str, rec: Rec) -> bool:
    return MATCHER.matches(parse(query), rec)


def test_parses_fields_connectives_and_implicit_and():
    assert parse("sku:A OR sku:B") == Or((Term("sku", "A"), Term("sku", "B")))
    assert parse("tag:x title:y") == And((Term("tag", "x"), Term("title", "y")))
    assert parse("tag:x AND title:y") == And((Term("tag", "x"), Term("title", "y")))
    assert parse("a OR b c") == Or((Term(None, "a"), And((Term(None, "b"), Term(None, "c")))))


def test_field_names_are_case_insensitive_but_connectives_are_upper_case():
    assert parse("SKU:abc") == Term("sku", "abc")
    assert parse("a or b") == And((Term(None, "a"), Term(None, "or"), Term(None, "b")))


def test_quoted_values_keep_spaces_colons_and_escaped_quotes():
    assert parse('title:"Red Shirt: XL"') == Term("title", "Red Shirt: XL")
    assert parse("title:'it is'") == Term("title", "it is")
    assert parse(r'sku:"A\"B"') == Term("sku", 'A"B')
    assert parse(r"sku:A\:B") == Term("sku", "A:B")
    assert parse(r"sku:A\(1\)") == Term("sku", "A(1)")


def test_prefix_negation_grouping_and_comparators():
    assert parse("sku:ABC*") == Term("sku", "ABC", prefix=True)
    assert parse('sku:"ABC*"') == Term("sku", "ABC*")
    assert parse("-tag:sale") == Not(Term("tag", "sale"))
    assert parse("NOT tag:sale") == Not(Term("tag", "sale"))
    assert parse("(sku:A OR sku:B) tag:x") == And((Or((Term("sku", "A"), Term("sku", "B"))), Term("tag", "x")))
    assert parse("id:>=5") == Term("id", "5", comparator=">=")
    assert parse("tag:x -(vendor:A OR vendor:B)") == And((Term("tag", "x"), Not(Or((Term("vendor", "A"),
                                                                                 Term("vendor", "B"))))))


def test_malformed_queries_never_raise():
    for text in ['sku:"unclosed', "((sku:A", "sku:A))", ":", "OR", "NOT", "-", "sku:", '"', "a OR OR b"]:
        parse(text)  # no exception
    assert parse("") is None and parse("   ") is None


def test_matching_is_case_insensitive_and_exact_for_keywords():
    rec = Rec(title="Classic Red Shirt", skus=["ABC-1", "ABC-22"], tags=["Summer"])
    assert matches("sku:abc-1", rec)
    assert not matches("sku:ABC", rec)
    assert matches("sku:ABC*", rec)
    assert matches("tag:summer", rec)
    assert matches("sku:zzz OR sku:ABC-22", rec)
    assert not matches("sku:zzz OR sku:yyy", rec)
    assert matches("sku:ABC-1,XYZ", rec)  # comma list


def test_text_fields_match_words_and_phrases():
    rec = Rec(title="Classic Red Shirt")
    assert matches("title:shirt", rec)
    assert matches('title:"red shirt"', rec)
    assert not matches('title:"shirt red"', rec)
    assert matches("title:cla*", rec)
    assert not matches("title:shir", rec)
    assert matches("red", rec)  # bare terms search the default fields


def test_negation_numbers_and_unknown_fields():
    rec = Rec(title="Mug", tags=["sale"], id=42)
    assert not matches("-tag:sale", rec)
    assert matches("NOT tag:new", rec)
    assert matches("id:42", rec) and matches("id:gid://shopify/Product/42", rec)
    assert matches("id:>40", rec) and not matches("id:<40", rec)
    # Shopify ignores a filter it does not know.
    assert matches("colour:blue", rec)
    assert matches("tag:*", rec) and not matches("sku:*", rec)


def test_candidates_narrow_or_of_exact_terms_and_give_up_on_negation():
    index = {"a": {1}, "b": {2}}

    def lookup(term):
        return index.get(term.value.lower(), set()) if term.field == "sku" else None

    assert search.candidates(parse("sku:A OR sku:B"), lookup) == {1, 2}
    assert search.candidates(parse("sku:A tag:x"), lookup) == {1}
    assert search.candidates(parse("sku:A OR tag:x"), lookup) is None
    assert search.candidates(parse("-sku:A"), lookup) is None


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_any_value_survives_quoting_with_backslash_escapes():
    from hypothesis import given, settings, strategies as st

    @settings(max_examples=300, deadline=None)
    @given(st.text(alphabet=st.sampled_from(list('ab Z9:-_()"\\\'*.,/')), min_size=1, max_size=20))
    def check(value: str) -> None:
        assert parse(f"sku:{_quote(value)}") == Term("sku", value)
        assert parse(f"sku:{_quote(value)} OR sku:{_quote(value)}") == Or((Term("sku", value), Term("sku", value)))

    check()
