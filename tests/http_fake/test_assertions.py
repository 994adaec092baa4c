"""assert_called and friends: return what matched, explain what did not."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from fixturekit.http import FakeHTTP, HTTPCall


@pytest.fixture
def http() -> Iterator[FakeHTTP]:
    with FakeHTTP(assert_all_called=False) as fake:
        fake.post("https://api.test/orders").respond(201, json={"id": 7})
        fake.get("https://api.test/orders").respond(json=[])
        yield fake


def test_assert_called_returns_the_first_matching_call(http: FakeHTTP) -> None:
    httpx.post("https://api.test/orders", json={"sku": "A", "qty": 1})
    httpx.post("https://api.test/orders", json={"sku": "B", "qty": 2})
    call = http.assert_called("POST", "https://api.test/orders", json={"sku": "B", "qty": 2})
    assert isinstance(call, HTTPCall)
    assert call.json == {"sku": "B", "qty": 2}
    assert call.status == 201
    assert call.response is not None
    assert call.response.json() == {"id": 7}
    assert http.assert_called("post", "https://api.test/orders").json["sku"] == "A"


def test_url_without_query_matches_any_query_and_with_query_exactly(http: FakeHTTP) -> None:
    httpx.get("https://api.test/orders", params={"page": 2, "size": 10})
    http.assert_called("GET", "https://api.test/orders")
    http.assert_called("GET", "https://api.test/orders?page=2&size=10")
    http.assert_called(params={"page": "2"})
    with pytest.raises(AssertionError):
        http.assert_called("GET", "https://api.test/orders?page=3&size=10")


def test_headers_match_as_a_case_insensitive_subset(http: FakeHTTP) -> None:
    httpx.get("https://api.test/orders", headers={"Authorization": "Bearer abc"})
    http.assert_called(headers={"authorization": "Bearer abc"})
    http.assert_called(headers={"Authorization": re.compile(r"^Bearer \w+$")})
    with pytest.raises(AssertionError, match="headers was"):
        http.assert_called(headers={"Authorization": "Bearer xyz"})


def test_form_bodies_match_with_data(http: FakeHTTP) -> None:
    httpx.post("https://api.test/orders", data={"sku": "A", "tag": ["x", "y"]})
    call = http.assert_called(data={"sku": "A", "tag": ["x", "y"]})
    assert call.json is None
    assert call.text == "sku=A&tag=x&tag=y"


def test_assert_called_times_counts_and_lists_what_matched(http: FakeHTTP) -> None:
    for _ in range(2):
        httpx.get("https://api.test/orders")
    calls = http.assert_called_times(2, "GET", "https://api.test/orders")
    assert [c.status for c in calls] == [200, 200]
    with pytest.raises(AssertionError) as info:
        http.assert_called("GET", "https://api.test/orders", times=3)
    message = str(info.value)
    assert message.startswith(
        "FakeHTTP: expected 3 request(s) with method='GET', url='https://api.test/orders', "
        "but 2 matched:"
    )
    assert message.count("GET https://api.test/orders -> 200") == 2
    assert http.assert_called_times(0, "DELETE") == []


def test_assert_called_once_fails_when_called_twice(http: FakeHTTP) -> None:
    httpx.get("https://api.test/orders")
    assert http.assert_called_once("GET").method == "GET"
    httpx.get("https://api.test/orders")
    with pytest.raises(AssertionError, match=r"expected 1 request\(s\)"):
        http.assert_called_once("GET")


def test_failure_lists_what_was_called_closest_first_with_differences(http: FakeHTTP) -> None:
    httpx.get("https://api.test/orders")
    httpx.post("https://api.test/orders", json={"sku": "A"})
    with pytest.raises(AssertionError) as info:
        http.assert_called("POST", "https://api.test/orders", json={"sku": "B"})
    lines = str(info.value).splitlines()
    assert lines[0].startswith("FakeHTTP: expected a request with method='POST'")
    assert "none of the 2 recorded matched (closest first):" in lines[0]
    assert lines[1] == "  - POST https://api.test/orders -> 201"
    assert lines[2] == "      json was {'sku': 'A'}, expected {'sku': 'B'}"
    assert lines[3] == "  - GET https://api.test/orders -> 200"


def test_failure_when_nothing_was_called_says_so(http: FakeHTTP) -> None:
    with pytest.raises(AssertionError, match="nothing was recorded at all"):
        http.assert_called("GET")


def test_assert_not_called_lists_the_offending_calls(http: FakeHTTP) -> None:
    http.assert_not_called()
    httpx.get("https://api.test/orders")
    http.assert_not_called("POST")
    with pytest.raises(AssertionError) as info:
        http.assert_not_called("GET", "https://api.test/orders")
    assert "1 matched:\n  - GET https://api.test/orders -> 200" in str(info.value)
    with pytest.raises(AssertionError, match="expected no request, but 1 matched"):
        http.assert_not_called()


def test_calls_can_be_matched_on_errors_status_and_callables(http: FakeHTTP) -> None:
    http.get("https://api.test/slow").timeout()
    with pytest.raises(httpx.ReadTimeout):
        httpx.get("https://api.test/slow")
    http.assert_called(error=httpx.ReadTimeout, status=None, path="/slow")
    httpx.get("https://api.test/orders")
    http.assert_called(status=lambda code: code is not None and code < 300)


def test_unknown_keyword_lists_the_valid_ones(http: FakeHTTP) -> None:
    with pytest.raises(TypeError, match=r"unknown keyword\(s\) 'jsn'; calls match on method, url"):
        http.assert_called(jsn={})
    with pytest.raises(ValueError, match="times must be a whole number >= 1"):
        http.assert_called(times=0)
    with pytest.raises(ValueError, match="url 'orders' is not absolute"):
        http.assert_called(url="orders")


def test_assertion_helpers_hide_their_frames() -> None:
    for name in ("assert_called", "assert_called_once", "assert_called_times", "assert_not_called"):
        code = getattr(FakeHTTP, name).__code__
        assert "__tracebackhide__" in code.co_varnames, name
