from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

import pytest

import fixturekit as fk

UTC = timezone.utc
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


def now() -> datetime:
    return datetime.now(UTC)


def test_sleeping_an_hour_returns_at_once_an_hour_later() -> None:
    async def main() -> tuple[datetime, datetime]:
        before = now()
        await asyncio.sleep(3600)
        return before, now()

    clock = fk.Clock(START)
    real_before = time.monotonic()
    before, after = clock.run(main())
    assert (before, after) == (START, START + timedelta(hours=1))
    assert clock.now() == START + timedelta(hours=1)
    assert not clock.running  # run() started and stopped it
    assert time.monotonic() - real_before < 60  # nothing close to an hour passed


def test_loop_timers_and_clock_timers_fire_in_time_order() -> None:
    events: list[tuple[str, datetime]] = []

    def note(name: str) -> None:
        events.append((name, now()))

    async def sleeper(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        note(name)

    async def main(clock: fk.Clock) -> None:
        loop = asyncio.get_running_loop()
        loop.call_later(120, note, "loop call_later 120")
        clock.call_later(90, note, "clock timer 90")
        loop.call_at(loop.time() + 30, note, "loop call_at 30")
        await asyncio.gather(sleeper("sleep 60", 60), sleeper("sleep 150", 150))

    with fk.Clock(START) as clock:
        clock.run(main(clock))
    assert events == [
        ("loop call_at 30", START + timedelta(seconds=30)),
        ("sleep 60", START + timedelta(seconds=60)),
        ("clock timer 90", START + timedelta(seconds=90)),
        ("loop call_later 120", START + timedelta(seconds=120)),
        ("sleep 150", START + timedelta(seconds=150)),
    ]


def test_timeouts_expire_on_the_clock() -> None:
    async def main() -> datetime:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.Event().wait(), timeout=30)
        return now()

    assert fk.Clock(START).run(main()) == START + timedelta(seconds=30)


def test_advance_inside_the_loop_fires_due_loop_callbacks_at_once() -> None:
    async def main(clock: fk.Clock) -> list[str]:
        loop = asyncio.get_running_loop()
        fired: list[str] = []
        loop.call_later(60, lambda: fired.append(f"reminder at {now():%H:%M}"))
        loop.call_later(600, lambda: fired.append("too late"))
        woke = asyncio.ensure_future(asyncio.sleep(30, "woke"))
        await asyncio.sleep(0)
        clock.advance(minutes=2)
        assert fired == ["reminder at 09:01"]  # before the test awaited anything
        assert await woke == "woke"
        return fired

    with fk.Clock(START) as clock:
        assert clock.run(main(clock)) == ["reminder at 09:01"]
        assert clock.now() == START + timedelta(minutes=2)


def test_threads_working_for_the_loop_get_real_time() -> None:
    async def main() -> str:
        return await asyncio.wait_for(asyncio.to_thread(time.sleep, 0.05), timeout=5) or "done"

    assert fk.Clock(START).run(main()) == "done"


def test_sockets_work_while_the_clock_jumps() -> None:
    async def main() -> bytes:
        async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(await reader.readline())
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        await asyncio.sleep(3600)  # jumps although the server's socket is open
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"ping\n")
        answer = await asyncio.wait_for(reader.readline(), timeout=30)
        writer.close()
        server.close()
        await server.wait_closed()
        return answer

    clock = fk.Clock(START)
    assert clock.run(main()) == b"ping\n"
    assert clock.now() >= START + timedelta(hours=1)


def test_a_retry_with_backoff_runs_through_in_virtual_time() -> None:
    attempts: list[datetime] = []

    async def flaky() -> str:
        attempts.append(now())
        if len(attempts) < 4:
            raise ConnectionError("down")
        return "up"

    async def with_retries() -> str:
        delay = 1.0
        while True:
            try:
                return await flaky()
            except ConnectionError:
                await asyncio.sleep(delay)
                delay *= 10

    assert fk.Clock(START).run(with_retries()) == "up"
    assert [moment - START for moment in attempts] == [
        timedelta(0),
        timedelta(seconds=1),
        timedelta(seconds=11),
        timedelta(seconds=111),
    ]


def test_a_private_clock_drives_the_loop_without_patching_time() -> None:
    async def main() -> datetime:
        await asyncio.sleep(86_400)
        return now()

    virtual = fk.Clock("2030-01-01", patch=False)
    assert virtual.run(main()).year < 2030
    assert virtual.now() == datetime(2030, 1, 2, tzinfo=UTC)


def test_the_loop_is_released_after_run() -> None:
    clock = fk.Clock(START)
    clock.run(asyncio.sleep(10))
    assert clock._loop is None
    assert asyncio.run(asyncio.wait_for(asyncio.sleep(0.01, "real"), timeout=5)) == "real"


def test_run_refuses_what_is_not_a_coroutine() -> None:
    async def main() -> None:
        pass

    with pytest.raises(TypeError, match=r"takes a coroutine, such as clock.run\(main\(\)\)"):
        fk.Clock(START).run(main)  # type: ignore[arg-type]


def test_run_refuses_a_bad_io_wait() -> None:
    coroutine = asyncio.sleep(1)
    with pytest.raises(ValueError, match="io_wait must be a number of seconds >= 0"):
        fk.Clock(START).run(coroutine, io_wait=-1)
    coroutine.close()


def test_run_inside_a_running_loop_is_refused() -> None:
    async def main() -> None:
        with pytest.raises(RuntimeError, match="cannot be called from a running event loop"):
            fk.Clock(START, patch=False).run(asyncio.sleep(1))

    asyncio.run(main())


def test_a_loop_that_is_not_asyncios_selector_loop_is_refused() -> None:
    from fixturekit.clock._loop import attached

    class OtherLoop(asyncio.AbstractEventLoop):
        def time(self) -> float:
            return 0.0

    refused = pytest.raises(TypeError, match="only drive asyncio's own selector event loop")
    with refused, attached(fk.Clock(START, patch=False), OtherLoop()):
        pass
