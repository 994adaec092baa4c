"""The database sandbox against what test suites do instead, side by side in one run.

Usage::

    python benchmarks/bench_db.py [--quick] [--postgres URL] [--mysql URL] [--json]

``--postgres``/``--mysql`` default to ``$FIXTUREKIT_TEST_POSTGRES_URL`` /
``$FIXTUREKIT_TEST_MYSQL_URL``; without them only SQLite (memory and file) runs.

The schema and the test body are the baseline's (``prior-art/baselines.md`` section 2):
30 tables of 8 columns (24 foreign keys to the previous table, 69 indexes); the body
inserts 5 rows into each of 3 FK-linked tables with three flushes, commits once, and
selects each table back asserting exactly 5 rows (so it doubles as an isolation check).

Each test is timed in three phases with ``perf_counter``, as in the baseline:

* **setup**: isolation begins and the test's ``Session`` is made;
* **body**: the body above;
* **teardown**: the session is closed and isolation ends.

**overhead** = setup + teardown (what the isolation costs a test; the issue's targets
are about this), **total** = setup + body + teardown. The patterns:

* ``sandbox``: ``db.sandbox()`` entered, body on ``sandbox.session()``, exit.
* ``sandbox, shared``: the same on ``sandbox.shared_session`` (what ``db_session`` gives).
* ``sandbox, no detector``: ``db.sandbox(detect_escapes=False)``.
* ``bare recipe``: SQLAlchemy's "join a session into an external transaction" by hand:
  ``engine.connect()``, ``begin()``, ``Session(bind=conn,
  join_transaction_mode="create_savepoint")``; close, rollback, close. The floor.
* ``delete rows``: body on a plain ``Session(engine)``, then ``DELETE FROM`` every table
  (children first) and commit.
* ``create/drop``: ``metadata.create_all`` on an empty database, body, ``drop_all``.
* ``clone``: ``db.sandbox(isolation="clone")``: a database per test from the template.
* ``nested``: ``sandbox`` inside a sandbox left open for the whole run (a module-scoped
  one), on a TestDatabase of its own, against ``sandbox`` in a run of their own.
* ``bind(engine)``: the body on ``Session(app_engine)`` with the engine bound, against
  ``bound sessionmaker``: the body on ``SessionLocal()`` with the sessionmaker bound.

Every pattern uses the test database's engine (on SQLite with fixturekit's begin hook,
which the bare recipe also needs to be correct). The patterns are interleaved test by
test, in a random order every round (see `interleaved`); a cell is the median over all timed
tests of that pattern, with the range of the per-repetition medians in parentheses; a
ratio is the median over repetitions of the ratio of the two patterns' medians in that
repetition.

Then: isolation alone (no body at all: enter, a session opened and closed, exit), the
scaling checks (a 3-table schema; 20,000 rows already present), the escape detector's
cost per statement while no sandbox is open (its listener never installed, removed
after use, installed and idle, alternating in one process), and on PostgreSQL
per-worker provisioning with and without the template database.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    create_engine,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, registry, sessionmaker
from sqlalchemy.pool import NullPool

from fixturekit.db import TestDatabase

TABLES = 30
FOREIGN_KEYS = 24
BODY_TABLES = 3
ROWS = 5
NOW = datetime.datetime(2026, 1, 1, 12, 0)


def make_schema(tables: int) -> tuple[MetaData, list[type]]:
    """The baseline's schema: 8 columns a table, FKs to the previous table, indexes."""
    metadata = MetaData()
    mapper = registry(metadata=metadata)
    models: list[type] = []
    for n in range(tables):
        columns: list[Any] = [
            Column("id", Integer, primary_key=True),
            Column("name", String(100), nullable=False, index=True),
            Column("email", String(200)),
            Column("amount", Numeric(12, 2)),
            Column("created_at", DateTime),
            Column("is_active", Boolean, nullable=False, default=True),
            Column("note", Text),
        ]
        if 0 < n <= FOREIGN_KEYS:
            columns.append(Column("parent_id", Integer, ForeignKey(f"t{n - 1:02d}.id"), index=True))
        else:
            columns.append(Column("code", String(20)))
        table = Table(f"t{n:02d}", metadata, *columns)
        if n % 2 == 0:
            Index(f"ix_t{n:02d}_active_created", table.c.is_active, table.c.created_at)
        model = type(f"T{n:02d}", (), {})
        mapper.map_imperatively(model, table)
        models.append(model)
    return metadata, models


