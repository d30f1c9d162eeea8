"""Just enough HTML reading for assertions on rendered blocks (stdlib parser)."""
from __future__ import annotations

from html.parser import HTMLParser
from typing import Any


class Element(dict):
    """An element's attributes, with its tag and classes."""

    tag: str

    @property
    def classes(self) -> set[str]:
        return set((self.get("class") or "").split())


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, Any]]) -> None:
        element = Element((k, v if v is not None else "") for k, v in attrs)
        element.tag = tag
        self.elements.append(element)


def elements(html: str, tag: str | None = None, cls: str | None = None) -> list[Element]:
    collector = _Collector()
    collector.feed(html)
    return [e for e in collector.elements if (tag is None or e.tag == tag) and (cls is None or cls in e.classes)]


def srcset(value: str) -> list[tuple[str, str]]:
    # Candidates are separated by ", " (Cloudinary URLs have commas, never spaces).
    return [tuple(candidate.strip().rsplit(" ", 1)) for candidate in value.split(", ")]
