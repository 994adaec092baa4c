"""The database sandbox against what test suites do instead, side by side in one run.

Usage::

    python benchmarks/bench_db.py [--quick] [--postgres URL] [--mysql URL] [--json]

``--postgres``/``--mysql`` default to ``$FIXTUREKIT_TEST_POSTGRES_URL`` /
``$FIXTUREKIT_TEST_MYSQL_URL``; without them only SQLite (memory and file) runs.

One **test** is: set up isolation, run a body that inserts 5 rows spread over 3
tables of a 30-table schema through an ORM ``Session`` and commits once, tear down.
The strategies:

* ``sandbox``: ``with db.sandbox() as sb:`` body on ``sb.session()``.
* ``sandbox, shared``: the same on ``sb.shared_session`` (what ``db_session`` gives).
* ``bare recipe``: SQLAlchemy's "join a session into an external transaction" by hand:
  ``engine.connect()``, ``begin()``, ``Session(bind=conn,
  join_transaction_mode="create_savepoint")``, body, close, rollback, close. The floor.
* ``delete rows``: body on a plain ``Session(engine)``, then ``DELETE FROM`` every table
  (children first) and commit.
* ``create/drop``: ``metadata.create_all`` on an empty database, body, ``drop_all``.

Every strategy uses the test database's engine (on SQLite with fixturekit's begin hook,
which the bare recipe also needs to be correct). Repetitions are interleaved, the
order rotating; cells are the median (min-max) milliseconds per test over the
repetitions, and ratios are medians of per-repetition ratios. Then two scaling checks
for the sandbox (a 3-table schema; 20,000 rows already present), and, on PostgreSQL,
per-worker provisioning time with and without the template database.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, delete, insert
from sqlalchemy.orm import Session, registry

from fixturekit.db import TestDatabase

TABLES = 30
BODY_TABLES = 3
ROWS = 5


def make_schema(tables: int) -> tuple[MetaData, list[type]]:
    metadata = MetaData()
    mapper = registry(metadata=metadata)
    models: list[type] = []
    for n in range(tables):
        columns: list[Any] = [
            Column("id", Integer, primary_key=True),
            Column("name", String(50), nullable=False),
            Column("value", Integer, nullable=False, default=0),
        ]
        if n:
            columns.append(Column("parent_id", Integer, ForeignKey(f"t{n - 1}.id")))
        table = Table(f"t{n}", metadata, *columns)
        model = type(f"T{n}", (), {})
        mapper.map_imperatively(model, table)
        models.append(model)
    return metadata, models


def body(session: Session, models: list[type]) -> None:
    for i in range(ROWS):
        obj = models[i % BODY_TABLES]()
        obj.name = f"row{i}"  # type: ignore[attr-defined]
        obj.value = i  # type: ignore[attr-defined]
        session.add(obj)
    session.commit()


# --- the strategies -------------------------------------------------------------------


def sandbox_test(db: TestDatabase, models: list[type]) -> Callable[[], None]:
    def test() -> None:
        with db.sandbox() as sandbox:
            body(sandbox.session(), models)

    return test


def shared_test(db: TestDatabase, models: list[type]) -> Callable[[], None]:
    def test() -> None:
        with db.sandbox() as sandbox:
            body(sandbox.shared_session, models)

    return test


def sandbox_empty(db: TestDatabase) -> Callable[[], None]:
    def test() -> None:
        with db.sandbox() as sandbox:
            sandbox.session().close()

    return test


def bare_empty(db: TestDatabase) -> Callable[[], None]:
    engine = db.engine

    def test() -> None:
        conn = engine.connect()
        trans = conn.begin()
        Session(bind=conn, join_transaction_mode="create_savepoint").close()
        trans.rollback()
        conn.close()

    return test


def bare_test(db: TestDatabase, models: list[type]) -> Callable[[], None]:
    engine = db.engine

    def test() -> None:
        conn = engine.connect()
        trans = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint")
        body(session, models)
        session.close()
        trans.rollback()
        conn.close()

    return test


def delete_test(db: TestDatabase, models: list[type], metadata: MetaData) -> Callable[[], None]:
    engine = db.engine
    tables = list(reversed(metadata.sorted_tables))

    def test() -> None:
        with Session(engine) as session:
            body(session, models)
        with engine.begin() as conn:
            for table in tables:
                conn.execute(delete(table))

    return test


def create_drop_test(
    empty: TestDatabase, models: list[type], metadata: MetaData
) -> Callable[[], None]:
    engine = empty.engine

    def test() -> None:
        metadata.create_all(engine)
        with Session(engine) as session:
            body(session, models)
        metadata.drop_all(engine)

    return test


# --- measuring --------------------------------------------------------------------------


def per_test_ms(test: Callable[[], None], number: int) -> float:
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(number):
            test()
        return (time.perf_counter() - start) * 1000 / number
    finally:
        gc.enable()


def interleaved(
    cases: dict[str, tuple[Callable[[], None], int]], repeat: int
) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for name in names:  # warm-up
        cases[name][0]()
    for rep in range(repeat):
        order = names[rep % len(names) :] + names[: rep % len(names)]
        for name in order:
            test, number = cases[name]
            results[name].append(per_test_ms(test, number))
    return results


def cell(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"


def ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def backend_run(label: str, url: str, quick: bool, repeat: int) -> dict[str, Any]:
    metadata, models = make_schema(TABLES)
    small_metadata, small_models = make_schema(BODY_TABLES)
    fast = 30 if quick else 200
    slow = 2 if quick else 5
    if label == "sqlite file" or label.startswith(("postgresql", "mysql")):
        slow = 1 if quick else 3
    with (
        TestDatabase(url, schema=metadata, name="bench_db_test") as db,
        TestDatabase(url, schema=None, name="bench_empty_test") as empty,
        TestDatabase(url, schema=small_metadata, name="bench_small_test") as small,
    ):
        cases = {
            "sandbox": (sandbox_test(db, models), fast),
            "sandbox, shared": (shared_test(db, models), fast),
            "bare recipe": (bare_test(db, models), fast),
            "delete rows": (delete_test(db, models, metadata), max(fast // 5, 5)),
            "create/drop": (create_drop_test(empty, models, metadata), slow),
            "sandbox, 3 tables": (sandbox_test(small, small_models), fast),
            "sandbox, empty body": (sandbox_empty(db), fast * 3),
            "bare recipe, empty body": (bare_empty(db), fast * 3),
        }
        main = interleaved(cases, repeat)
        # Rows already present must not make the sandbox slower.
        with db.engine.begin() as conn:
            for table in metadata.sorted_tables[:BODY_TABLES]:
                conn.execute(
                    insert(table), [{"name": f"pre{i}", "value": i} for i in range(20_000)]
                )
        loaded = interleaved(
            {
                "sandbox, 20k rows present": (sandbox_test(db, models), fast),
                "bare recipe, 20k rows present": (bare_test(db, models), fast),
            },
            repeat,
        )
    return {**main, **loaded}


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
    if args.postgres:
        print("running provisioning...", file=sys.stderr)
        raw["provisioning"] = provisioning(args.postgres, 2 if args.quick else 3)
    if args.json:
        print(json.dumps(raw, indent=2))
        return 0

    print(
        f"### Per-test cost, ms: {TABLES}-table schema, body = {ROWS} rows in "
        f"{BODY_TABLES} tables + one commit ({repeat} repetitions)\n"
    )
    strategies = ["sandbox", "sandbox, shared", "bare recipe", "delete rows", "create/drop"]
    print("| backend | " + " | ".join(strategies) + " |")
    print("|---" * (len(strategies) + 1) + "|")
    for label in backends:
        print(f"| {label} | " + " | ".join(cell(raw[label][s]) for s in strategies) + " |")
    print("\n### Ratios (medians of per-repetition ratios)\n")
    print(
        "| backend | sandbox / bare recipe (target <= 1.2) | shared / bare | "
        "delete rows / sandbox (target >= 5) | create/drop / sandbox |"
    )
    print("|---|---|---|---|---|")
    for label in backends:
        r = raw[label]
        print(
            f"| {label} | {ratio(r['sandbox'], r['bare recipe']):.2f}x | "
            f"{ratio(r['sandbox, shared'], r['bare recipe']):.2f}x | "
            f"{ratio(r['delete rows'], r['sandbox']):.1f}x | "
            f"{ratio(r['create/drop'], r['sandbox']):.0f}x |"
        )
    print("\n### Isolation alone, ms: enter + a session opened and closed + exit, no body\n")
    print("| backend | sandbox | bare recipe | sandbox / bare |")
    print("|---|---|---|---|")
    for label in backends:
        r = raw[label]
        print(
            f"| {label} | {cell(r['sandbox, empty body'])} | "
            f"{cell(r['bare recipe, empty body'])} | "
            f"{ratio(r['sandbox, empty body'], r['bare recipe, empty body']):.2f}x |"
        )
    print("\n### Scaling: the sandbox's cost with fewer tables, and with rows present\n")
    print(
        "| backend | sandbox, 30 tables | sandbox, 3 tables | 3 / 30 | "
        "sandbox, 20k rows present | bare, 20k rows present | sandbox / bare |"
    )
    print("|---|---|---|---|---|---|---|")
    for label in backends:
        r = raw[label]
        print(
            f"| {label} | {cell(r['sandbox'])} | {cell(r['sandbox, 3 tables'])} | "
            f"{ratio(r['sandbox, 3 tables'], r['sandbox']):.2f}x | "
            f"{cell(r['sandbox, 20k rows present'])} | "
            f"{cell(r['bare recipe, 20k rows present'])} | "
            f"{ratio(r['sandbox, 20k rows present'], r['bare recipe, 20k rows present']):.2f}x |"
        )
    if "provisioning" in raw:
        p = raw["provisioning"]
        print(f"\n### PostgreSQL per-worker provisioning, seconds ({TABLES} tables)\n")
        print(
            "| build the schema (no xdist) | first worker: build template + clone | "
            "next worker: clone only |"
        )
        print("|---|---|---|")
        print(
            " | ".join(
                f"{statistics.median(p[k]):.3f} ({min(p[k]):.3f}-{max(p[k]):.3f})"
                for k in ("build schema", "first worker", "next worker")
            ).join(("| ", " |"))
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