def body(session: Session, models: list[type]) -> None:
    """5 rows into each of 3 FK-linked tables, three flushes, one commit, read back
    (counting this body's rows by name, so rows present beforehand do not count)."""
    parents: list[Any] = []
    for model in models[:BODY_TABLES]:
        rows = []
        for i in range(ROWS):
            row: Any = model()
            row.name = f"{model.__name__.lower()}-{i}"
            row.email = f"user{i}@example.com"
            row.amount = Decimal("9.99")
            row.created_at = NOW
            row.is_active = True
            row.note = "note"
            if parents:
                row.parent_id = parents[i].id
            session.add(row)
            rows.append(row)
        session.flush()
        parents = rows
    session.commit()
    for model in models[:BODY_TABLES]:
        names = [f"{model.__name__.lower()}-{i}" for i in range(ROWS)]
        column: Any = model.name  # type: ignore[attr-defined]
        found = session.scalar(select(func.count()).select_from(model).where(column.in_(names)))
        assert found == ROWS, f"{model.__name__}: {found} rows, expected {ROWS}: isolation broke"


# --- the patterns: (setup, teardown) around the body ----------------------------------

Setup = Callable[[], tuple[Session, Any]]
Teardown = Callable[[Session, Any], None]
Pattern = tuple[Setup, Teardown]


def sandbox_pattern(db: TestDatabase, *, shared: bool = False, **options: Any) -> Pattern:
    def setup() -> tuple[Session, Any]:
        sandbox = db.sandbox(**options)
        sandbox.__enter__()
        return (sandbox.shared_session if shared else sandbox.session()), sandbox

    def teardown(session: Session, sandbox: Any) -> None:
        if not shared:
            session.close()
        sandbox.__exit__(None, None, None)

    return setup, teardown


def bound_pattern(db: TestDatabase, target: Any, make: Callable[[], Session]) -> Pattern:
    """A sandbox with ``target`` (an engine or a sessionmaker) bound; the body on
    ``make()``, as the application's code opens its session."""

    def setup() -> tuple[Session, Any]:
        sandbox = db.sandbox()
        sandbox.__enter__()
        sandbox.bind(target)
        return make(), sandbox

    def teardown(session: Session, sandbox: Any) -> None:
        session.close()
        sandbox.__exit__(None, None, None)

    return setup, teardown


def bare_pattern(db: TestDatabase) -> Pattern:
    engine = db.engine

    def setup() -> tuple[Session, Any]:
        conn = engine.connect()
        trans = conn.begin()
        return Session(bind=conn, join_transaction_mode="create_savepoint"), (conn, trans)

    def teardown(session: Session, state: Any) -> None:
        conn, trans = state
        session.close()
        trans.rollback()
        conn.close()

    return setup, teardown


def delete_pattern(db: TestDatabase, metadata: MetaData) -> Pattern:
    engine = db.engine
    tables = list(reversed(metadata.sorted_tables))

    def setup() -> tuple[Session, Any]:
        return Session(engine), None

    def teardown(session: Session, state: Any) -> None:
        session.close()
        with engine.begin() as conn:
            for table in tables:
                conn.execute(delete(table))

    return setup, teardown


def create_drop_pattern(empty: TestDatabase, metadata: MetaData) -> Pattern:
    engine = empty.engine

    def setup() -> tuple[Session, Any]:
        metadata.create_all(engine)
        return Session(engine), None

    def teardown(session: Session, state: Any) -> None:
        session.close()
        metadata.drop_all(engine)

    return setup, teardown


# --- measuring --------------------------------------------------------------------------

#: One timed test: (setup, body, teardown) seconds.
Phases = tuple[float, float, float]


def run_test(pattern: Pattern, models: list[type] | None) -> Phases:
    """One timed test; ``models=None``: no body at all."""
    setup, teardown = pattern
    clock = time.perf_counter
    t0 = clock()
    session, state = setup()
    t1 = clock()
    if models is not None:
        body(session, models)
    t2 = clock()
    teardown(session, state)
    t3 = clock()
    return (t1 - t0, t2 - t1, t3 - t2)


Case = tuple[Pattern, list[type] | None, int]


