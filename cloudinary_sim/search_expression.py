"""The Search API's expression language: parse, then match assets. Pure.

Per https://cloudinary.com/documentation/search_expressions and Cloudinary's
search guidance in its OpenAPI overlay (api-schemas asset-management/overlays/
search-llm-guidance-overlay.yml):
- `field:value` token match, `field=value` exact match, `>`, `<`, `>=`, `<=`
  for numbers and dates, ranges `field:[a TO b]` (inclusive) and
  `field:{a TO b}` (exclusive), value groups `field:(a OR b)`;
- `AND`, `OR`, `NOT` (upper case; `NOT` only between clauses — a leading
  `NOT` is a parse error), `+`/`-` prefixes, parentheses, juxtaposed clauses
  meaning AND;
- values with a space or a reserved character (`! ( ) { } [ ] ^ ~ ? \\ = & <
  > | :`) quoted or backslash-escaped; inside quotes only `"` and `*` need
  escaping;
- wildcards: a trailing `*` only (prefix match); not on folder, asset_folder,
  resource_type or type; a bare `*` (presence probe) is a parse error;
- tokenized fields (tags, filename, display_name, context.<key>,
  metadata.<id> of string fields) match whole tokens split on whitespace and
  punctuation; public_id, asset_id, folder, asset_folder, format, resource_type,
  type match the whole value;
- dates: ISO 8601 (quoted when they contain `:`) or `Nh`/`Nd`/`Nw` meaning N
  hours/days/weeks ago (`uploaded_at>1d`: uploaded within the last day); `m`/`y`
  shorthands are not supported.
Anything else (an unknown field, a stray operator, an unbalanced parenthesis)
is a syntax error: the API answers 400.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Optional, Union

EXACT_FIELDS = {"public_id", "asset_id", "folder", "asset_folder", "format", "resource_type", "type", "status",
                "moderation_status", "moderation_kind", "access_mode"}
NO_WILDCARD = {"folder", "asset_folder", "resource_type", "type"}
TOKEN_FIELDS = {"tags", "filename", "display_name"}
NUMBER_FIELDS = {"bytes", "width", "height", "duration", "pages", "aspect_ratio", "pixels", "face_count"}
DATE_FIELDS = {"uploaded_at", "created_at", "updated_at", "taken_at"}
PREFIXED = ("metadata.", "context.", "last_updated.")
RESERVED = set('!(){}[]^~?\\=&<>|:"')
UNITS = {"h": 3600, "d": 86400, "w": 7 * 86400}
TOKEN_SPLIT = re.compile(r"[\W_]+", re.UNICODE)


class ExpressionError(ValueError):
    """The expression is not valid Cloudinary search syntax."""


# -- tokens ----------------------------------------------------------------------------------------

@dataclass
class Tok:
    kind: str          # word, quoted, op, lparen, rparen, lrange, rrange, and, or, not, minus, plus
    text: str
    prefix: bool = False
    pos: int = 0


def tokenize(text: str) -> list[Tok]:
    tokens: list[Tok] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append(Tok("lparen" if char == "(" else "rparen", char, pos=i))
            i += 1
        elif char in "[{":
            tokens.append(Tok("lrange", char, pos=i))
            i += 1
        elif char in "]}":
            tokens.append(Tok("rrange", char, pos=i))
            i += 1
        elif char in ":=<>":
            op = text[i:i + 2] if text[i:i + 2] in (">=", "<=", ":>", ":<") else char
            if op in (":>", ":<"):
                op = op[1] + (text[i + 2] if text[i + 2:i + 3] == "=" else "")
                i += 1
            tokens.append(Tok("op", op, pos=i))
            i += len(op)
        elif char == '"':
            i = _quoted(text, i, tokens)
        elif char in "-+" and (not tokens or tokens[-1].kind in ("lparen", "and", "or", "not")
                               or text[i - 1].isspace()):
            tokens.append(Tok("minus" if char == "-" else "plus", char, pos=i))
            i += 1
        else:
            i = _word(text, i, tokens)
    return tokens


def _quoted(text: str, start: int, tokens: list[Tok]) -> int:
    out: list[str] = []
    i = start + 1
    prefix = False
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if char == '"':
            tokens.append(Tok("quoted", "".join(out), prefix, start))
            return i + 1
        if char == "*":
            if i + 1 < len(text) and text[i + 1] == '"':
                prefix = True
                i += 1
                continue
            raise ExpressionError(f"wildcard '*' is only allowed at the end of a term (position {i})")
        out.append(char)
        i += 1
    raise ExpressionError(f"unterminated quoted value starting at position {start}")


def _word(text: str, start: int, tokens: list[Tok]) -> int:
    out: list[str] = []
    i = start
    prefix = False
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if char.isspace() or char in "()[]{}:=<>\"":
            break
        if char in RESERVED:
            raise ExpressionError(f"reserved character '{char}' must be quoted or escaped (position {i})")
        if char == "*":
            if i + 1 < len(text) and not (text[i + 1].isspace() or text[i + 1] in ")]}"):
                raise ExpressionError(f"wildcard '*' is only allowed at the end of a term (position {i})")
            prefix = True
            i += 1
            break
        out.append(char)
        i += 1
    word = "".join(out)
    if not word:
        raise ExpressionError(f"a bare '*' is not a valid term (position {start})")
    keyword = {"AND": "and", "OR": "or", "NOT": "not", "&&": "and", "||": "or"}.get(word) if not prefix else None
    tokens.append(Tok(keyword or "word", word, prefix, start))
    return i


# -- syntax tree -----------------------------------------------------------------------------------

@dataclass
class Term:
    field: Optional[str]     # None: free text
    op: str                  # ":", "=", ">", "<", ">=", "<=", "range"
    value: str = ""
    prefix: bool = False
    low: Optional[str] = None
    high: Optional[str] = None
    low_inclusive: bool = True
    high_inclusive: bool = True


@dataclass
class Not:
    node: "Node"


@dataclass
class And:
    nodes: list["Node"]


@dataclass
class Or:
    nodes: list["Node"]


Node = Union[Term, Not, And, Or]


class Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    def parse(self) -> Optional[Node]:
        if not self.tokens:
            return None
        node = self._or()
        if self.i < len(self.tokens):
            token = self.tokens[self.i]
            raise ExpressionError(f"unexpected '{token.text}' at position {token.pos}")
        return node

    def _peek(self) -> Optional[Tok]:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def _take(self, kind: str) -> Tok:
        token = self._peek()
        if token is None or token.kind != kind:
            where = f"'{token.text}' at position {token.pos}" if token else "the end of the expression"
            raise ExpressionError(f"expected {kind} but found {where}")
        self.i += 1
        return token

    def _or(self) -> Node:
        nodes = [self._and()]
        while self._peek() is not None and self._peek().kind == "or":
            self.i += 1
            nodes.append(self._and())
        return nodes[0] if len(nodes) == 1 else Or(nodes)

    def _and(self) -> Node:
        first = self._peek()
        if first is not None and first.kind == "not":
            raise ExpressionError(f"NOT must come between two clauses (position {first.pos}); use '-' instead")
        nodes = [self._unary()]
        while True:
            token = self._peek()
            if token is None or token.kind in ("or", "rparen"):
                break
            if token.kind == "and":
                self.i += 1
                token = self._peek()
            if token is not None and token.kind == "not":
                self.i += 1
                nodes.append(Not(self._unary()))
            else:
                nodes.append(self._unary())
        return nodes[0] if len(nodes) == 1 else And(nodes)

    def _unary(self) -> Node:
        token = self._peek()
        if token is None:
            raise ExpressionError("the expression ends where a clause was expected")
        if token.kind in ("minus", "plus"):
            self.i += 1
            inner = self._primary()
            return Not(inner) if token.kind == "minus" else inner
        return self._primary()

    def _primary(self) -> Node:
        token = self._peek()
        if token is None:
            raise ExpressionError("the expression ends where a clause was expected")
        if token.kind == "lparen":
            self.i += 1
            node = self._or()
            self._take("rparen")
            return node
        if token.kind not in ("word", "quoted"):
            raise ExpressionError(f"unexpected '{token.text}' at position {token.pos}")
        self.i += 1
        following = self._peek()
        if token.kind == "word" and following is not None and following.kind == "op":
            self.i += 1
            return self._field_term(check_field(token.text), following.text)
        return Term(None, ":", token.text, token.prefix)

    def _field_term(self, field: str, op: str) -> Node:
        token = self._peek()
        if token is None:
            raise ExpressionError(f"missing value for {field}")
        if op in (":", "=") and token.kind == "lparen":
            self.i += 1
            node = self._group(field, op)
            self._take("rparen")
            return node
        if op == ":" and token.kind == "lrange":
            return self._range(field)
        if token.kind not in ("word", "quoted"):
            raise ExpressionError(f"missing value for {field} at position {token.pos}")
        self.i += 1
        if token.prefix and (field in NO_WILDCARD or op not in (":", "=")):
            raise ExpressionError(f"wildcards are not supported on {field}")
        return Term(field, op, token.text, token.prefix)

    def _group(self, field: str, op: str) -> Node:
        """`field:(a OR b AND c)` (or `field=(…)`) — each value a term on `field`."""
        def value() -> Node:
            token = self._peek()
            if token is not None and token.kind == "lparen":
                self.i += 1
                node = or_()
                self._take("rparen")
                return node
            if token is None or token.kind not in ("word", "quoted"):
                raise ExpressionError(f"missing value in the group for {field}")
            self.i += 1
            if token.prefix and field in NO_WILDCARD:
                raise ExpressionError(f"wildcards are not supported on {field}")
            return Term(field, op, token.text, token.prefix)

        def and_() -> Node:
            nodes = [value()]
            while self._peek() is not None and self._peek().kind not in ("or", "rparen"):
                if self._peek().kind == "and":
                    self.i += 1
                nodes.append(value())
            return nodes[0] if len(nodes) == 1 else And(nodes)

        def or_() -> Node:
            nodes = [and_()]
            while self._peek() is not None and self._peek().kind == "or":
                self.i += 1
                nodes.append(and_())
            return nodes[0] if len(nodes) == 1 else Or(nodes)

        return or_()

    def _range(self, field: str) -> Node:
        opening = self._take("lrange")
        low = self._range_value(field)
        to = self._take("word")
        if to.text != "TO":
            raise ExpressionError(f"expected TO in the range for {field} at position {to.pos}")
        high = self._range_value(field)
        closing = self._take("rrange")
        return Term(field, "range", low=low, high=high, low_inclusive=opening.text == "[",
                    high_inclusive=closing.text == "]")

    def _range_value(self, field: str) -> str:
        token = self._peek()
        if token is None or token.kind not in ("word", "quoted"):
            raise ExpressionError(f"missing bound in the range for {field}")
        self.i += 1
        return token.text


def check_field(name: str) -> str:
    known = EXACT_FIELDS | TOKEN_FIELDS | NUMBER_FIELDS | DATE_FIELDS
    if name in known or (name.startswith(PREFIXED) and len(name.split(".", 1)[1]) > 0):
        return name
    raise ExpressionError(f"unknown field '{name}'")


def parse(text: str) -> Optional[Node]:
    return Parser(text).parse()


# -- matching --------------------------------------------------------------------------------------

def tokens_of(text: str) -> list[str]:
    return [t for t in TOKEN_SPLIT.split(str(text).lower()) if t]


def _token_match(haystack: Any, needle: str, prefix: bool) -> bool:
    values = haystack if isinstance(haystack, list) else [haystack]
    wanted = tokens_of(needle)
    if not wanted:
        return False
    for value in values:
        have = tokens_of(value)
        for start in range(len(have) - len(wanted) + 1):
            window = have[start:start + len(wanted)]
            last_matches = window[-1].startswith(wanted[-1]) if prefix else window[-1] == wanted[-1]
            if window[:-1] == wanted[:-1] and last_matches:
                return True
    return False


def _exact_match(haystack: Any, needle: str, prefix: bool, fold: bool = False) -> bool:
    values = haystack if isinstance(haystack, list) else [haystack]
    for value in values:
        text = "" if value is None else str(value)
        a, b = (text.lower(), needle.lower()) if fold else (text, needle)
        if (a.startswith(b) if prefix else a == b):
            return True
    return False


def relative_or_absolute_time(value: str, now: float) -> float:
    match = re.match(r"^(\d+)([a-z])$", value)
    if match:
        unit = match.group(2)
        if unit not in UNITS:
            raise ExpressionError(f"unsupported relative date unit '{unit}' in '{value}' (use h, d or w)")
        return now - int(match.group(1)) * UNITS[unit]
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ExpressionError(f"invalid date '{value}'") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def _number(value: str) -> float:
    if re.match(r"^\d+(\.\d+)?:\d+(\.\d+)?$", value):
        left, right = value.split(":")
        return float(left) / float(right)
    match = re.match(r"^(\d+(?:\.\d+)?)(kb|mb|gb)?$", value.lower())
    if not match:
        raise ExpressionError(f"invalid number '{value}'")
    factor = {"kb": 1024, "mb": 1024 ** 2, "gb": 1024 ** 3}.get(match.group(2) or "", 1)
    return float(match.group(1)) * factor


def _compare(have: Optional[float], term: Term, convert: Callable[[str], float]) -> bool:
    if have is None:
        return False
    if term.op == "range":
        low, high = convert(term.low or ""), convert(term.high or "")
        low, high = min(low, high), max(low, high)  # relative dates ("4w TO 1w") run backwards
        above = have >= low if term.low_inclusive else have > low
        below = have <= high if term.high_inclusive else have < high
        return above and below
    want = convert(term.value)
    return {">": have > want, "<": have < want, ">=": have >= want, "<=": have <= want,
            ":": have == want, "=": have == want}[term.op]


Resolver = Callable[[str], tuple[str, Any]]   # field -> (kind, value): kind text|exact|number|date|list


def matches(node: Optional[Node], resolve: Resolver, now: float) -> bool:
    if node is None:
        return True
    if isinstance(node, And):
        return all(matches(n, resolve, now) for n in node.nodes)
    if isinstance(node, Or):
        return any(matches(n, resolve, now) for n in node.nodes)
    if isinstance(node, Not):
        return not matches(node.node, resolve, now)
    return _term(node, resolve, now)


def _term(term: Term, resolve: Resolver, now: float) -> bool:
    if term.field is None:
        return any(_token_match(value, term.value, term.prefix) for value in resolve("*")[1])
    kind, value = resolve(term.field)
    if kind == "date":
        if term.op in (":", "=") and re.match(r"^\d{4}-\d{2}-\d{2}$", term.value):
            day = relative_or_absolute_time(term.value, now)
            return value is not None and day <= value < day + 86400
        return _compare(value, term, lambda v: relative_or_absolute_time(v, now))
    if kind == "number":
        return _compare(value, term, _number)
    if term.op not in (":", "="):
        raise ExpressionError(f"'{term.op}' can't compare {term.field}, which is not a number or a date")
    if kind == "text":
        return _exact_match(value, term.value, term.prefix) if term.op == "=" else \
            _token_match(value, term.value, term.prefix)
    return _exact_match(value, term.value, term.prefix, fold=kind == "exact_folded")
