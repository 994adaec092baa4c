"""assert_called and friends: return what matched, explain what did not."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import httpx
import pytest

from fixturekit.errors import FakeAssertionError
from fixturekit.http import FakeHTTP, HTTPCall


@pytest.fixture
def http() -> Iterator[FakeHTTP]:
    with FakeHTTP(strict=False) as fake:
        fake.post("https://api.test/orders").respond(201, json={"id": 7})
        fake.get("https://api.test/orders").respond(json=[])
        yield fake


def test_assert_called_returns_the_latest_matching_call(http: FakeHTTP) -> None:
    httpx.post("https://api.test/orders", json={"sku": "A", "qty": 1})
    httpx.post("https://api.test/orders", json={"sku": "B", "qty": 2})
    call = http.assert_called("POST", "https://api.test/orders", json={"sku": "A", "qty": 1})
    assert isinstance(call, HTTPCall)
    assert call.json == {"sku": "A", "qty": 1}
    assert call.status == 201
    assert call.response is not None
    assert call.response.json() == {"id": 7}
    assert http.assert_called("post", "https://api.test/orders").json["sku"] == "B"


def test_method_and_url_may_be_given_as_keywords(http: FakeHTTP) -> None:
    httpx.get("https://api.test/orders")
    assert http.assert_called(method="get", url="https://api.test/orders").status == 200
    assert http.find(method="GET") == http.calls


def test_url_without_query_matches_any_query_and_with_query_exactly(http: FakeHTTP) -> None:
    httpx.get("https://api.test/orders", params={"page": 2, "size": 10})
    http.assert_called("GET", "https://api.test/orders")
    http.assert_called("GET", "https://api.test/orders?page=2&size=10")
    http.assert_called(params={"page": "2"})
    http.assert_called(url=re.compile(r"page=2"))
    http.assert_called(url=lambda url: url.endswith("size=10"))
    with pytest.raises(FakeAssertionError) as info:
        http.assert_called("GET", "https://api.test/orders?page=3&size=10")
    assert "url was 'https://api.test/orders?page=2&size=10'" in str(info.value)


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


def test_times_counts_and_the_failure_lists_what_matched(http: FakeHTTP) -> None:
    for _ in range(2):
        httpx.get("https://api.test/orders")
    assert http.assert_called("GET", times=2) is http.calls[-1]
    with pytest.raises(FakeAssertionError) as info:
        http.assert_called("GET", "https://api.test/orders", times=3)
    message = str(info.value)
    assert message.startswith(
        "expected 3 requests with method='GET', url='https://api.test/orders', but 2 matched:"
    )
    assert message.count("GET https://api.test/orders -> 200") == 2


def test_assert_called_count_returns_the_matches_and_allows_zero(http: FakeHTTP) -> None:
    for _ in range(2):
        httpx.get("https://api.test/orders")
    calls = http.assert_called_count(2, "GET", "https://api.test/orders")
    assert [c.status for c in calls] == [200, 200]
    assert http.assert_called_count(0, "DELETE") == []
    with pytest.raises(FakeAssertionError, match=r"expected 1 requests called .* but 2 were"):
        http.assert_called_count(1, "GET")


def test_failure_lists_what_was_called_closest_first_with_differences(http: FakeHTTP) -> None:
    httpx.get("https://api.test/orders")
    httpx.post("https://api.test/orders", json={"sku": "A"})
    with pytest.raises(FakeAssertionError) as info:
        http.assert_called("POST", "https://api.test/orders", json={"sku": "B"})
    lines = str(info.value).splitlines()
    assert lines[0].startswith("expected a request with method='POST'")
    assert "none of the 2 recorded matched (closest first):" in lines[0]
    assert lines[1] == "  - POST https://api.test/orders -> 201"
    assert lines[2] == "      json was {'sku': 'A'}, expected {'sku': 'B'}"
    assert lines[3] == "  - GET https://api.test/orders -> 200"


def test_failure_when_nothing_was_called_says_so(http: FakeHTTP) -> None:
    with pytest.raises(FakeAssertionError, match="nothing was recorded at all"):
        http.assert_called("GET")


def test_assert_not_called_lists_the_offending_calls(http: FakeHTTP) -> None:
    http.assert_not_called()
    httpx.get("https://api.test/orders")
    http.assert_not_called("POST")
    with pytest.raises(FakeAssertionError) as info:
        http.assert_not_called("GET", "https://api.test/orders")
    assert "1 matched:\n  - GET https://api.test/orders -> 200" in str(info.value)
    with pytest.raises(FakeAssertionError, match="expected no request, but 1 matched"):
        http.assert_not_called()


def test_assert_nothing_called(http: FakeHTTP) -> None:
    http.assert_nothing_called()
    httpx.get("https://api.test/orders")
    with pytest.raises(FakeAssertionError, match="expected no request called at all, but 1"):
        http.assert_nothing_called()


def test_find_returns_the_matches_in_order(http: FakeHTTP) -> None:
    httpx.post("https://api.test/orders", json={"sku": "A"})
    httpx.get("https://api.test/orders")
    httpx.post("https://api.test/orders", json={"sku": "B"})
    assert [call.json["sku"] for call in http.find("POST")] == ["A", "B"]
    assert http.find(status=404) == []


def test_assert_called_waits_for_a_request_from_another_thread(http: FakeHTTP) -> None:
    timer = threading.Timer(0.05, httpx.get, args=("https://api.test/orders",))
    timer.start()
    try:
        assert http.assert_called("GET", timeout=5).status == 200
    finally:
        timer.join()
    with pytest.raises(FakeAssertionError, match=r"after waiting 0.01s"):
        http.assert_called("DELETE", timeout=0.01)


def test_calls_can_be_matched_on_errors_status_and_callables(http: FakeHTTP) -> None:
    http.get("https://api.test/slow").timeout()
    with pytest.raises(httpx.ReadTimeout):
        httpx.get("https://api.test/slow")
    http.assert_called(error=httpx.ReadTimeout, status=None, path="/slow")
    httpx.get("https://api.test/orders")
    http.assert_called(status=lambda code: code is not None and code < 300)


def test_arguments_are_checked_with_the_shared_wording(http: FakeHTTP) -> None:
    with pytest.raises(TypeError, match=r"assert_called\(\) got an unexpected keyword "):
        http.assert_called(jsn={})
    with pytest.raises(TypeError, match=r"'jsn' \(did you mean json=\?\); requests' fields"):
        http.find(jsn={})
    with pytest.raises(ValueError, match="times must be a whole number >= 1, not 0"):
        http.assert_called(times=0)
    with pytest.raises(ValueError, match="count must be a whole number >= 0, not -1"):
        http.assert_called_count(-1)
    with pytest.raises(ValueError, match="url 'orders' is not absolute"):
        http.assert_called(url="orders")


def test_assertion_helpers_hide_their_frames() -> None:
    names = ("assert_called", "assert_not_called", "assert_called_count", "assert_nothing_called")
    for name in (*names, "assert_all_called"):
        code = getattr(FakeHTTP, name).__code__
        assert "__tracebackhide__" in code.co_varnames, name


def test_the_old_spellings_are_gone() -> None:
    assert not hasattr(FakeHTTP, "assert_called_once")
    assert not hasattr(FakeHTTP, "assert_called_times")
