"""unittest base classes that run a `fixturekit.Harness` around every test.

```python
import fixturekit as fk
from fixturekit.testcase import HarnessTestCase

class SignupTest(HarnessTestCase):
    clock_start = "2024-01-01T09:00:00Z"
    fakes = (FakeSMS,)

    def test_sends_code(self):
        signup("+15550100", sms=self.sms)
        self.assertEqual(len(self.sms.sent), 1)
```

Per test: ``random`` and Faker are seeded, a fresh `fixturekit.Clock` and a
`fixturekit.Harness` with fresh fakes are started, and they are stopped with the
test's cleanups, whether the test passed or not.
"""

from __future__ import annotations

import os
import shlex
import sys
import unittest
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from fixturekit._internal import current
from fixturekit._internal import seed as _seed
from fixturekit._internal.notes import NOTES_SHOWN, add_note
from fixturekit.clock import Clock, TimeLike
from fixturekit.harness import Fake, Harness, Timeline

__all__ = ["SEED_ENV", "HarnessTestCase", "IsolatedAsyncioHarnessTestCase", "run_seed"]

#: The environment variable that fixes the run seed of a unittest run.
SEED_ENV = "FIXTUREKIT_SEED"

_OWN_ATTRIBUTES = ("harness", "clock", "timeline", "fixturekit_seed", "db_sandbox", "db_session")
_DATABASE_ATTRIBUTES = ("db_sandbox", "db_session")
_random_run_seed: int | None = None


def run_seed() -> int:
    """This process's run seed: ``$FIXTUREKIT_SEED`` if set, else one random seed per process."""
    global _random_run_seed
    raw = os.environ.get(SEED_ENV, "").strip()
    if raw:
        try:
            value = int(raw)
        except ValueError:
            value = -1
        if value < 0:
            raise ValueError(
                f"{SEED_ENV}={raw!r} is not a whole number >= 0; set it to the run seed a "
                f"failure printed (e.g. {SEED_ENV}=1234) or unset it for a random one"
            )
        return value
    if _random_run_seed is None:
        _random_run_seed = int.from_bytes(os.urandom(4), "big") >> 1  # 0 .. 2**31 - 1
    return _random_run_seed


def _pytest_test(case: unittest.TestCase) -> current.CurrentTest | None:
    """The running test's record when a runner (pytest's fixturekit plugin) is running
    this very test case."""
    test = current.get()
    if test is None or not test.is_case(case):
        return None
    return test


