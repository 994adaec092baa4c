"""Scripted transport failures: what `FakeHTTP.fail_next` queues up for the next requests."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import httpx

from fixturekit._internal.checks import check_count
from fixturekit.http._route import build_error, check_error, error_name

__all__ = ["Fault", "RequestFaults"]


@dataclass
class Fault:
    """One ``fail_next(...)``: an error (class or instance) or a status, ``left`` times."""

    error: BaseException | type[BaseException] | int
    message: str | None
    on: str | None
    left: int

    @property
    def label(self) -> str:
        """``ConnectError`` or ``503``, as messages and the timeline say it."""
        if isinstance(self.error, int):
            return str(self.error)
        return error_name(self.error)

    def answer(self, request: httpx.Request) -> httpx.Response | BaseException:
        """The response (for a status) or the exception to raise for ``request``."""
        if isinstance(self.error, int):
            return httpx.Response(self.error, text=self.message or "", request=request)
        return build_error(self.error, request, self.message)


def check_fault(error: object, message: object) -> BaseException | type[BaseException] | int:
    """Check ``fail_next()``'s ``error`` and ``message``; return the error."""
    if message is not None and not isinstance(message, str):
        raise TypeError(f"fail_next()'s message= must be a str, not {message!r}")
    if isinstance(error, int) and not isinstance(error, bool):
        if not 100 <= error <= 599:
            raise ValueError(
                f"fail_next()'s error, given as a status, must be between 100 and 599, "
                f"not {error!r}"
            )
        return error
    check_error(error, "fail_next()")
    if isinstance(error, BaseException) and message is not None:
        raise TypeError(
            "fail_next() got an exception instance and message=; give the message to the "
            f"exception ({type(error).__name__}({message!r})) or pass its class"
        )
    return error  # type: ignore[return-value]


class RequestFaults:
    """Failures waiting for requests, first in first out; ``on`` ties one to a route name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
        self,
        error: BaseException | type[BaseException] | int,
        *,
        times: object,
        message: str | None,
        on: str | None,
    ) -> Fault:
        fault = Fault(error, message, on, check_count(times, "fail_next()'s times", minimum=1))
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, route_name: str | None) -> Fault | None:
        """The fault the next request (to the route named ``route_name``) meets, if any."""
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.on is None or fault.on == route_name:
                    fault.left -= 1
                    if not fault.left:
                        del self._faults[index]
                    return fault
        return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def unused(self) -> list[str]:
        """Lines for the failures still waiting (strict mode reports them at exit)."""
        lines = []
        for fault in self.pending():
            target = f"requests to the route {fault.on!r}" if fault.on else "requests"
            lines.append(
                f"fail_next({fault.label}) is waiting for {fault.left} more {target} "
                "that never came"
            )
        return lines

    def clear(self) -> None:
        with self._lock:
            self._faults = []

    def __bool__(self) -> bool:
        return bool(self._faults)
