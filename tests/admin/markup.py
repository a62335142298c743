"""Reading the admin page's HTML in tests: an element by its id, the text a reader sees."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


class _Element(HTMLParser):
    """The markup of the first element whose ``id`` is the one asked for, itself included."""

    def __init__(self, wanted: str) -> None:
        super().__init__(convert_charrefs=False)
        self.wanted = wanted
        self.depth = 0
        self.parts: list[str] = []
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        inside = self.depth > 0
        if inside or dict(attrs).get("id") == self.wanted:
            self.parts.append(self.get_starttag_text() or "")
            if tag not in _VOID:
                self.depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth > 0 and not self.done:
            self.parts.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if self.depth > 0 and not self.done and tag not in _VOID:
            self.parts.append(f"</{tag}>")
            self.depth -= 1
            self.done = self.depth == 0

    def handle_data(self, data: str) -> None:
        if self.depth > 0 and not self.done:
            self.parts.append(data)

    def handle_entityref(self, name: str) -> None:
        self.handle_data(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.handle_data(f"&#{name};")


def element(page: str, element_id: str) -> str:
    """The markup of the element ``element_id``; fails the test when there is none."""
    parser = _Element(element_id)
    parser.feed(page)
    assert parser.parts, f"no element #{element_id} on the page"
    return "".join(parser.parts)


def has_element(page: str, element_id: str) -> bool:
    return re.search(rf'\sid="{re.escape(element_id)}"', page) is not None


def text_of(markup: str) -> str:
    """The text a reader sees: tags (and their attributes) dropped, entities decoded, blanks
    collapsed."""
    spaced = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))
    return re.sub(r"\(\s+", "(", re.sub(r"\s+([,.:;)])", r"\1", spaced)).strip()


def hidden_fields(markup: str) -> dict[str, str]:
    """The hidden inputs of a form's markup, by name."""
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', markup)
    return {name: html.unescape(value) for name, value in found}
