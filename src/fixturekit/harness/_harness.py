"""Harness: runs a clock and a set of fakes together, on one clock and one timeline."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import ExitStack
from typing import Any, TypeVar

from fixturekit._internal.lifecycle import Lifecycle
from fixturekit.clock import Clock
from fixturekit.errors import StrictModeError
from fixturekit.harness._fake import Fake, check_fake_name
from fixturekit.harness._timeline import Timeline

__all__ = ["Harness"]

F = TypeVar("F", bound=Fake)


class Harness(Lifecycle):
    """Runs a clock and a set of fakes together, on one clock and one timeline.

    ``with Harness(clock=Clock("2024-01-01"), fakes=[FakeSMS()]) as h:`` starts the
    clock (unless it already runs, then it is only shared), attaches every fake to it
    and to `timeline`, and enters the fakes in order. Leaving exits them in
    reverse order, every one of them even when some fail, then stops the clock if the
    harness started it. Fakes are reachable by name: ``h.sms`` or ``h["sms"]``.
    """

    def __init__(
        self,
        clock: Clock | None = None,
        fakes: Iterable[Fake] = (),
        *,
        timeline: Timeline | None = None,
    ) -> None:
        if clock is not None and not isinstance(clock, Clock):
            raise TypeError(
                f"clock must be a fixturekit.Clock, not {type(clock).__name__}; "
                "write Harness(clock=Clock('2024-01-01'))"
            )
        if isinstance(fakes, Fake) or not isinstance(fakes, Iterable):
            raise TypeError("fakes must be a list of fake instances, e.g. fakes=[FakeSMS()]")
        self.clock = clock if clock is not None else Clock()
        if timeline is not None and not isinstance(timeline, Timeline):
            raise TypeError(
                f"timeline must be a fixturekit.Timeline, not {type(timeline).__name__}"
            )
        self.timeline = timeline if timeline is not None else Timeline(self.clock)
        self._fakes: dict[str, Fake] = {}
        self._stack: ExitStack | None = None
        self._exit_errors: list[StrictModeError] = []
        for fake in fakes:
            self._register(fake)

    # --- access ------------------------------------------------------------------

    @property
    def fakes(self) -> tuple[Fake, ...]:
        return tuple(self._fakes.values())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._fakes)

    @property
    def running(self) -> bool:
        return self._stack is not None

    def get(self, name: str) -> Fake | None:
        return self._fakes.get(name)

    def __getitem__(self, name: str) -> Fake:
        try:
            return self._fakes[name]
        except KeyError:
            raise KeyError(f"this harness has no fake named {name!r}; {self._known()}") from None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._fakes[name]
        except KeyError:
            raise AttributeError(
                f"this harness has no fake named {name!r}; {self._known()}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._fakes

    def _known(self) -> str:
        if not self._fakes:
            return "it has no fakes (pass fakes=[...] or call add())"
        return "it has: " + ", ".join(sorted(self._fakes))

    # --- composition ---------------------------------------------------------------

    def add(self, fake: F) -> F:
        """Add a fake; if the harness is running, the fake is attached and entered now."""
        self._register(fake)
        if self._stack is not None:
            try:
                self._enter_fake(self._stack, fake)
            except BaseException:
                del self._fakes[fake.name]
                raise
        return fake

    def _register(self, fake: Fake) -> None:
        if isinstance(fake, type) and issubclass(fake, Fake):
            raise TypeError(
                f"pass a fake instance, not the class: {fake.__name__}() instead of {fake.__name__}"
            )
        if not isinstance(fake, Fake):
            raise TypeError(
                f"fakes must be fixturekit.Fake instances, not {type(fake).__name__} ({fake!r})"
            )
        if not fake.name:
            raise ValueError(
                f"{type(fake).__name__} has no name; set a class attribute such as name = 'sms'"
            )
        check_fake_name(fake.name, f"{type(fake).__name__}.name")
        if fake.name in self._fakes:
            other = self._fakes[fake.name]
            raise ValueError(
                f"two fakes are named {fake.name!r} ({other!r} and {fake!r}); "
                "a harness holds one fake per name"
            )
        self._fakes[fake.name] = fake

    def _enter_fake(self, stack: ExitStack, fake: Fake) -> None:
        fake.attach(clock=self.clock, timeline=self.timeline)
        fake.start()
        stack.callback(self._stop_fake, fake)

    def _stop_fake(self, fake: Fake) -> None:
        # Each fake runs its own exit checks: one fake's StrictModeError must not look,
        # to the fakes stopped after it, like an error raised by the with block.
        try:
            fake.stop()
        except StrictModeError as exc:
            self._exit_errors.append(exc)

    # --- lifecycle ------------------------------------------------------------------

    def start(self) -> Harness:
        if self._stack is not None:
            raise RuntimeError("this Harness is already running; enter it once at a time")
        with ExitStack() as stack:
            if not self.clock.running:
                stack.enter_context(self.clock)
            for fake in self._fakes.values():
                self._enter_fake(stack, fake)
            self._stack = stack.pop_all()
        return self

    def stop(self) -> None:
        __tracebackhide__ = True
        if self._stack is None:
            raise RuntimeError("this Harness is not running; stop() follows start()")
        stack, self._stack = self._stack, None
        self._exit_errors = []
        try:
            stack.close()
        finally:
            errors, self._exit_errors = self._exit_errors, []
        if len(errors) == 1:
            # The fake's message is what to read, not the frames it came through.
            raise errors[0].with_traceback(None)
        if errors:
            raise StrictModeError("\n".join(str(error) for error in errors))

    def skip_exit_checks(self) -> None:
        """Every fake skips its exit checks when the harness stops this time (see
        `Fake.skip_exit_checks`); leaving the ``with`` block on an exception does this."""
        for fake in self._fakes.values():
            fake.skip_exit_checks()

    def _block_raised(self) -> None:
        self.skip_exit_checks()

    def __repr__(self) -> str:
        names = ", ".join(self._fakes) or "no fakes"
        return f"<Harness {self.clock!r} [{names}]{' running' if self.running else ''}>"
