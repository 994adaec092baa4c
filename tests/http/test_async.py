"""Async httpx clients go through the same routes."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from fixturekit.http import FakeHTTP, UnmatchedRequest


@pytest.mark.asyncio
async def test_async_client_gets_sequences_and_failures() -> None:
    async with FakeHTTP() as http:
        http.get("https://api.test/x").timeout(times=1).respond(503, times=1).respond(json=[1])
        async with httpx.AsyncClient() as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.get("https://api.test/x")
            assert (await client.get("https://api.test/x")).status_code == 503
            assert (await client.get("https://api.test/x")).json() == [1]
    http.assert_called_count(3, "GET", "https://api.test/x")


@pytest.mark.asyncio
async def test_async_side_effect_is_awaited() -> None:
    async def answer(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        return httpx.Response(200, json={"path": request.url.path})

    async with FakeHTTP() as http:
        http.get("https://api.test/a").mock(side_effect=answer)
        async with httpx.AsyncClient() as client:
            assert (await client.get("https://api.test/a")).json() == {"path": "/a"}


def test_async_side_effect_with_a_sync_client_is_refused_clearly() -> None:
    async def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200)

    with FakeHTTP() as http:
        http.get("https://api.test/a").mock(side_effect=answer)
        with pytest.raises(TypeError, match=r"async side effect, but GET https://api\.test/a"):
            httpx.get("https://api.test/a")


@pytest.mark.asyncio
async def test_concurrent_async_requests_are_all_recorded() -> None:
    async with FakeHTTP() as http:
        http.get(url__regex=r"https://api\.test/item/\d+").respond(json={})
        async with httpx.AsyncClient() as client:
            await asyncio.gather(*(client.get(f"https://api.test/item/{i}") for i in range(20)))
    assert sorted(call.path for call in http.calls) == sorted(f"/item/{i}" for i in range(20))


@pytest.mark.asyncio
async def test_unmatched_async_request_raises() -> None:
    http = FakeHTTP().start()
    async with httpx.AsyncClient() as client:
        with pytest.raises(UnmatchedRequest, match=r"no route matches GET https://api\.test/q"):
            await client.get("https://api.test/q")
    http.skip_exit_checks()
    http.stop()
