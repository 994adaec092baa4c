"""FakeHTTP as a fake: clock and timeline, harness, reset, and nothing left patched."""

from __future__ import annotations

import subprocess
import sys
import threading

import httpcore
import httpx
import pytest

import fixturekit as fk
from fixturekit.errors import StrictModeError
from fixturekit.http import FakeHTTP, UnmatchedRequest


def test_patch_is_removed_at_exit_even_when_the_exit_check_fails() -> None:
    original = httpcore.ConnectionPool.handle_request
    http = FakeHTTP().start()
    http.get("https://api.test/x").respond(200)
    assert httpcore.ConnectionPool.handle_request is not original
    with pytest.raises(StrictModeError, match="never called"):
        http.stop()
    assert httpcore.ConnectionPool.handle_request is original
    assert not http.running


def test_requests_are_recorded_on_the_timeline_at_clock_time() -> None:
    clock = fk.Clock("2024-01-01T09:00:00Z", patch=False)
    with fk.Harness(clock=clock, fakes=[FakeHTTP()]) as harness:
        http = harness.http
        assert isinstance(http, FakeHTTP)
        assert http.clock is clock
        http.get("https://api.test/rates").respond(json={})
        clock.advance(minutes=5)
        httpx.get("https://api.test/rates")
    assert http.calls[0].at.isoformat() == "2024-01-01T09:05:00+00:00"
    assert [str(e) for e in harness.timeline] == [
        "2024-01-01T09:05:00+00:00 [http] GET https://api.test/rates -> 200"
    ]
    assert harness.timeline.events[0].data["status"] == 200


def test_harness_exits_other_fakes_when_fake_http_fails_at_exit() -> None:
    stopped = []

    class FakeSMS(fk.Fake):
        name = "sms"

        def on_stop(self) -> None:
            stopped.append(self)

    harness = fk.Harness(fakes=[FakeSMS(), FakeHTTP()], clock=fk.Clock(patch=False)).start()
    harness.http.get("https://api.test/x").respond(200)
    with pytest.raises(StrictModeError, match="never called"):
        harness.stop()
    assert len(stopped) == 1


def test_reset_forgets_calls_and_rewinds_sequences_but_keeps_routes() -> None:
    with FakeHTTP() as http:
        route = http.get("https://api.test/x").respond(500, times=1).respond(200)
        assert httpx.get("https://api.test/x").status_code == 500
        http.reset()
        assert http.calls == []
        assert route.call_count == 0
        assert len(http.routes) == 1
        assert httpx.get("https://api.test/x").status_code == 500


def test_reset_keeps_names_optional_flags_and_defaults_and_forgets_unmatched() -> None:
    with FakeHTTP() as http:
        http.get("https://api.test/x", name="x", optional=True).respond(json={"a": 1})
        with pytest.raises(UnmatchedRequest):
            httpx.get("https://api.test/other")
        http.reset()
        assert http.unmatched == []
        assert http["x"].is_optional
        assert httpx.get("https://api.test/x").json() == {"a": 1}
        assert [call.route_name for call in http.calls] == ["x"]


class CountingHTTP(FakeHTTP):
    """A subclass keeping state set in __init__ after super().__init__()."""

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.resets = 0

    def reset(self) -> None:
        super().reset()
        self.resets += 1


def test_reset_runs_once_after_a_subclass_init_finished() -> None:
    http = CountingHTTP(strict=False)
    assert http.resets == 1
    with http:
        http.reset()
    assert http.resets == 2


def test_calls_stay_readable_after_exit_and_a_fake_can_run_again() -> None:
    http = FakeHTTP(strict=False)
    with http:
        http.get("https://api.test/x").respond(200)
        httpx.get("https://api.test/x")
    assert len(http.calls) == 1
    with http:
        httpx.get("https://api.test/x")
    assert len(http.calls) == 2


def test_requests_from_threads_are_all_recorded() -> None:
    with FakeHTTP() as http:
        http.get(url__regex=r"https://api\.test/t/\d+").respond(200)
        threads = [
            threading.Thread(target=httpx.get, args=(f"https://api.test/t/{i}",)) for i in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(http.calls) == 8


def test_pass_through_hosts_reach_a_real_local_server() -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Hello(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"hi")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        port = server.server_address[1]
        with FakeHTTP(pass_through=("127.0.0.1",)) as http:
            http.get("https://api.test/x").respond(json={"faked": True})
            assert httpx.get(f"http://127.0.0.1:{port}/").text == "hi"
            assert httpx.get("https://api.test/x").json() == {"faked": True}
        assert http.calls[0].passed_through
        assert http.calls[0].status is None
        assert str(http.calls[0]).endswith("-> passed through to the network")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_fixturekit_http_does_not_shadow_the_standard_library() -> None:
    import http.client
    import http.server

    import fixturekit.http

    assert http.client.HTTPConnection.__module__ == "http.client"
    assert http.server.__name__ == "http.server"
    assert fixturekit.http.FakeHTTP is FakeHTTP


@pytest.mark.slow
def test_importing_the_package_for_the_guard_loads_neither_httpx_nor_respx() -> None:
    code = (
        "import sys\n"
        "from fixturekit.http import NetworkGuard\n"
        "with NetworkGuard():\n"
        "    pass\n"
        "print(sorted({'httpx', 'respx'} & {m.partition('.')[0] for m in sys.modules}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
