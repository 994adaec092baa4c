"""Strict by default: unmatched requests and unused routes fail, with messages that help."""

from __future__ import annotations

import contextlib

import httpx
import pytest
import respx
from respx.models import AllMockedAssertionError

import fixturekit.errors
from fixturekit.errors import FakeAssertionError, StrictModeError
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
    with pytest.raises(StrictModeError, match=r"1 request\(s\) matched no route") as exit_info:
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

    with pytest.raises(StrictModeError, match="something may have caught it"), FakeHTTP():
        app_that_swallows()


def test_unused_route_fails_at_exit_listing_it() -> None:
    http = FakeHTTP().start()
    http.get("https://api.test/used").respond(200)
    http.get("https://api.test/unused", name="unused").respond(200)
    httpx.get("https://api.test/used")
    with pytest.raises(StrictModeError) as info:
        http.stop()
    message = str(info.value)
    assert "1 route(s) were never called" in message
    assert "GET https://api.test/unused (name 'unused')" in message
    assert "/used\n" not in message


def test_optional_routes_and_strict_false_do_not_fail_at_exit() -> None:
    with FakeHTTP() as http:
        http.get("https://api.test/a", optional=True).respond(200)
        http.get("https://api.test/b").respond(200).optional()
    with FakeHTTP(strict=False) as http:
        http.get("https://api.test/c").respond(200).respond(503, times=2)
        http.fail_next(on=None)


def test_scripted_answers_left_unused_fail_at_exit() -> None:
    http = FakeHTTP().start()
    http.get("https://api.test/x").respond(503, times=3).respond(200)
    httpx.get("https://api.test/x")
    with pytest.raises(StrictModeError, match=r"2 scripted answer\(s\) never used: 503, 503"):
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


def test_strict_is_the_default_and_exit_problems_raise_strict_mode_error() -> None:
    assert FakeHTTP().strict is True
    http = FakeHTTP().start()
    http.get("https://api.test/never").respond(200)
    assert http.exit_problems() == [
        "1 route(s) were never called (mark a route optional with "
        "http.get(..., optional=True) if that is fine):",
        "  - GET https://api.test/never",
    ]
    with pytest.raises(StrictModeError, match=r"^FakeHTTP at exit: 1 route\(s\) were never"):
        http.stop()
    assert issubclass(StrictModeError, FakeAssertionError)


def test_not_strict_still_reports_unmatched_requests_at_exit() -> None:
    http = FakeHTTP(strict=False).start()
    http.get("https://api.test/never").respond(200)
    with contextlib.suppress(UnmatchedRequest):
        httpx.get("https://api.test/other")
    assert http.exit_problems()[0].startswith("1 request(s) matched no route")
    assert len(http.exit_problems()) == 2  # the header and the request, not the route
    with pytest.raises(StrictModeError, match=r"GET https://api\.test/other"):
        http.stop()


def test_skip_exit_checks_is_the_base_class_one_and_lasts_one_run() -> None:
    assert "skip_exit_checks" not in vars(FakeHTTP)
    assert "__exit__" not in vars(FakeHTTP)
    http = FakeHTTP().start()
    http.get("https://api.test/never").respond(200)
    http.skip_exit_checks()
    http.stop()
    http.start()
    with pytest.raises(StrictModeError, match="never called"):
        http.stop()


def test_assert_all_called_checks_routes_whenever_asked() -> None:
    with FakeHTTP(strict=False) as http:
        http.get("https://api.test/x").respond(200)
        with pytest.raises(FakeAssertionError, match="never called"):
            http.assert_all_called()
        httpx.get("https://api.test/x")
        http.assert_all_called()


def test_unmatched_request_is_a_fake_assertion_error_not_respx_s() -> None:
    assert issubclass(UnmatchedRequest, FakeAssertionError)
    assert not issubclass(UnmatchedRequest, AllMockedAssertionError)
    assert UnmatchedRequest is fixturekit.errors.UnmatchedRequest


@pytest.mark.parametrize("fake_first", [True, False])
def test_a_request_neither_router_matches_raises_unmatched_request(fake_first: bool) -> None:
    """respx's mocker tries each router and re-raises AllMockedAssertionError: a request
    neither matches still reaches the fake and fails with UnmatchedRequest, whichever
    router started first."""
    with contextlib.ExitStack() as stack:
        routers = [lambda: FakeHTTP(strict=False), lambda: respx.mock(assert_all_called=False)]
        if not fake_first:
            routers.reverse()
        entered = [stack.enter_context(make()) for make in routers]
        http = next(item for item in entered if isinstance(item, FakeHTTP))
        respx_mock = next(item for item in entered if not isinstance(item, FakeHTTP))
        http.get("https://ours.test/").respond(201)
        respx_mock.get("https://theirs.test/").respond(202)
        assert httpx.get("https://theirs.test/").status_code == 202
        with pytest.raises(UnmatchedRequest, match=r"no route matches GET https://nobody\.test/"):
            httpx.get("https://nobody.test/")
        assert [call.url for call in http.unmatched] == ["https://nobody.test/"]
        http.skip_exit_checks()