def interleaved(cases: dict[str, Case], repeat: int) -> dict[str, list[list[Phases]]]:
    """Per case, per repetition, the timed tests.

    Interleaved test by test, so that load changes on the machine hit every pattern
    alike: a repetition is rounds of one test per pattern, in a new random order every
    round (a fixed or rotating order would always run a pattern right after the same
    other one, and a test is slower after a heavy one); a pattern with fewer tests than
    rounds (the slow ones) takes part in every n-th round only. The garbage collector
    runs between rounds, not inside tests.
    """
    shuffle = random.Random(20260101).shuffle
    results: dict[str, list[list[Phases]]] = {name: [] for name in cases}
    names = list(cases)
    rounds = max(number for _, _, number in cases.values())
    stride = {name: max(rounds // cases[name][2], 1) for name in names}
    for name in names:  # warm-up
        run_test(*cases[name][:2])
    for _ in range(repeat):
        timed: dict[str, list[Phases]] = {name: [] for name in names}
        for round_ in range(rounds):
            order = names[:]
            shuffle(order)
            gc.collect()
            gc.disable()
            try:
                for name in order:
                    if round_ % stride[name] == 0 and len(timed[name]) < cases[name][2]:
                        timed[name].append(run_test(*cases[name][:2]))
            finally:
                gc.enable()
        for name in names:
            results[name].append(timed[name])
    return results


def overhead_ms(test: Phases) -> float:
    return (test[0] + test[2]) * 1000


def total_ms(test: Phases) -> float:
    return sum(test) * 1000


def body_ms(test: Phases) -> float:
    return test[1] * 1000


Measure = Callable[[Phases], float]


def rep_medians(reps: list[list[Phases]], measure: Measure) -> list[float]:
    return [statistics.median(measure(test) for test in rep) for rep in reps]


def cell(reps: list[list[Phases]], measure: Measure) -> str:
    pooled = statistics.median(measure(test) for rep in reps for test in rep)
    per_rep = rep_medians(reps, measure)
    if pooled >= 100:
        return f"{pooled:.0f} ({min(per_rep):.0f}-{max(per_rep):.0f})"
    return f"{pooled:.3f} ({min(per_rep):.3f}-{max(per_rep):.3f})"


def ratio(a: list[list[Phases]], b: list[list[Phases]], measure: Measure) -> float:
    """Median over repetitions of a's median / b's median in that repetition."""
    return statistics.median(
        x / y for x, y in zip(rep_medians(a, measure), rep_medians(b, measure), strict=True)
    )


def shown(value: float) -> str:
    return f"{value:.0f}x" if value >= 100 else f"{value:.2f}x" if value < 10 else f"{value:.1f}x"


def backend_run(label: str, url: str, quick: bool, repeat: int) -> dict[str, Any]:
    metadata, models = make_schema(TABLES)
    small_metadata, small_models = make_schema(BODY_TABLES)
    fast = 60 if quick else 200
    slow = 2 if quick else 5
    if label == "sqlite file" or label.startswith(("postgresql", "mysql")):
        slow = 1 if quick else 3
    clonable = not label.startswith("mysql")
    with (
        TestDatabase(url, schema=metadata, name="bench_db_test") as db,
        TestDatabase(url, schema=None, name="bench_empty_test") as empty,
        TestDatabase(url, schema=small_metadata, name="bench_small_test") as small,
    ):
        cases: dict[str, Case] = {
            "sandbox": (sandbox_pattern(db), models, fast),
            "sandbox, shared": (sandbox_pattern(db, shared=True), models, fast),
            "sandbox, no detector": (sandbox_pattern(db, detect_escapes=False), models, fast),
            "bare recipe": (bare_pattern(db), models, fast),
            "delete rows": (delete_pattern(db, metadata), models, max(fast // 4, 5)),
            "create/drop": (create_drop_pattern(empty, metadata), models, slow),
            "sandbox, 3 tables": (sandbox_pattern(small), small_models, fast),
        }
        if clonable:
            cases["clone"] = (sandbox_pattern(db, isolation="clone"), models, slow)
        main = interleaved(cases, repeat)
        alone = interleaved(
            {
                "sandbox, no body": (sandbox_pattern(db), None, fast * 3),
                "bare recipe, no body": (bare_pattern(db), None, fast * 3),
            },
            repeat,
        )
        # Rows already present must not make the sandbox slower.
        with db.engine.begin() as conn:
            for table in metadata.sorted_tables[:BODY_TABLES]:
                conn.execute(
                    insert(table), [{"name": f"pre{i}", "is_active": True} for i in range(20_000)]
                )
        loaded = interleaved(
            {
                "sandbox, 20k rows present": (sandbox_pattern(db), models, fast),
                "bare recipe, 20k rows present": (bare_pattern(db), models, fast),
            },
            repeat,
        )
        # Issue 11: a sandbox nested in a module's, bind(engine) against a sessionmaker.
        app_engine = create_engine(db.url, poolclass=NullPool)
        maker = sessionmaker()
        with TestDatabase(url, schema=metadata, name="bench_nested_test") as nested_db:
            outer = nested_db.sandbox().start()
            try:
                issue11 = interleaved(
                    {
                        "plain sandbox": (sandbox_pattern(db), models, fast),
                        "nested sandbox": (sandbox_pattern(nested_db), models, fast),
                        "bind(engine)": (
                            bound_pattern(db, app_engine, lambda: Session(app_engine)),
                            models,
                            fast,
                        ),
                        "bound sessionmaker": (bound_pattern(db, maker, maker), models, fast),
                    },
                    repeat,
                )
            finally:
                outer.stop()
        app_engine.dispose()
    return {**main, **alone, **loaded, **issue11}


# --- the escape detector's listener while no sandbox is open ----------------------------

_PROBE_STATEMENTS = 2000


def _uninstall_detector(*, flag: bool) -> None:
    """Remove the detector's listener. ``flag=False`` also resets the class-wide events
    flag that listening on `Engine` sets (and removing does not): "never installed"."""
    from sqlalchemy import event

    from fixturekit.db import _escapes

    if _escapes.is_installed():
        event.remove(Engine, "before_cursor_execute", _escapes._before_cursor_execute)
    _escapes._listening = False
    Engine._has_events = flag


#: The states compared: before any sandbox; listener removed after the last sandbox
#: (what fixturekit did before installing it once); installed for good, idle.
IDLE_STATES = ("never installed", "removed after use", "installed, idle")


def idle_listener(url: str, rounds: int) -> dict[str, list[float]]:
    """Microseconds per statement on an engine of the application's while no sandbox is
    open, in each of `IDLE_STATES`, alternating in one process (best of 3 x 2000
    statements a round)."""
    from fixturekit.db import _escapes

    metadata, _ = make_schema(1)
    results: dict[str, list[float]] = {state: [] for state in IDLE_STATES}
    with TestDatabase(url, schema=metadata, name="bench_probe_test") as db:
        engine: Engine = create_engine(
            db.url.render_as_string(hide_password=False), poolclass=NullPool
        )
        table = metadata.tables["t00"]
        statement = select(table.c.id).where(table.c.id == 1)
        try:
            with engine.connect() as conn:
                for _ in range(rounds):
                    for state in IDLE_STATES:
                        if state == "installed, idle":
                            with db.sandbox():
                                pass  # the first sandbox installs the listener for good
                            assert _escapes.is_installed()
                            assert not _escapes.is_watching()
                        else:
                            _uninstall_detector(flag=state == "removed after use")
                        best = float("inf")
                        for _ in range(3):
                            gc.disable()
                            start = time.perf_counter()
                            for _ in range(_PROBE_STATEMENTS):
                                conn.execute(statement)
                            best = min(best, time.perf_counter() - start)
                            gc.enable()
                        results[state].append(best * 1e6 / _PROBE_STATEMENTS)
                conn.rollback()
        finally:
            engine.dispose()
    return results


# --- provisioning ---------------------------------------------------------------------


def provisioning(url: str, repeat: int) -> dict[str, list[float]]:
    """Seconds to start a worker's database: building the schema vs cloning the template."""
    metadata, _ = make_schema(TABLES)
    results: dict[str, list[float]] = {"build schema": [], "first worker": [], "next worker": []}
    saved = os.environ.get("PYTEST_XDIST_WORKER")
    try:
        for rep in range(repeat):
            os.environ.pop("PYTEST_XDIST_WORKER", None)
            db = TestDatabase(url, schema=metadata, name=f"bench_prov{rep}_test")
            start = time.perf_counter()
            db.start()
            results["build schema"].append(time.perf_counter() - start)
            db.stop()
            workers = []
            for n, key in enumerate(("first worker", "next worker", "next worker")):
                os.environ["PYTEST_XDIST_WORKER"] = f"gw{n}"
                db = TestDatabase(url, schema=metadata, name=f"bench_prov{rep}_test")
                start = time.perf_counter()
                db.start()
                results[key].append(time.perf_counter() - start)
                workers.append(db)
            for db in workers:
                db.stop()
    finally:
        if saved is None:
            os.environ.pop("PYTEST_XDIST_WORKER", None)
        else:
            os.environ["PYTEST_XDIST_WORKER"] = saved
    return results


# --- report ---------------------------------------------------------------------------


def table(header: list[str], rows: list[list[str]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|---" * len(header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


def report(raw: dict[str, Any], backends: list[str], repeat: int) -> None:
    patterns = [
        "sandbox",
        "sandbox, shared",
        "sandbox, no detector",
        "bare recipe",
        "delete rows",
        "create/drop",
        "clone",
    ]

    def cells(label: str, measure: Measure) -> list[str]:
        r = raw[label]
        return [label] + [cell(r[p], measure) if p in r else "-" for p in patterns]

    print(
        f"### Per-test overhead (setup + teardown), ms: {TABLES}-table schema, body = "
        f"{ROWS} rows in each of {BODY_TABLES} tables + one commit + read back "
        f"({repeat} interleaved repetitions)\n"
    )
    table(["backend", *patterns], [cells(label, overhead_ms) for label in backends])

    print("### The issue's targets, on overhead (medians of per-repetition ratios)\n")
    rows = []
    for label in backends:
        r = raw[label]
        rows.append(
            [
                label,
                shown(ratio(r["sandbox"], r["bare recipe"], overhead_ms)),
                shown(ratio(r["sandbox, shared"], r["bare recipe"], overhead_ms)),
                shown(ratio(r["delete rows"], r["sandbox"], overhead_ms)),
                shown(ratio(r["create/drop"], r["sandbox"], overhead_ms)),
                shown(ratio(r["sandbox"], r["sandbox, no detector"], overhead_ms)),
                shown(ratio(r["clone"], r["sandbox"], overhead_ms)) if "clone" in r else "-",
            ]
        )
    table(
        [
            "backend",
            "sandbox / recipe (target <= 1.2)",
            "shared / recipe",
            "delete rows / sandbox (target >= 5)",
            "create/drop / sandbox (target: hundreds)",
            "detector on / off",
            "clone / sandbox",
        ],
        rows,
    )

    print("### Per-test total (setup + body + teardown), ms\n")
    table(["backend", *patterns], [cells(label, total_ms) for label in backends])
    print("### Ratios on totals\n")
    rows = []
    for label in backends:
        r = raw[label]
        rows.append(
            [
                label,
                shown(ratio(r["sandbox"], r["bare recipe"], total_ms)),
                shown(ratio(r["delete rows"], r["sandbox"], total_ms)),
                shown(ratio(r["create/drop"], r["sandbox"], total_ms)),
                cell(r["sandbox"], body_ms),
                cell(r["bare recipe"], body_ms),
            ]
        )
    table(
        [
            "backend",
            "sandbox / recipe",
            "delete rows / sandbox",
            "create/drop / sandbox",
            "body ms, sandbox",
            "body ms, recipe",
        ],
        rows,
    )

    print(
        "### Isolation alone, ms: enter + a session opened and closed + exit, no body "
        "(no statement reaches the database: the Python work of each side)\n"
    )
    rows = []
    for label in backends:
        r = raw[label]
        rows.append(
            [
                label,
                cell(r["sandbox, no body"], total_ms),
                cell(r["bare recipe, no body"], total_ms),
                shown(ratio(r["sandbox, no body"], r["bare recipe, no body"], total_ms)),
            ]
        )
    table(["backend", "sandbox", "bare recipe", "sandbox / recipe"], rows)

    print("### Scaling: the sandbox's overhead with fewer tables, and with rows present\n")
    rows = []
    for label in backends:
        r = raw[label]
        rows.append(
            [
                label,
                cell(r["sandbox"], overhead_ms),
                cell(r["sandbox, 3 tables"], overhead_ms),
                shown(ratio(r["sandbox, 3 tables"], r["sandbox"], overhead_ms)),
                cell(r["sandbox, 20k rows present"], overhead_ms),
                cell(r["bare recipe, 20k rows present"], overhead_ms),
                shown(
                    ratio(
                        r["sandbox, 20k rows present"],
                        r["bare recipe, 20k rows present"],
                        overhead_ms,
                    )
                ),
                shown(ratio(r["sandbox, 20k rows present"], r["sandbox"], overhead_ms)),
            ]
        )
    table(
        [
            "backend",
            "30 tables",
            "3 tables",
            "3 / 30",
            "20k rows present",
            "recipe, 20k rows present",
            "sandbox / recipe, rows present",
            "rows present / none",
        ],
        rows,
    )

    print("### Issue 11: nesting and bind(engine), overhead and total, ms\n")
    rows = []
    for label in backends:
        r = raw[label]
        rows.append(
            [
                label,
                cell(r["plain sandbox"], overhead_ms),
                cell(r["nested sandbox"], overhead_ms),
                shown(ratio(r["nested sandbox"], r["plain sandbox"], total_ms)),
                cell(r["bound sessionmaker"], total_ms),
                cell(r["bind(engine)"], total_ms),
                shown(ratio(r["bind(engine)"], r["bound sessionmaker"], total_ms)),
            ]
        )
    table(
        [
            "backend",
            "plain, overhead",
            "nested, overhead",
            "nested / plain, total (target <= 1.1)",
            "sessionmaker, total",
            "bind(engine), total",
            "engine / sessionmaker, total (target <= 1.1)",
        ],
        rows,
    )

    if "idle listener" in raw:
        print(
            "### The escape detector with no sandbox open: microseconds per statement "
            "(SELECT by primary key on an engine of the application's; the states "
            "alternate in one process; medians over rounds; differences against "
            "'never installed', paired per round)\n"
        )
        rows = []
        for label, results in raw["idle listener"].items():
            never = results["never installed"]
            row = [label, f"{statistics.median(never):.2f}"]
            for state in IDLE_STATES[1:]:
                differences = [b - a for a, b in zip(never, results[state], strict=True)]
                row.append(
                    f"{statistics.median(results[state]):.2f} "
                    f"({statistics.median(differences):+.2f})"
                )
            rows.append(row)
        table(["backend", *IDLE_STATES], rows)

    if "provisioning" in raw:
        p = raw["provisioning"]
        print(f"### PostgreSQL per-worker provisioning, seconds ({TABLES} tables)\n")
        table(
            [
                "build the schema (no xdist)",
                "first worker: build template + clone",
                "next worker: clone only",
            ],
            [
                [
                    f"{statistics.median(p[k]):.3f} ({min(p[k]):.3f}-{max(p[k]):.3f})"
                    for k in ("build schema", "first worker", "next worker")
                ]
            ],
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 repetitions, fewer tests")
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--postgres", default=os.environ.get("FIXTUREKIT_TEST_POSTGRES_URL", ""))
    parser.add_argument("--mysql", default=os.environ.get("FIXTUREKIT_TEST_MYSQL_URL", ""))
    parser.add_argument("--json", action="store_true", help="print raw numbers as JSON")
    args = parser.parse_args(argv)
    repeat = args.repeat or (3 if args.quick else 7)
    backends = {"sqlite memory": "sqlite://", "sqlite file": "sqlite:///bench.db"}
    if args.postgres:
        backends["postgresql"] = args.postgres
    if args.mysql:
        backends["mysql"] = args.mysql
    os.environ.pop("PYTEST_XDIST_WORKER", None)
    raw: dict[str, Any] = {}
    for label, url in backends.items():
        print(f"running {label}...", file=sys.stderr)
        raw[label] = backend_run(label, url, args.quick, repeat)
    print("running the idle-listener probe...", file=sys.stderr)
    raw["idle listener"] = {
        label: idle_listener(url, 5 if args.quick else 15)
        for label, url in backends.items()
        if label != "sqlite file"
    }
    if args.postgres:
        print("running provisioning...", file=sys.stderr)
        raw["provisioning"] = provisioning(args.postgres, 2 if args.quick else 3)
    if args.json:
        print(json.dumps(raw, indent=2))
        return 0
    report(raw, list(backends), repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
