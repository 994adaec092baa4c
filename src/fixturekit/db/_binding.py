"""Pointing sessions and sessionmakers at a sandbox, and offering its session to the
other blocks (factories) while it runs.

Sessions join the sandbox's outer transaction with savepoints
(``join_transaction_mode="create_savepoint"``), so their commits and rollbacks stay
inside it; a clone sandbox's sessions bind to the clone's engine and commit for real.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

__all__ = ["Getter", "check_options", "publish", "rebind", "restore", "unpublish"]

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


def rebind(maker: Any, bind: Any, *, join: bool = True) -> dict[str, Any]:
    """Point a (async_)sessionmaker at the sandbox; return its old configuration."""
    saved = dict(maker.kw)
    maker.kw["bind"] = bind
    if join:
        maker.kw["join_transaction_mode"] = "create_savepoint"
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
