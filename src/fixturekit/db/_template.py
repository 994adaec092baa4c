"""PostgreSQL template databases: the schema built once, cloned per xdist worker.

Workers of one run share ``<name>_template`` (e.g. ``app_test_template``). A file lock
serialises building it and cloning it, since ``CREATE DATABASE ... TEMPLATE`` fails
while anyone is connected to the template. A small file next to the lock lists the
processes using the template; the last one to stop drops it (unless ``keep=True``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["file_lock", "users_file"]


def _lock_dir() -> Path:
    directory = Path(tempfile.gettempdir()) / "fixturekit-locks"
    directory.mkdir(exist_ok=True)
    return directory


def lock_path(key: str) -> Path:
    """The lock file for ``key`` (e.g. a template database's URL)."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return _lock_dir() / f"{digest}.lock"


def users_file(key: str) -> Path:
    return lock_path(key).with_suffix(".users")


@contextlib.contextmanager
def file_lock(key: str) -> Iterator[None]:
    """An exclusive lock between the processes of this machine, held for the block."""
    path = lock_path(key)
    with open(path, "a+b") as handle:
        _lock(handle)
        try:
            yield
        finally:
            _unlock(handle)


try:
    import fcntl

    def _lock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

except ImportError:  # pragma: no cover - Windows
    import msvcrt

    def _lock(handle: IO[bytes]) -> None:
        handle.seek(0)
        while True:
            try:
                msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined]
                return
            except OSError:  # LK_LOCK gives up after 10 s: keep waiting
                continue

    def _unlock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    except OSError:  # pragma: no cover - Windows without the process
        return False
    return True


def _read(path: Path) -> set[int]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return set()
    return {int(part) for part in text.split() if part.isdigit()}


def _write(path: Path, pids: set[int]) -> None:
    path.write_text("".join(f"{pid}\n" for pid in sorted(pids)))


def add_user(key: str) -> None:
    """Record that this process uses the template (call with the lock held)."""
    path = users_file(key)
    pids = {pid for pid in _read(path) if _alive(pid)}
    pids.add(os.getpid())
    _write(path, pids)


def remove_user(key: str) -> bool:
    """Forget this process; True if no live process uses the template any more."""
    path = users_file(key)
    pids = {pid for pid in _read(path) if _alive(pid) and pid != os.getpid()}
    if pids:
        _write(path, pids)
        return False
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    return True
