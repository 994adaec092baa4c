"""fail_next: the next requests fail at the transport (or answer a status), then routes answer."""

from __future__ import annotations

import httpx
import pytest

import fixturekit as fk
from fixturekit.errors import StrictModeError
from fixturekit.http import FakeHTTP


def fetch_with_retry(client: httpx.Client, url: str, attempts: int = 3) -> httpx.Response:
    """The code under test: retry transport errors and 5xx answers."""
    for _ in range(attempts):
        try:
            response = client.get(url)
        except httpx.TransportError:
            continue
        if response.status_code < 500:
            return response
    raise RuntimeError("service unavailable")


def test_next_request_fails_to_connect_then_the_route_answers() -> None:
    with FakeHTTP() as http:
        http.get("https://api.test/rates").respond(json={"eur": 1.1})
        http.fail_next()
        with httpx.Client() as client:
            assert fetch_with_retry(client, "https://api.test/rates").json() == {"eur": 1.1}
    failed, answered = http.calls
    assert isinstance(failed.error, httpx.ConnectError)
    assert failed.error.request.url == failed.request.url  # attached, as by httpx itself
    assert "ConnectError scripted by FakeHTTP for GET https://api.test/rates" in str(failed.error)
    assert failed.route is answered.route  # the request did reach the route
    assert answered.status == 200
    http.assert_called_count(1, error=httpx.ConnectError)


def test_times_and_on_limit_the_failures_to_one_route() -> None:
    with FakeHTTP() as http:
        http.get("https://api.test/rates", name="rates").respond(json={})
        http.get("https://api.test/health").respond(204)
        http.fail_next(httpx.ConnectTimeout, times=2, on="rates")
        assert httpx.get("https://api.test/health").status_code == 204
        for _ in range(2):
            with pytest.raises(httpx.ConnectTimeout):
                httpx.get("https://api.test/rates")
        assert httpx.get("https://api.test/rates").status_code == 200
    assert [call.outcome for call in http.calls] == [
        "204",
        "raised ConnectTimeout",
        "raised ConnectTimeout",
        "200",
    ]


def test_a_status_answers_with_that_status_and_the_message_as_body() -> None:
    with FakeHTTP() as http:
        http.get("https://api.test/rates").respond(json={"eur": 1.1})
        http.fail_next(503, message="maintenance")
        first = httpx.get("https://api.test/rates")
        assert (first.status_code, first.text) == (503, "maintenance")
        assert httpx.get("https://api.test/rates").status_code == 200


def test_an_exception_instance_or_a_class_with_a_message() -> None:
    with FakeHTTP() as http:
        http.post("https://api.test/pay").respond(201)
        http.fail_next(httpx.ReadTimeout("the gateway is slow"))
        http.fail_next(httpx.RemoteProtocolError, message="peer closed the connection")
        with pytest.raises(httpx.ReadTimeout, match="the gateway is slow"):
            httpx.post("https://api.test/pay")
        with pytest.raises(httpx.RemoteProtocolError, match="peer closed the connection"):
            httpx.post("https://api.test/pay")
        assert httpx.post("https://api.test/pay").status_code == 201


def test_without_on_it_fails_any_request_even_one_no_route_matches() -> None:
    with FakeHTTP() as http:
        http.fail_next()
        with pytest.raises(httpx.ConnectError):
            httpx.get("https://nowhere.test/")
    assert http.unmatched == []  # the fault answered it: no UnmatchedRequest at exit
    assert http.calls[0].route is None


def test_fail_next_is_on_the_timeline_and_so_is_the_failed_request() -> None:
    clock = fk.Clock("2024-01-01T09:00:00Z", patch=False)
    with fk.Harness(clock=clock, fakes=[FakeHTTP()]) as harness:
        http = harness.http
        http.get("https://api.test/x", name="x").respond(200)
        http.fail_next(on="x")
        with pytest.raises(httpx.ConnectError):
            httpx.get("https://api.test/x")
    assert harness.timeline.messages("http") == [
        "next 1 request(s) to the route 'x' scripted to fail with ConnectError",
        "GET https://api.test/x -> raised ConnectError",
    ]


@pytest.mark.asyncio
async def test_async_clients_meet_the_failure_too() -> None:
    async with FakeHTTP() as http:
        http.get("https://api.test/x").respond(200)
        http.fail_next(times=1)
        async with httpx.AsyncClient() as client:
            with pytest.raises(httpx.ConnectError):
                await client.get("https://api.test/x")
            assert (await client.get("https://api.test/x")).status_code == 200


def test_a_failure_never_used_fails_a_strict_fake_at_exit() -> None:
    http = FakeHTTP().start()
    http.get("https://api.test/x", name="x").respond(200)
    http.fail_next(times=2, on="x")
    with pytest.raises(StrictModeError) as info:
        http.stop()
    assert "fail_next(ConnectError) is waiting for 2 more requests to the route 'x'" in str(
        info.value
    )
    with FakeHTTP(strict=False) as loose:
        loose.fail_next(503)


def test_reset_drops_the_failures_waiting() -> None:
    with FakeHTTP() as http:
        http.get("https://api.test/x").respond(200)
        http.fail_next()
        http.reset()
        assert httpx.get("https://api.test/x").status_code == 200


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"error": "boom"}, TypeError, r"fail_next\(\) takes an exception .*'boom'"),
        ({"error": 42}, ValueError, "between 100 and 599, not 42"),
        ({"error": True}, TypeError, r"fail_next\(\) takes an exception"),
        ({"times": 0}, ValueError, "times must be a whole number >= 1, not 0"),
        ({"on": ""}, TypeError, "on= must be a non-empty str"),
        ({"on": "nope"}, ValueError, "on= names no route: 'nope'; this fake has no named"),
        ({"message": 3}, TypeError, "message= must be a str, not 3"),
        (
            {"error": httpx.ConnectError("x"), "message": "y"},
            TypeError,
            "an exception instance and message=",
        ),
        ({"tims": 2}, TypeError, r"unexpected keyword argument 'tims' \(did you mean times=\?\)"),
    ],
)
def test_fail_next_arguments_are_checked(
    kwargs: dict[str, object], error: type, message: str
) -> None:
    http = FakeHTTP()
    with pytest.raises(error, match=message):
        http.fail_next(**kwargs)  # type: ignore[arg-type]
