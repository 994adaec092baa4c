"""Pointing sessionmakers at a sandbox, recognising what ``bind()`` is given, and
offering the sandbox's session to the other blocks (factories) while it runs.

Sessions bind to an engine whose connections join the sandbox's transaction (see
``_joined``), so their commits and rollbacks stay inside it; a clone sandbox's
sessions bind to the clone's engine and commit for real.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

__all__ = [
    "Getter",
    "check_options",
    "flask_engines",
    "flask_sqlalchemy_db",
    "publish",
    "rebind",
    "restore",
    "unpublish",
]

#: Session options the sandbox sets itself.
_SANDBOX_OPTIONS = ("bind", "binds", "join_transaction_mode")


def check_options(kw: dict[str, Any], what: str) -> None:
    if not kw:
        return
    clash = sorted(set(kw) & set(_SANDBOX_OPTIONS))
    if clash:
        raise TypeError(
            f"{what} sets {', '.join(clash)} itself (sessions join the sandbox's "
            f"connection); leave {' and '.join(clash)} out"
        )


def rebind(maker: Any, bind: Any) -> dict[str, Any]:
    """Point a (async_)sessionmaker at the sandbox; return its old configuration."""
    saved = dict(maker.kw)
    maker.kw["bind"] = bind
    if maker.kw.get("binds"):
        maker.kw["binds"] = dict.fromkeys(maker.kw["binds"], bind)
    return saved


def restore(maker: Any, saved: dict[str, Any]) -> None:
    maker.kw.clear()
    maker.kw.update(saved)


Getter = Callable[[], Any]


def publish(var: ContextVar[Getter | None], getter: Getter) -> Token[Getter | None]:
    """Offer ``getter`` to other blocks (factories) through ``var`` while the sandbox runs."""
    return var.set(getter)


def unpublish(
    var: ContextVar[Getter | None], token: Token[Getter | None] | None, getter: Getter
) -> None:
    if token is None or var.get() is not getter:
        return  # never published here, or a sandbox opened later still runs: leave it
    try:
        var.reset(token)
    except ValueError:
        # Stopped in another context than the one it started in (a runner that tears a
        # fixture down in a copied context): withdraw it from this one.
        var.set(None if token.old_value is Token.MISSING else token.old_value)


# --- what bind() takes ---------------------------------------------------------------


def flask_sqlalchemy_db(target: Any) -> Any | None:
    """The Flask-SQLAlchemy extension ``target`` is (``db``) or belongs to
    (``db.session``, its sessionmaker), else None."""
    candidates = [target, getattr(target, "session_factory", None)]
    for candidate in candidates:
        if candidate is None:
            continue
        if type(candidate).__module__.startswith("flask_sqlalchemy") and hasattr(
            candidate, "_app_engines"
        ):
            return candidate
        kw = getattr(candidate, "kw", None)
        db = kw.get("db") if isinstance(kw, dict) else None
        if db is not None and hasattr(db, "_app_engines"):
            return db
    return None


def flask_engines(db: Any, ours: Any) -> list[Any]:
    """The engines of every app ``db`` was initialised on (``db.engines``, binds
    included) on the test database's backend (``ours``'s: sqlite, postgresql...).

    Those are routed into the sandbox, whatever database their URL names (the
    tutorial's ``sqlite://`` test configuration included). Engines of other backends,
    such as an earlier test's app on another server still alive in the process, are
    left alone.
    """
    return [
        engine
        for per_app in list(db._app_engines.values())
        for engine in per_app.values()
        if same_backend(engine, ours)
    ]


def same_backend(engine: Any, ours: Any) -> bool:
    """Whether ``engine`` talks to the same kind of server as ``ours`` (the driver may
    differ: `bind` then says which driver to use)."""
    return bool(engine.url.get_backend_name() == ours.url.get_backend_name())
