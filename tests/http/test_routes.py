"""Routes answer httpx requests: responses, sequences, scripted failures, matching."""

from __future__ import annotations

import re

import httpx
import pytest

from fixturekit.http import FakeHTTP, HTTPRoute, RouteExhausted


def test_route_answers_a_sync_client_with_json() -> None:
    with FakeHTTP() as http:
        route = http.get("https://api.test/rates").respond(json={"eur": 1.1})
        response = httpx.get("https://api.test/rates")
    assert response.status_code == 200
    assert response.json() == {"eur": 1.1}
    assert response.headers["content-type"] == "application/json"
    assert isinstance(route, HTTPRoute)
    assert route.called
    assert route.call_count == 1


def test_respond_with_times_scripts_a_sequence_then_the_default() -> None:
    with FakeHTTP() as http:
        http.get("https://api.test/rates").respond(503, times=2).respond(json=[1])
        codes = [httpx.get("https://api.test/rates").status_code for _ in range(4)]
    assert codes == [503, 503, 200, 200]


def test_default_set_before_the_steps_still_comes_after_them() -> None:
    with FakeHTTP() as http:
        http.get("https://api.test/x").respond(204).respond(500, times=1)
        codes = [httpx.get("https://api.test/x").status_code for _ in range(2)]
    assert codes == [500, 204]


def test_exhausted_sequence_without_default_raises_route_exhausted() -> None:
    http = FakeHTTP().start()
    http.get("https://api.test/x").respond(201, times=1)
    assert httpx.get("https://api.test/x").status_code == 201
    with pytest.raises(RouteExhausted, match=r"GET https://api\.test/x matched the route") as info:
        httpx.get("https://api.test/x")
    assert "1 scripted answer(s) are used up" in str(info.value)
    assert http.calls[-1].outcome == "route exhausted"
    http.stop()  # the scripted answer was used: nothing left to complain about


@pytest.mark.parametrize(
    ("script", "error"),
    [
        (lambda route: route.timeout(times=1), httpx.ReadTimeout),
        (lambda route: route.connection_error(times=1), httpx.ConnectError),
        (lambda route: route.fail(httpx.ConnectTimeout, times=1), httpx.ConnectTimeout),
    ],
)
def test_scripted_failure_then_success_drives_a_retry(script: object, error: type) -> None:
    def fetch_with_retry(client: httpx.Client) -> httpx.Response:
        for _ in range(3):
            try:
                return client.get("https://api.test/rates")
            except httpx.TransportError:
                continue
        raise AssertionError("no attempt succeeded")

    with FakeHTTP() as http:
        route = http.get("https://api.test/rates").respond(json={"ok": True})
        script(route)  # type: ignore[operator]
        with httpx.Client() as client:
            assert fetch_with_retry(client).json() == {"ok": True}
    first, second = http.calls
    assert isinstance(first.error, error)
    assert first.response is None
    assert first.error.request.url == first.request.url  # attached, as by httpx itself
    assert "scripted by FakeHTTP for GET https://api.test/rates" in str(first.error)
    assert second.status == 200


def test_fail_without_times_raises_on_every_call() -> None:
    with FakeHTTP() as http:
        http.post("https://api.test/pay").fail(httpx.ConnectError("refused"))
        for _ in range(2):
            with pytest.raises(httpx.ConnectError, match="refused"):
                httpx.post("https://api.test/pay")


def test_fail_rejects_what_is_not_an_exception() -> None:
    with FakeHTTP() as http:
        route = http.get("https://api.test/x", optional=True)
        with pytest.raises(TypeError, match=r"fail\(\) takes an exception .*'boom'"):
            route.fail("boom")  # type: ignore[arg-type]


@pytest.mark.parametrize("times", [0, -1, 1.5, "2"])
def test_times_must_be_a_positive_whole_number(times: object) -> None:
    with FakeHTTP() as http:
        route = http.get("https://api.test/x", optional=True)
        with pytest.raises(ValueError, match="times must be a whole number >= 1"):
            route.respond(200, times=times)  # type: ignore[arg-type]


def test_respond_refuses_a_bad_status_and_two_bodies() -> None:
    with FakeHTTP() as http:
        route = http.get("https://api.test/x", optional=True)
        with pytest.raises(ValueError, match="between 100 and 599, not 42"):
            route.respond(42)
        with pytest.raises(TypeError, match="one body, got text and json"):
            route.respond(text="a", json={})
        with pytest.raises(TypeError, match="'jsn'"):
            route.respond(jsn={})


