"""Scripted broker outages: what `FakeQueue.fail_next` queues up for the next pushes."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from fixturekit._internal.checks import check_count, check_name

__all__ = ["PushFaults"]

DEFAULT_MESSAGE = "the fake broker refused the push"


@dataclass
class _Fault:
    error: Exception | type[Exception]
    message: str | None
    on: str | None
    left: int

    def make(self) -> Exception:
        error = self.error
        if isinstance(error, BaseException):
            return error
        return error(self.message or DEFAULT_MESSAGE)


class PushFaults:
    """Failures waiting for pushes, first in first out; ``on`` limits one to a job name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []

    def add(
        self,
        error: object,
        *,
        times: object,
        message: object,
        on: object,
    ) -> _Fault:
        """Check ``fail_next()``'s arguments and queue the failure."""
        count = check_count(times, "fail_next()'s times", minimum=1)
        name = None if on is None else check_name(on, "fail_next()'s on=", example="'send_welcome'")
        if message is not None and not isinstance(message, str):
            raise TypeError(f"fail_next()'s message= must be a str, not {message!r}")
        made: Exception | type[Exception]
        if error is None:
            made = ConnectionError
        elif isinstance(error, Exception):
            if message is not None:
                raise TypeError(
                    "fail_next() got an exception instance and message=; give the message "
                    f"to the exception ({type(error).__name__}({message!r})) or pass its class"
                )
            made = error
        elif isinstance(error, type) and issubclass(error, Exception):
            made = error
        else:
            raise TypeError(
                "fail_next()'s error must be an exception instance or class, such as "
                f"ConnectionError or TimeoutError('broker timed out'), not {error!r}"
            )
        fault = _Fault(made, message, name, count)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, name: str) -> Exception | None:
        """The error the push of ``name`` must raise, if one is waiting for it."""
        if not self._faults:  # the usual case: no lock taken
            return None
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.on is None or fault.on == name:
                    fault.left -= 1
                    if not fault.left:
                        del self._faults[index]
                    return fault.make()
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults = []

    def __len__(self) -> int:
        with self._lock:
            return sum(fault.left for fault in self._faults)
