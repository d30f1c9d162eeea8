"""Running a bulk import ([G-M]): the mutation runs once per line of the
uploaded JSONL file, that line's object being its variables, and every run
writes one result line: the mutation's GraphQL answer (`data`, and `errors`
when there are any) with `"__lineNumber"` (zero-based) as its last key
(captured: `{"data":{"productCreate":{…}},"__lineNumber":0}`).

A line that is not a JSON object cannot give variables: its result line says
so in `errors` (the failure of one line does not stop the others; Shopify's
exact wording for it was not captured). Each line runs like a request to the
Admin API (variables coerced, input sizes limited, scopes checked, userErrors
as usual), without the rate limit [G-M].
"""
from __future__ import annotations

import json
from typing import Any, Callable, Iterator

from graphql import DocumentNode, GraphQLSchema, parse

from . import jsonl
from .model import Result

# Runs the mutation with one line's variables: variables → the GraphQL answer.
RunLine = Callable[[DocumentNode, dict[str, Any]], dict[str, Any]]


def run_import(schema: GraphQLSchema, text: str, data: bytes, run_line: RunLine, result: Result) -> Iterator[None]:
    """Run the mutation for each line into `result`, yielding after each line
    so the work spreads over the requests that advance the operation."""
    document = parse(text)
    for number, raw in jsonl.read(data):
        try:
            variables = json.loads(raw)
        except ValueError as exc:
            answer: dict[str, Any] = {"errors": [{"message": f"Invalid JSONL on line {number + 1}: {exc.msg}"}]}
        else:
            if isinstance(variables, dict):
                answer = dict(run_line(document, variables))
            else:
                answer = {"errors": [{"message": f"Line {number + 1} must be a JSON object of variables"}]}
        answer["__lineNumber"] = number
        result.lines.append(jsonl.line(answer))
        result.root_flags.append(True)
        yield