class _HarnessSetup:
    """What both base classes do; kept out of their MRO-facing methods."""

    @staticmethod
    def prepare(case: Any) -> Harness:
        """Seed, then build the clock, the harness and fresh fakes (nothing started)."""
        cls = type(case)
        from_pytest = _pytest_test(case)
        if from_pytest is None:
            run = run_seed()
            test_seed = _seed.derive_seed(run, _stable_id(case))
        else:
            run, test_seed = from_pytest.run_seed, from_pytest.test_seed
        case._fixturekit_run_seed = run
        case.fixturekit_seed = _seed.seed(test_seed)
        clock = Clock(cls.clock_start, tick=cls.clock_tick)
        harness = Harness(clock=clock, fakes=_make_fakes(cls))
        for fake in harness.fakes:
            owner = next((k for k in cls.__mro__ if fake.name in vars(k)), None)
            if fake.name in _OWN_ATTRIBUTES or owner is not None:
                where = "this base class" if owner is None else f"{owner.__qualname__}"
                raise ValueError(
                    f"{cls.__qualname__}.fakes: the fake name {fake.name!r} is already an "
                    f"attribute of {where}; give the fake another name "
                    f"(e.g. `name = '{fake.name}_fake'` on the class)"
                )
        case.harness = harness
        case.clock = clock
        case.timeline = harness.timeline
        if from_pytest is not None:
            from_pytest.harness = harness  # pytest's report shows its timeline
        return harness

    @staticmethod
    def expose(case: Any, harness: Harness) -> None:
        for fake in harness.fakes:
            setattr(case, fake.name, fake)

    @staticmethod
    def failure_text(case: Any) -> str | None:
        seed = case.__dict__.get("fixturekit_seed")
        if seed is None:
            return None
        run = case._fixturekit_run_seed
        lines = [
            f"fixturekit: test seed {seed} (run seed {run}); rerun with "
            f"{SEED_ENV}={run} {_rerun_command(case)}"
        ]
        harness = case.__dict__.get("harness")
        if harness is not None:
            lines += ["timeline:", str(harness.timeline)]
        return "\n".join(lines)

    @staticmethod
    def missing(case: Any, name: str) -> AttributeError:
        if name in _DATABASE_ATTRIBUTES and getattr(type(case), "database", None) is None:
            return AttributeError(
                f"{type(case).__name__}.{name} is not set: give the class a database, e.g. "
                "database = TestDatabase('sqlite:///app.db', schema=Base.metadata)"
            )
        fakes = getattr(type(case), "fakes", ())
        fakes = fakes if isinstance(fakes, (list, tuple)) else ()
        if name in _OWN_ATTRIBUTES or any(getattr(spec, "name", None) == name for spec in fakes):
            return AttributeError(
                f"{type(case).__name__}.{name} is not set: it is set by "
                f"{_base_name(case)}'s set-up; when you override setUp() (or asyncSetUp() on "
                "the async twin), call super().setUp() (await super().asyncSetUp()) first"
            )
        return AttributeError(f"{type(case).__name__!r} object has no attribute {name!r}")


