"""Strict by default: unmatched requests and unused routes fail, with messages that help."""

from __future__ import annotations

import contextlib

import httpx
import pytest
import respx

from fixturekit.http import FakeHTTP, UnmatchedRequest


def test_unmatched_request_names_the_request_and_the_closest_route_first() -> None:
    http = FakeHTTP()
    http.start()
    http.get("https://api.test/v1/rates").respond(200)
    http.post("https://api.test/v2/rates", json={"currency": "EUR"}).respond(201)
    with pytest.raises(UnmatchedRequest) as info:
        httpx.post("https://api.test/v2/rates", json={"currency": "USD"})
    message = str(info.value)
    lines = message.splitlines()
    assert lines[0] == (
        "FakeHTTP: no route matches POST https://api.test/v2/rates; the 2 route(s), closest first:"
    )
    assert lines[1] == "  - POST https://api.test/v2/rates json={'currency': 'EUR'}"
    assert lines[2] == (
        """      json was '{"currency": "USD"}', route wants json == '{"currency": "EUR"}'"""
    )
    assert lines[3] == "  - GET https://api.test/v1/rates"
    assert lines[-1] == "add a route such as http.post('https://api.test/v2/rates').respond(...)"
    # ...and the fake fails at exit too, in case the application swallowed the error.
    with pytest.raises(AssertionError, match=r"1 request\(s\) matched no route") as exit_info:
        http.stop()
    assert "POST https://api.test/v2/rates" in str(exit_info.value)
    assert "never called" in str(exit_info.value)  # the GET route was not used either


def test_unmatched_request_with_no_routes_says_so() -> None:
    http = FakeHTTP().start()
    with pytest.raises(UnmatchedRequest, match="this fake has no routes at all"):
        httpx.get("https://api.test/")
    http.skip_exit_checks()
    http.stop()


def test_unmatched_request_is_not_an_httpx_error_so_apps_do_not_swallow_it() -> None:
    assert not issubclass(UnmatchedRequest, httpx.HTTPError)
    assert issubclass(UnmatchedRequest, AssertionError)


def test_swallowed_unmatched_request_still_fails_at_exit() -> None:
    def app_that_swallows() -> None:
        with contextlib.suppress(Exception):
            httpx.get("https://api.test/unknown")

    with pytest.raises(AssertionError, match="something may have caught it"), FakeHTTP():
        app_that_swallows()


def test_unused_route_fails_at_exit_listing_it() -> None:
    http = FakeHTTP().start()
    http.get("https://api.test/used").respond(200)
    http.get("https://api.test/unused", name="unused").respond(200)
    httpx.get("https://api.test/used")
    with pytest.raises(AssertionError) as info:
        http.stop()
    message = str(info.value)
    assert "1 route(s) were never called" in message
    assert "GET https://api.test/unused (name 'unused')" in message
    assert "/used\n" not in message


def test_optional_routes_and_assert_all_called_false_do_not_fail_at_exit() -> None:
    with FakeHTTP() as http:
        http.get("https://api.test/a", optional=True).respond(200)
        http.get("https://api.test/b").respond(200).optional()
    with FakeHTTP(assert_all_called=False) as http:
        http.get("https://api.test/c").respond(200)


def test_scripted_answers_left_unused_fail_at_exit() -> None:
    http = FakeHTTP().start()
    http.get("https://api.test/x").respond(503, times=3).respond(200)
    httpx.get("https://api.test/x")
    with pytest.raises(AssertionError, match=r"2 scripted answer\(s\) never used: 503, 503"):
        http.stop()


def test_exit_checks_are_skipped_when_the_block_raises() -> None:
    def test_body(http: FakeHTTP) -> None:
        http.get("https://api.test/never").respond(200)
        raise KeyError("the real failure")

    http = FakeHTTP()
    with pytest.raises(KeyError, match="the real failure"), http:
        test_body(http)
    assert not http.running


def test_assert_all_mocked_false_answers_unmatched_requests_with_empty_200() -> None:
    with FakeHTTP(assert_all_mocked=False) as http:
        response = httpx.get("https://api.test/anything")
    assert response.status_code == 200
    assert http.calls[0].route is None
    assert http.unmatched == []


def test_respx_router_started_alongside_handles_its_own_routes() -> None:
    with FakeHTTP() as http, respx.mock(assert_all_called=True) as respx_mock:
        http.get("https://ours.test/").respond(201)
        respx_mock.get("https://theirs.test/").respond(202)
        assert httpx.get("https://ours.test/").status_code == 201
        assert httpx.get("https://theirs.test/").status_code == 202
    assert [call.url for call in http.calls] == ["https://ours.test/"]
