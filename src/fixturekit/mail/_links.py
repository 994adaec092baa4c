"""The links of a mail: every URL of its text and HTML bodies, ``href`` values included."""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["extract_links"]

_URL = re.compile(r"""\b(?:https?|ftp)://[^\s<>"'`]+""", re.IGNORECASE)
_CLOSERS = {")": "(", "]": "[", "}": "{"}


def _trim_url(url: str) -> str:
    while url:
        last = url[-1]
        if last in ".,;:!?'\"" or (
            last in _CLOSERS and url.count(last) > url.count(_CLOSERS[last])
        ):
            url = url[:-1]
        else:
            break
    return url


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "href" and value:
                value = value.strip()
                if (
                    value
                    and not value.startswith("#")
                    and not value.lower().startswith("javascript:")
                ):
                    self.links.append(value)

    def handle_data(self, data: str) -> None:
        self.links.extend(_trim_url(match) for match in _URL.findall(data))


def extract_links(text: str | None, html: str | None) -> list[str]:
    found: list[str] = []
    if text:
        found.extend(_trim_url(match) for match in _URL.findall(text))
    if html:
        parser = _LinkParser()
        parser.feed(html)
        parser.close()
        found.extend(parser.links)
    return list(dict.fromkeys(link for link in found if link))
