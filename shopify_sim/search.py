"""Shopify's search syntax (https://shopify.dev/docs/api/usage/search-syntax):
parse a `query:` argument and match it against records.

Grammar (as documented): terms separated by whitespace are ANDed, `OR`/`AND`
connectives, `NOT` or a leading `-` negates, parentheses group, a term is
`field:value` or a bare value, values may be single- or double-quoted, `\\`
escapes a special character (`: \\ ( ) "`), a trailing unquoted `*` makes a
prefix match, comparators `:<`, `:>`, `:<=`, `:>=`.

Matching follows the documented behaviour: case-insensitive; a field the
resource does not know is ignored (the term matches everything, as Shopify
answers "if an invalid field is specified, the query is ignored"); malformed
input never raises — unbalanced quotes or parentheses are read leniently.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Optional, Union

COMPARATORS = ("<=", ">=", "<", ">")
SPECIAL = set(':\\()"\'')


@dataclass(frozen=True)
class Term:
    field: Optional[str]  # lower-cased; None for a bare value
    value: str  # unescaped, original case
    comparator: Optional[str] = None  # "<", "<=", ">", ">=" or None (equality)
    prefix: bool = False  # trailing unquoted `*`

    @property
    def folded(self) -> str:
        return self.value.casefold()


@dataclass(frozen=True)
class Not:
    expr: "Expr"


@dataclass(frozen=True)
class And:
    items: tuple["Expr", ...]


@dataclass(frozen=True)
class Or:
    items: tuple["Expr", ...]


Expr = Union[Term, Not, And, Or]

# -- tokenizer -------------------------------------------------------------
_LPAREN, _RPAREN = object(), object()


@dataclass
class _Word:
    field: Optional[str]
    comparator: Optional[str]
    value: str
    prefix: bool
    quoted: bool
    negated: bool


def _tokenize(text: str) -> list:
    tokens: list = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "(":
            tokens.append(_LPAREN)
            i += 1
            continue
        if ch == ")":
            tokens.append(_RPAREN)
            i += 1
            continue
        negated = False
        if ch == "-" and i + 1 < n and text[i + 1] == "(":
            # `-(a OR b)` negates a group, like `NOT (a OR b)`.
            tokens.append(_Word(None, None, "NOT", False, False, False))
            i += 1
            continue
        if ch == "-" and i + 1 < n and not text[i + 1].isspace():
            negated = True
            i += 1
        word, i = _read_word(text, i, negated)
        if word is not None:
            tokens.append(word)
    return tokens


def _read_quoted(text: str, i: int) -> tuple[str, int]:
    quote = text[i]
    i += 1
    out = []
    while i < len(text) and text[i] != quote:
        if text[i] == "\\" and i + 1 < len(text):
            i += 1
        out.append(text[i])
        i += 1
    return "".join(out), i + 1  # lenient: an unclosed quote runs to the end


def _read_plain(text: str, i: int, stop_at_colon: bool) -> tuple[str, bool, int]:
    """Read an unquoted name; returns (text, ends_with_unescaped_star, index)."""
    out = []
    star = False
    while i < len(text):
        ch = text[i]
        if ch.isspace() or ch in "()":
            break
        if ch == ":" and stop_at_colon:
            break
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            star = False
            i += 2
            continue
        out.append(ch)
        star = ch == "*"
        i += 1
    value = "".join(out)
    if star:
        value = value[:-1]
    return value, star, i


def _read_word(text: str, i: int, negated: bool) -> tuple[Optional[_Word], int]:
    if i < len(text) and text[i] in "\"'":
        value, i = _read_quoted(text, i)
        return _Word(None, None, value, False, True, negated), i
    name, star, j = _read_plain(text, i, stop_at_colon=True)
    if j < len(text) and text[j] == ":" and name and not star:
        j += 1
        comparator = None
        for comp in COMPARATORS:
            if text.startswith(comp, j):
                comparator = comp
                j += len(comp)
                break
        if j < len(text) and text[j] in "\"'":
            value, j = _read_quoted(text, j)
            return _Word(name.lower(), comparator, value, False, True, negated), j
        value, star, j = _read_plain(text, j, stop_at_colon=False)
        return _Word(name.lower(), comparator, value, star, False, negated), j
    if j < len(text) and text[j] == ":" and j == i:
        # A stray colon: skip it.
        return None, j + 1
    name2, star2, j2 = _read_plain(text, i, stop_at_colon=False)
    return _Word(None, None, name2, star2, False, negated), j2


# -- parser ----------------------------------------------------------------
class _Parser:
    def __init__(self, tokens: list) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self):
        tok = self.peek()
        self.pos += 1
        return tok

    @staticmethod
    def is_keyword(tok, word: str) -> bool:
        return isinstance(tok, _Word) and not tok.quoted and tok.field is None and not tok.negated \
            and not tok.prefix and tok.value == word

    def parse_or(self) -> Optional[Expr]:
        items = []
        first = self.parse_and()
        if first is not None:
            items.append(first)
        while self.is_keyword(self.peek(), "OR"):
            self.take()
            nxt = self.parse_and()
            if nxt is not None:
                items.append(nxt)
        if not items:
            return None
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self) -> Optional[Expr]:
        items = []
        while True:
            tok = self.peek()
            if tok is None or tok is _RPAREN or self.is_keyword(tok, "OR"):
                break
            if self.is_keyword(tok, "AND"):
                self.take()
                continue
            unary = self.parse_unary()
            if unary is not None:
                items.append(unary)
        if not items:
            return None
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_unary(self) -> Optional[Expr]:
        tok = self.take()
        if self.is_keyword(tok, "NOT"):
            inner = self.parse_unary() if self.peek() is not None else None
            return Not(inner) if inner is not None else None
        if tok is _LPAREN:
            inner = self.parse_or()
            if self.peek() is _RPAREN:
                self.take()
            return inner
        if tok is _RPAREN:  # unbalanced: ignore
            return None
        term = Term(tok.field, tok.value, tok.comparator, tok.prefix)
        if tok.field is None and not tok.value and not tok.prefix:
            return None
        return Not(term) if tok.negated else term


def parse(text: Optional[str]) -> Optional[Expr]:
    """Parse a search query; None means "match everything"."""
    if not text or not text.strip():
        return None
    parser = _Parser(_tokenize(text))
    expr = parser.parse_or()
    # Stray closing parentheses: keep reading what follows them.
    while parser.peek() is not None:
        parser.take()
        more = parser.parse_or()
        if more is not None:
            expr = more if expr is None else And((expr, more))
    return expr


# -- matching --------------------------------------------------------------
# How a resource exposes its fields: field name → function(record) giving the
# values to compare and the kind of comparison.
KEYWORD, TEXT, NUMBER = "keyword", "text", "number"
# Whole value, case-sensitive (metafield filters: "exact, case-sensitive").
EXACT = "exact"
# A decimal amount (`price:100.57`, the schema's `bigdecimal` filters).
DECIMAL = "decimal"
# A moment (epoch seconds); values are dates or ISO 8601 times, as the
# schema's filter tables show (`created_at:>'2020-10-21T23:39:20Z'`, `created_at:<=2024`).
TIME = "time"


def parse_time(text: str) -> Optional[tuple[float, float]]:
    """The span a time value names, [start, end) in epoch seconds (a year, a
    day or a second), or None when it is not a time."""
    from datetime import datetime, timedelta, timezone
    value = text.strip().strip("'\"")
    try:
        if len(value) == 4 and value.isdigit():
            start = datetime(int(value), 1, 1, tzinfo=timezone.utc)
            return start.timestamp(), datetime(int(value) + 1, 1, 1, tzinfo=timezone.utc).timestamp()
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    span = timedelta(days=1) if "T" not in value and " " not in value else timedelta(seconds=1)
    return moment.timestamp(), (moment + span).timestamp()


@dataclass(frozen=True)
class Field:
    kind: str
    values: Callable[[object], Iterable]


def _words(text: str) -> list[str]:
    out, cur = [], []
    for ch in text.casefold():
        if ch.isalnum():
            cur.append(ch)
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def _compare(a, b, comparator: str) -> bool:
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[comparator]


def _match_value(kind: str, value, term: Term) -> bool:
    if value is None:
        return False
    if kind == EXACT:
        return str(value) == term.value
    if kind == TIME:
        span = parse_time(term.value)
        if span is None:
            return False
        start, end = span
        if term.comparator == ">":
            return value >= end
        if term.comparator == ">=":
            return value >= start
        if term.comparator == "<":
            return value < start
        if term.comparator == "<=":
            return value < end
        return start <= value < end
    if kind in (KEYWORD, NUMBER) and "," in term.value and not term.comparator:
        # Filters such as `sku:A,B` or `ids:1,2` take a comma-separated list.
        return any(_match_value(kind, value, Term(term.field, part.strip(), None, term.prefix))
                   for part in term.value.split(",") if part.strip())
    if kind == DECIMAL:
        from decimal import Decimal, InvalidOperation
        try:
            amount, wanted_amount = Decimal(str(value)), Decimal(term.value)
        except InvalidOperation:
            return False
        return _compare(amount, wanted_amount, term.comparator) if term.comparator else amount == wanted_amount
    if kind == NUMBER:
        try:
            wanted = int(term.value.rsplit("/", 1)[-1])  # ids may be given as gids
            have = int(value)
        except ValueError:
            return False
        return _compare(have, wanted, term.comparator) if term.comparator else have == wanted
    have = str(value).casefold()
    wanted = term.folded
    if term.comparator:
        return _compare(have, wanted, term.comparator)
    if kind == KEYWORD:
        return have.startswith(wanted) if term.prefix else have == wanted
    # Text fields match whole words (or a phrase of words) anywhere in the text.
    if have == wanted or (term.prefix and have.startswith(wanted)):
        return True
    have_words, want_words = _words(have), _words(wanted)
    if not want_words:
        return False
    size = len(want_words)
    for start in range(len(have_words) - size + 1):
        window = have_words[start:start + size]
        if window[:-1] == want_words[:-1]:
            last_have, last_want = window[-1], want_words[-1]
            if last_have == last_want or (term.prefix and last_have.startswith(last_want)):
                return True
    return False


class Matcher:
    """Evaluate parsed queries against records of one resource type.

    `fields` names the filterable fields; `default_fields` are searched by a
    bare term. `index` optionally narrows candidates for exact/prefix terms
    (see `candidates`)."""

    def __init__(self, fields: dict[str, Field], default_fields: Iterable[str],
                 searched_only: Optional[dict[str, Field]] = None) -> None:
        """`searched_only`: fields a bare term searches that are no filter
        of their own (a `name:` term on them is an unknown filter)."""
        self.fields = fields
        self.default_fields = tuple(default_fields)
        self.searched = {**fields, **(searched_only or {})}

    def matches(self, expr: Optional[Expr], record) -> bool:
        if expr is None:
            return True
        if isinstance(expr, Term):
            return self._match_term(expr, record)
        if isinstance(expr, Not):
            return not self.matches(expr.expr, record)
        if isinstance(expr, And):
            return all(self.matches(e, record) for e in expr.items)
        return any(self.matches(e, record) for e in expr.items)

    def _match_term(self, term: Term, record) -> bool:
        if term.field is None:
            names = self.default_fields
        else:
            if term.field not in self.fields:
                return True  # unknown filter: ignored, as Shopify does
            names = (term.field,)
        if term.field is not None and term.value == "" and term.prefix:
            # `field:*` — the field has any value.
            return any(v not in (None, "") for v in self.fields[term.field].values(record))
        for name in names:
            field = self.searched[name]
            for value in field.values(record):
                if _match_value(field.kind, value, term):
                    return True
        return False


def needs_index(expr: Optional[Expr], columns: Iterable[str]) -> bool:
    """Whether Shopify answers a query from its search index rather than its
    database: anything but no query, or plain equality terms ANDed on the
    resource's own columns. Read from the captures' cursors (common.cursor_value):
    `handle:…`, `status:…`, `vendor:… product_type:…` and no query were
    answered from the database; `sku:`, `barcode:`, `tag:`, a prefix, `OR`
    and a negation from the index."""
    if expr is None:
        return False
    if isinstance(expr, Term):
        return expr.field not in set(columns) or expr.prefix or expr.comparator is not None
    if isinstance(expr, And):
        return any(needs_index(e, columns) for e in expr.items)
    return True


def candidates(expr: Optional[Expr], lookup: Callable[[Term], Optional[set]]) -> Optional[set]:
    """Narrow the records worth checking: `lookup(term)` returns the ids an
    index says may match a term, or None when it cannot tell. Returns None
    when every record must be checked. The result is a superset of the
    matches; callers still run `Matcher.matches` on each candidate."""
    if expr is None:
        return None
    if isinstance(expr, Term):
        return lookup(expr)
    if isinstance(expr, Not):
        return None
    parts = [candidates(e, lookup) for e in expr.items]
    if isinstance(expr, Or):
        if any(p is None for p in parts):
            return None
        out: set = set()
        for p in parts:
            out |= p
        return out
    known = [p for p in parts if p is not None]
    if not known:
        return None
    result = set(known[0])
    for p in known[1:]:
        result &= p
    return result
