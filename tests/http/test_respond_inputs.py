"""respond() checks headers= and cookies= when the route is configured, not at the call."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fixturekit.http import FakeHTTP


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("headers", 5),
        ("headers", "Retry-After: 2"),
        ("headers", {"Retry-After": 2}),
        ("headers", [("Retry-After",)]),
        ("cookies", 5),
        ("cookies", "session=abc"),
    ],
)
def test_bad_headers_or_cookies_name_the_argument(argument: str, value: Any) -> None:
    http = FakeHTTP()
    with pytest.raises(TypeError, match=rf"^respond\(\) {argument}= must be a dict"):
        http.get("https://api.test/").respond(**{argument: value})


def test_good_headers_and_cookies_answer(http: FakeHTTP) -> None:
    http.get("https://api.test/a").respond(headers={"Retry-After": "2"}, cookies={"s": "x"})
    http.get("https://api.test/b").respond(headers=[("X-Id", "1"), ("X-Id", "2")], times=1)
    a = httpx.get("https://api.test/a")
    b = httpx.get("https://api.test/b")
    assert a.headers["Retry-After"] == "2"
    assert a.cookies["s"] == "x"
    assert b.headers.get_list("X-Id") == ["1", "2"]
