"""The filters a `query:` argument accepts, read from the table the 2026-10
schema prints in that argument's description (`| name | type | description |
acceptable_values | … |`), and the `extensions.search` warnings Shopify
answers beside the data when a query names a filter the table does not list
or a value its `acceptable_values` do not allow.

Captured (metafield-definition-catalog-connection, bulk-operations-read-arg-
validation, bulk-operation-root-count-and-search-filters):

    "extensions": {"search": [{"path": ["bulkOperations"], "query": "status:EXPIRED",
        "parsed": {"field": "status", "match_all": "EXPIRED"},
        "warnings": [{"field": "status", "message": "Input `EXPIRED` is not an accepted value.",
                      "code": "invalid_value"}]}]}

An unknown filter is ignored (matches everything, the search-syntax guide's
rule) and warned about with "Invalid search field for this query." /
`invalid_field`; a value outside the accepted ones matches nothing; a value
of a `time` filter that is not a time is a BAD_REQUEST "Invalid timestamp for
query filter `created_at`." (captured on bulkOperations). These are rules of
Shopify's search, applied to every field whose `query` argument documents its
filters (`prepare`): products, productVariants, files, collections,
metafieldDefinitions, bulkOperations, a product's media. `parsed`
is shown as captured for a single term (`{"field", "match_all"}`); for
comparators, negation and connectives the captures show nothing, and the
simulator writes `range_gt`/`range_gte`/`range_lt`/`range_lte`, `{"not": …}`,
`{"and": […]}`/`{"or": […]}`.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Optional

from . import schema as schema_mod
from .search import And, Expr, Not, Or, Term

_ROW = re.compile(r"^\| (?P<name>[a-z_][a-z0-9_.{}]*) \| (?P<type>[a-z_]+) \|", re.MULTILINE)
COMPARATOR_NAMES = {"<": "range_lt", "<=": "range_lte", ">": "range_gt", ">=": "range_gte"}


@dataclass(frozen=True)
class Filter:
    name: str
    type: str  # time | id | string | boolean | …
    accepted: tuple[str, ...]  # empty: any value


def parse_table(description: str) -> dict[str, Filter]:
    """The filters a description's table lists (rows may wrap lines)."""
    starts = list(_ROW.finditer(description or ""))
    out: dict[str, Filter] = {}
    for n, match in enumerate(starts):
        end = starts[n + 1].start() if n + 1 < len(starts) else len(description)
        row = description[match.start():end].split("\nYou can apply", 1)[0]
        if match["name"] == "name":
            continue  # the header row
        columns = row.split("|")
        accepted = tuple(re.findall(r"`([^`]+)`", columns[4])) if len(columns) > 5 else ()
        if any("{" in value for value in accepted):
            accepted = ()  # templated values ("{channel_app_id}-approved"): any value may be meant
        out[match["name"]] = Filter(match["name"], match["type"], accepted)
    return out


@functools.lru_cache(maxsize=None)
def filters_for(type_name: str, field_name: str, argument: str = "query") -> dict[str, Filter]:
    """The filters the schema documents for `type_name.field_name(argument:)`."""
    for t in schema_mod.introspection()["__schema"]["types"]:
        if t["name"] != type_name:
            continue
        for f in t.get("fields") or ():
            if f["name"] == field_name:
                for a in f.get("args") or ():
                    if a["name"] == argument:
                        return parse_table(a.get("description") or "")
    return {}


def accepts(filter_: Filter, value: str) -> bool:
    return not filter_.accepted or value.casefold() in {v.casefold() for v in filter_.accepted}


def _terms(expr: Optional[Expr]) -> list[Term]:
    if expr is None:
        return []
    if isinstance(expr, Term):
        return [expr]
    if isinstance(expr, Not):
        return _terms(expr.expr)
    return [t for e in expr.items for t in _terms(e)]


def lookup(filters: dict[str, Filter], field: str) -> Optional[Filter]:
    """The filter a field name is, templated names included
    (`metafields.{namespace}.{key}` names `metafields.custom.material`)."""
    if field in filters:
        return filters[field]
    for name, filter_ in filters.items():
        if "{" in name:
            pattern = re.sub(r"\\\{[^}]*\\\}", r"[^.]+", re.escape(name))
            if re.fullmatch(pattern, field):
                return filter_
    return None


def warnings(expr: Optional[Expr], filters: dict[str, Filter]) -> list[dict[str, Any]]:
    out = []
    for term in _terms(expr):
        if term.field is None:
            continue
        known = lookup(filters, term.field)
        if known is None:
            out.append({"field": term.field, "message": "Invalid search field for this query.",
                        "code": "invalid_field"})
        elif not accepts(known, term.value):
            out.append({"field": term.field, "message": f"Input `{term.value}` is not an accepted value.",
                        "code": "invalid_value"})
    return out


def parsed(expr: Optional[Expr]) -> Any:
    if isinstance(expr, Term):
        key = COMPARATOR_NAMES.get(expr.comparator or "", "match_all")
        out: dict[str, Any] = {"field": expr.field} if expr.field else {}
        out[key] = expr.value + ("*" if expr.prefix else "")
        return out
    if isinstance(expr, Not):
        return {"not": parsed(expr.expr)}
    if isinstance(expr, And):
        return {"and": [parsed(e) for e in expr.items]}
    if isinstance(expr, Or):
        return {"or": [parsed(e) for e in expr.items]}
    return None


def refuse_bad_times(expr: Optional[Expr], filters: dict[str, Filter]) -> None:
    from .resolvers.common import bad_request
    from .search import parse_time
    for term in _terms(expr):
        known = lookup(filters, term.field or "")
        if known is not None and known.type == "time" and parse_time(term.value) is None \
                and not (term.prefix and not term.value):
            raise bad_request(f"Invalid timestamp for query filter `{term.field}`.")


def drop_refused_values(expr: Optional[Expr], filters: dict[str, Filter]) -> Optional[Expr]:
    """A value a filter does not accept matches nothing (captured:
    `status:EXPIRED` → no bulk operations, with a warning)."""
    if expr is None:
        return None
    if isinstance(expr, Term):
        known = lookup(filters, expr.field or "")
        if known is not None and not accepts(known, expr.value):
            return Or(())
        return expr
    if isinstance(expr, Not):
        return Not(drop_refused_values(expr.expr, filters))  # type: ignore[arg-type]
    return type(expr)(tuple(drop_refused_values(e, filters) for e in expr.items))  # type: ignore[misc]


def prepare(ctx: Any, info: Any, type_name: str, field_name: str, text: Optional[str]) -> Optional[Expr]:
    """A `query:` argument of `type_name.field_name` as Shopify's search reads
    it: parsed, a malformed time refused, warnings noted for the answer's
    `extensions.search`, refused values matching nothing."""
    from .search import parse
    filters = filters_for(type_name, field_name)
    expr = parse(text)
    if not filters:
        return expr
    refuse_bad_times(expr, filters)
    note = extension(list(info.path.as_list()), text or "", expr, filters)
    if note is not None:
        ctx.notes.setdefault("search", []).append(note)
    return drop_refused_values(expr, filters)


def extension(path: list[Any], text: str, expr: Optional[Expr], filters: dict[str, Filter]) -> Optional[dict]:
    """The `extensions.search` entry for one field's query, or None when
    nothing needs saying."""
    found = warnings(expr, filters)
    if not found:
        return None
    return {"path": path, "query": text, "parsed": parsed(expr), "warnings": found}
