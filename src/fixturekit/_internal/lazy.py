"""Public names imported on first use (PEP 562), for packages that must import cheaply.

``import fixturekit`` and ``fixturekit.http`` (whose network guard the pytest plugin
loads for every run) list their public names here instead of importing the modules
that define them, so that nothing heavy loads until a name is used.
"""

from __future__ import annotations

# Not ``typing.TYPE_CHECKING``: importing typing would triple ``import fixturekit``'s cost.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any

__all__ = ["lazy_names"]


def lazy_names(
    package: str, where: Mapping[str, str], namespace: dict[str, Any], public: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module's ``__getattr__`` and ``__dir__`` importing ``where[name]`` on first use.

    ``namespace`` is the module's ``globals()``: a name, once imported, is stored there
    and never looked up again.
    """
    listed = frozenset(public)

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        from importlib import import_module

        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | listed)

    return __getattr__, __dir__