def _main_module_name() -> str | None:
    """The importable name of the ``__main__`` module: ``pkg.test_x`` for
    ``python -m pkg.test_x``, ``test_x`` for ``python test_x.py``; None when unknown."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name:
        name: str = spec.name
        return name
    path = getattr(main, "__file__", None)
    if isinstance(path, str) and path.endswith(".py"):
        return os.path.splitext(os.path.basename(path))[0]
    return None


def _stable_id(case: unittest.TestCase) -> str:
    """The test's id, with its module's importable name for ``__main__``: the id its
    seed derives from, the same however the file was run."""
    test_id = case.id()
    if type(case).__module__ == "__main__" and test_id.startswith("__main__."):
        name = _main_module_name()
        if name is not None:
            return name + test_id[len("__main__") :]
    return test_id


def _rerun_command(case: unittest.TestCase) -> str:
    """The command that runs this one test again, the way its file was run."""
    test_id = case.id()
    if type(case).__module__ != "__main__" or not test_id.startswith("__main__."):
        return f"python -m unittest {test_id}"
    main = sys.modules.get("__main__")
    if getattr(main, "__spec__", None) is not None:  # python -m pkg.test_x
        return f"python -m unittest {_stable_id(case)}"
    # python test_x.py: unittest.main() takes the test's name within the script.
    path = getattr(main, "__file__", None)
    script = sys.argv[0] if sys.argv and sys.argv[0] else path
    if path and script and os.path.abspath(script) != os.path.abspath(path):
        script = path
    return f"python {shlex.quote(script or 'test.py')} {test_id[len('__main__.') :]}"


def _base_name(case: Any) -> str:
    if isinstance(case, unittest.IsolatedAsyncioTestCase):
        return "IsolatedAsyncioHarnessTestCase"
    return "HarnessTestCase"


def _make_fakes(cls: type[Any]) -> list[Fake]:
    specs = cls.fakes
    if isinstance(specs, (type, Fake)) or not isinstance(specs, (list, tuple)):
        raise TypeError(
            f"{cls.__qualname__}.fakes must be a tuple of Fake classes, such as "
            f"fakes = (FakeSMS,), not {specs!r}"
        )
    made = []
    for spec in specs:
        if isinstance(spec, Fake):
            kind = type(spec).__name__
            raise TypeError(
                f"{cls.__qualname__}.fakes holds a {kind} instance, which every test would "
                f"share; list the class instead: fakes = ({kind},)"
            )
        if not callable(spec):
            raise TypeError(
                f"{cls.__qualname__}.fakes entries must be Fake classes or zero-argument "
                f"functions returning a Fake, not {spec!r}"
            )
        fake = spec()
        if not isinstance(fake, Fake):
            raise TypeError(
                f"{cls.__qualname__}.fakes: {spec!r}() returned {fake!r}, not a fixturekit.Fake; "
                "list Fake classes or zero-argument functions that return one"
            )
        made.append(fake)
    return made


#: The result methods that say the test did not pass.
_FAILURE_METHODS = frozenset(
    {"addError", "addFailure", "addSubTest", "addExpectedFailure", "addSkip"}
)
#: Of those, the ones whose failure gets the seed and the timeline.
_ANNOTATED = frozenset({"addError", "addFailure", "addSubTest"})


class _WatchingResult:
    """Wraps the result given to ``TestCase.run``: notes that the test failed (its fakes
    then skip their exit checks) and, outside pytest, adds the seed and the timeline to
    the failure.

    On Python 3.11+ the text is added to the exception as a note (shown in its
    traceback); on 3.10 it is written to stderr (inside the failure when buffered).
    Other attributes are the wrapped result's, so what it lacks (``addSubTest`` on some
    runners) stays missing.
    """

    def __init__(self, result: Any, case: Any, *, annotate: bool) -> None:
        self._result = result
        self._case = case
        self._annotate_failures = annotate

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._result, name)
        if name not in _FAILURE_METHODS:
            return method

        def report(*args: Any) -> Any:
            err = args[-1]
            if err is not None:
                self._case._fixturekit_failed = True
                if self._annotate_failures and name in _ANNOTATED:
                    self._annotate(err)
            return method(*args)

        return report

    def _annotate(self, err: Any) -> None:
        text = _HarnessSetup.failure_text(self._case)
        if text is None or not isinstance(err, tuple) or len(err) != 3:
            return
        exc = err[1]
        if isinstance(exc, BaseException):
            add_note(exc, text)
        if not NOTES_SHOWN:  # Python 3.10 prints no notes: show the text on stderr
            sys.stderr.write(text + "\n")


def _wrap(case: unittest.TestCase, result: Any) -> Any:
    if result is None:
        return None
    # Under pytest the plugin's report section shows the seed and the timeline.
    return _WatchingResult(result, case, annotate=_pytest_test(case) is None)


def _test_failed(case: Any) -> bool:
    """Whether setUp, the test or tearDown already failed (asked by the cleanups)."""
    if case.__dict__.get("_fixturekit_failed"):
        return True  # reported to the result as it happened (Python 3.11+)
    outcome = case.__dict__.get("_outcome")
    if getattr(outcome, "expectedFailure", None) is not None:
        return True
    # Python 3.10 holds the errors back until the cleanups ran.
    errors = getattr(outcome, "errors", None) or ()
    return any(exc_info is not None for _, exc_info in errors)


# Not hidden from tracebacks: under pytest this is the one frame between unittest's
# (which pytest hides) and the harness's (hidden), so a strict fake's failure shows it
# alone; with every frame hidden pytest would show them all.
def _stop(case: Any, harness: Harness) -> None:
    if _test_failed(case):
        harness.skip_exit_checks()  # the test's own failure is what to read
    harness.stop()


async def _astop(case: Any, harness: Harness) -> None:
    if _test_failed(case):
        harness.skip_exit_checks()
    await harness.__aexit__(None, None, None)


class _HarnessCase:
    """What both test case classes share: configuration, attributes, failure notes."""

    clock_start: ClassVar[TimeLike | None] = None
    clock_tick: ClassVar[bool] = False
    fakes: ClassVar[Sequence[type[Fake] | Callable[[], Fake]]] = ()
    database: ClassVar[Any] = None
    database_bind: ClassVar[Sequence[Any]] = ()

    harness: Harness
    clock: Clock
    timeline: Timeline
    fixturekit_seed: int
    db_sandbox: Any  # DatabaseSandbox (AsyncDatabaseSandbox on the async twin)
    db_session: Any  # its shared Session (AsyncSession)
    _fixturekit_failed: bool

    def run(self, result: unittest.TestResult | None = None) -> unittest.TestResult | None:
        self._fixturekit_failed = False
        outcome: unittest.TestResult | None = super().run(  # type: ignore[misc]
            _wrap(self, result)  # type: ignore[arg-type]
        )
        return outcome

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            raise _HarnessSetup.missing(self, name)


class HarnessTestCase(_HarnessCase, unittest.TestCase):
    """A `unittest.TestCase` with a running clock, harness and fakes per test.

    Configure it with class attributes:

    * ``clock_start``: where the clock starts (a `fixturekit.clock.TimeLike`);
      None (the default) means the real current time. The clock is frozen there.
    * ``clock_tick``: True lets time flow on from ``clock_start``.
    * ``fakes``: Fake classes (or zero-argument functions returning a fake) to create
      for each test; each one is reachable as ``self.<its name>``.
    * ``database``: a `fixturekit.TestDatabase` (started by the first test that needs
      it, shared by every class naming it, stopped when the process exits), or a
      zero-argument function returning one (a database per class, stopped after the
      class's tests). Each test then runs in a sandbox: ``self.db_sandbox``, and
      ``self.db_session``, its shared session.
    * ``database_bind``: the application's sessionmakers (or ``scoped_session``) to
      route into each test's sandbox, e.g. ``(SessionLocal,)``.

    Each test sees ``self.clock``, ``self.harness``, ``self.timeline`` and
    ``self.fixturekit_seed`` (the seed ``random`` and Faker got). Everything is set up
    in `setUp`, so a subclass that overrides ``setUp`` calls ``super().setUp()``
    first; the harness stops in a cleanup, after ``tearDown``, even when the test failed
    (its fakes then skip their exit checks, such as strict mode's, so that the test's
    own failure is what the report shows).
    A failure's traceback ends with the test seed, the run seed and the timeline; set
    ``FIXTUREKIT_SEED`` to the run seed to replay a run's data.
    """

    def setUp(self) -> None:
        super().setUp()
        harness = _HarnessSetup.prepare(self)
        harness.start()
        self.addCleanup(_stop, self, harness)
        _HarnessSetup.expose(self, harness)
        if type(self).database is not None:
            from fixturekit.db._testcase import open_sandbox

            open_sandbox(self)


class IsolatedAsyncioHarnessTestCase(_HarnessCase, unittest.IsolatedAsyncioTestCase):
    """The async twin of `HarnessTestCase`, on `unittest.IsolatedAsyncioTestCase`.

    Same class attributes and ``self`` attributes; ``self.db_sandbox`` is an
    `AsyncDatabaseSandbox`, ``self.db_session`` an ``AsyncSession`` and
    ``database_bind`` takes ``async_sessionmaker`` objects. The harness is entered with
    ``async with`` semantics in `asyncSetUp` (so a subclass that overrides it calls
    ``await super().asyncSetUp()`` first) and exited in an async cleanup. The clock
    leaves the monotonic clock alone, so ``asyncio.sleep`` and timeouts run in real time.
    """

    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        harness = _HarnessSetup.prepare(self)
        await harness.__aenter__()
        self.addAsyncCleanup(_astop, self, harness)
        _HarnessSetup.expose(self, harness)
        if type(self).database is not None:
            from fixturekit.db._testcase import open_async_sandbox

            await open_async_sandbox(self)