def test_routes_match_params_headers_and_json_body() -> None:
    with FakeHTTP() as http:
        http.get("https://api.test/items", params={"page": "2"}).respond(json=["p2"])
        http.get("https://api.test/items").respond(json=["p1"])
        http.post(
            "https://api.test/items", headers={"Authorization": "Bearer t"}, json={"n": 1}
        ).respond(201)
        http.post("https://api.test/items").respond(401)
        assert httpx.get("https://api.test/items?page=2").json() == ["p2"]
        assert httpx.get("https://api.test/items").json() == ["p1"]
        ok = httpx.post(
            "https://api.test/items", headers={"Authorization": "Bearer t"}, json={"n": 1}
        )
        assert ok.status_code == 201
        assert httpx.post("https://api.test/items", json={"n": 1}).status_code == 401


def test_regex_url_and_respx_lookups_work() -> None:
    with FakeHTTP() as http:
        http.get(re.compile(r"https://api\.test/users/\d+")).respond(json={"id": 1})
        http.route(method="DELETE", host="api.test", path__startswith="/users/").respond(204)
        assert httpx.get("https://api.test/users/42").json() == {"id": 1}
        assert httpx.delete("https://api.test/users/42").status_code == 204


def test_respx_side_effect_gets_the_request_and_regex_groups() -> None:
    def echo(request: httpx.Request, user: str) -> httpx.Response:
        return httpx.Response(200, json={"user": user, "q": request.url.params["q"]})

    with FakeHTTP() as http:
        http.get(url__regex=r"https://api\.test/u/(?P<user>\w+)").mock(side_effect=echo)
        assert httpx.get("https://api.test/u/ann?q=1").json() == {"user": "ann", "q": "1"}


def test_base_url_makes_paths_relative() -> None:
    with FakeHTTP(base_url="https://api.test/v1") as http:
        http.get("/rates").respond(json={"eur": 1})
        assert httpx.get("https://api.test/v1/rates").json() == {"eur": 1}
        http.assert_called("GET", "/rates")


def test_adding_the_same_route_again_returns_the_existing_route() -> None:
    with FakeHTTP() as http:
        first = http.get("https://api.test/x").respond(500, times=1)
        again = http.get("https://api.test/x").respond(200)
        assert again is first
        assert len(http.routes) == 1
        codes = [httpx.get("https://api.test/x").status_code for _ in range(2)]
    assert codes == [500, 200]


def test_named_routes_are_found_by_name_and_listed_when_missing() -> None:
    with FakeHTTP() as http:
        route = http.get("https://api.test/x", name="rates").respond(200)
        assert http["rates"] is route
        with pytest.raises(KeyError, match="no route named 'nope'; this fake has 'rates'"):
            http["nope"]
        httpx.get("https://api.test/x")
        assert http.assert_called(route="rates").route is route


def test_route_with_no_response_answers_an_empty_200_as_in_respx() -> None:
    with FakeHTTP() as http:
        http.get("https://api.test/x")
        response = httpx.get("https://api.test/x")
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda h: h.get("https://api.test/x", jsn={}),
            r"get\(\) got an unexpected keyword argument 'jsn' \(did you mean json=\?\)",
        ),
        (lambda h: h.route(pth="/x"), r"route\(\) got an unexpected keyword argument 'pth'"),
        (lambda h: h.get("/relative"), "url '/relative' is relative"),
        (lambda h: h.request("", "https://api.test"), "method must be an HTTP method"),
        (lambda h: h.get("https://api.test", optional="yes"), "optional must be True or False"),
    ],
)
def test_route_arguments_are_checked(call: object, message: str) -> None:
    http = FakeHTTP()
    with pytest.raises((TypeError, ValueError), match=message):
        call(http)  # type: ignore[operator]


def test_constructor_options_are_checked() -> None:
    with pytest.raises(TypeError, match=r"FakeHTTP\(\) got an unexpected keyword.*'bse_url'"):
        FakeHTTP(bse_url="https://api.test")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="respx's name for what FakeHTTP calls strict="):
        FakeHTTP(assert_all_called=False)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="strict must be True or False, not 1"):
        FakeHTTP(strict=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="base_url must be an absolute URL"):
        FakeHTTP(base_url="api.test")
    with pytest.raises(TypeError, match="pass_through must be a list of hosts"):
        FakeHTTP(pass_through="127.0.0.1")
    with pytest.raises(TypeError, match="patch must be True or False"):
        FakeHTTP(patch=1)  # type: ignore[arg-type]


def test_transport_answers_without_patching() -> None:
    http = FakeHTTP(patch=False)
    http.get("https://api.test/x").respond(json={"a": 1})
    with httpx.Client(transport=http.transport()) as client:
        assert client.get("https://api.test/x").json() == {"a": 1}
    http.assert_called("GET", "https://api.test/x", times=1)
