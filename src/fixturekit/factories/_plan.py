"""What a factory class does per build, worked out once: a generator per field, the
traits and hooks, and how one call's overrides split into fields, nested overrides and
hook values."""

from __future__ import annotations

import copy
from typing import Any

from fixturekit._internal.checks import check_bool, check_count, unknown_keyword
from fixturekit.errors import FactoryError
from fixturekit.factories._adapters import model_info
from fixturekit.factories._build import OMIT, Build, FactoryClass, Gen, did_you_mean, names
from fixturekit.factories._declarations import Back, Declaration, PostBuild
from fixturekit.factories._models import ModelInfo

__all__ = ["FILL_OPTIONAL", "Plan"]

#: The keyword of every build call that fills optional fields (unless the model has a
#: field of that name).
FILL_OPTIONAL = "fill_optional"


def _declared_source(declaration: Declaration[Any], name: str) -> Gen:
    evaluate = declaration.evaluate
    return lambda b: evaluate(b, name)


def _constant_source(value: Any) -> Gen:
    if isinstance(value, (list, dict, set)):
        return lambda b: copy.copy(value)
    return lambda b: value


def _source(value: Any, name: str) -> Gen:
    if isinstance(value, Declaration):
        return _declared_source(value, name)
    return _constant_source(value)


def _nests(value: Any) -> bool:
    """True for a declaration whose value takes ``field__name=`` overrides (SubFactory)."""
    return isinstance(value, Declaration) and value.nests


def _omitted(b: Any) -> Any:
    return OMIT


def children(
    build: Build,
    name: str,
    factory: FactoryClass,
    size: int,
    overrides: dict[str, Any],
    back: tuple[str, ...],
) -> list[Any]:
    """``size`` objects from ``factory`` for the to-many field ``name`` of ``build``'s
    object, each with ``overrides`` (then the call's ``name__field=`` ones); the fields
    that point back at the parent are left for the relationship to fill."""
    mine: dict[str, Any] = dict.fromkeys(back, Back(build))
    mine.update(overrides)
    mine.update(build.nested_overrides(name))
    return [factory._build_nested(build, mine) for _ in range(size)]


class _Children(Declaration[list[Any]]):
    """``TeamFactory.create(heroes=3)``: that many objects from the registered factory
    of a to-many relationship's class."""

    __slots__ = ("back", "size", "target")

    nests = True

    def __init__(self, target: type, size: int, back: tuple[str, ...]) -> None:
        self.target = target
        self.size = size
        self.back = back

    def evaluate(self, build: Build, name: str) -> list[Any]:
        factory = build.factory_for(self.target)
        return children(build, name, factory, self.size, {}, self.back)


class Plan:
    """The compiled form of the factory ``owner`` (its qualified name) for ``model``."""

    def __init__(
        self,
        owner: str,
        model: type,
        declared: dict[str, Any],
        traits: dict[str, dict[str, Any]],
        hooks: dict[str, PostBuild],
    ) -> None:
        self.owner = owner
        self.declared = declared
        self.info: ModelInfo = model_info(model)
        fields = self.info.fields
        unknown = [name for name in declared if name not in fields]
        if unknown:
            options = [n for n in unknown if n in (FILL_OPTIONAL, "locale", "register")]
            if options:
                raise FactoryError(
                    f"{owner} declares {names(options)} as a field, and {model.__qualname__} "
                    f"has no such field; class options go in the class statement: "
                    f"class {owner}(fk.Factory[{model.__qualname__}], {options[0]}=...)"
                )
            raise FactoryError(
                f"{owner} declares {names(unknown)}, which "
                f"{model.__qualname__} has no field of{did_you_mean(unknown[0], fields)}; "
                f"its fields are: {', '.join(fields)}"
            )
        #: The field generators: optional fields get None (or their default) ...
        self.sources: dict[str, Gen] = {}
        #: ... unless optional fields are filled (``fill_optional=True``).
        self.filled: dict[str, Gen] = {}
        self.keys: list[tuple[str, str]] = []
        for name, spec in fields.items():
            if name in declared:
                source = _source(declared[name], name)
            elif spec.gen is not None:
                source = spec.gen
            else:
                source = _omitted
            self.filled[name] = source
            self.sources[name] = source if spec.empty is None or name in declared else spec.empty
            self.keys.append((name, spec.key))
        if self.filled == self.sources:
            self.filled = self.sources
        self.traits = traits
        self.hooks = hooks
        for name in list(self.traits) + list(self.hooks):
            if name in fields:
                kind = "trait" if name in self.traits else "post_build hook"
                raise FactoryError(
                    f"{owner}: the {kind} {name!r} has the name of a field of "
                    f"{model.__qualname__}; rename the {kind}"
                )
        self.to_many = self.info.to_many
        self.nestable = {
            name
            for name, spec in fields.items()
            if spec.nested is not None or _nests(declared.get(name)) or name in self.to_many
        }
        self.valid = list(fields) + list(self.traits) + list(self.hooks)
        if FILL_OPTIONAL not in fields:
            self.valid.append(FILL_OPTIONAL)

    def sources_with(self, overrides: dict[str, Any], fill: bool) -> dict[str, Gen]:
        """The field generators with ``overrides`` (values or declarations) in place;
        ``fill``: optional fields get values too."""
        base = self.filled if fill else self.sources
        if not overrides:
            return base
        sources = dict(base)
        for name, value in overrides.items():
            sources[name] = _source(value, name)
        return sources

    def split(
        self, overrides: dict[str, Any], what: str
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, Any]]:
        """Overrides -> (field values, nested overrides, hook values), traits applied.

        ``what`` names the call for errors (``UserFactory.build()``).
        """
        fields: dict[str, Any] = {}
        nested: dict[str, dict[str, Any]] = {}
        hooks: dict[str, Any] = {}
        traits: list[str] = []
        sources = self.sources
        for name, value in overrides.items():
            if name in sources:
                if name in self.to_many and isinstance(value, int):
                    value = self._children(name, value, what)
                fields[name] = value
            elif name in self.traits:
                if check_bool(value, f"{what}: trait {name!r} (switched on with {name}=True)"):
                    traits.append(name)
            elif name in self.hooks:
                hooks[name] = value
            elif "__" in name and name.split("__", 1)[0] in self.nestable:
                head, rest = name.split("__", 1)
                nested.setdefault(head, {})[rest] = value
            else:
                head = name.split("__", 1)[0]
                if "__" in name and head in sources:
                    raise TypeError(
                        f"{what}: {name}=... reaches into {head!r}, which does not hold a "
                        "model; only fields holding a model (or fk.SubFactory) take name__field"
                    )
                function = what[:-2] if what.endswith("()") else f"{self.owner}.build"
                valid = f"the fields of {self.info.model.__qualname__}"
                if self.traits or self.hooks:
                    valid += f" and the traits and hooks of {self.owner}"
                raise unknown_keyword(function, name, self.valid, what=valid)
        if self.to_many and nested:
            self._check_children(fields, nested, what)
        if traits:
            fields = self._apply(traits, fields, nested)
        return fields, nested, hooks

    def _check_children(
        self, fields: dict[str, Any], nested: dict[str, dict[str, Any]], what: str
    ) -> None:
        """``heroes__age=30`` needs children to reach: ``heroes=n`` or a declaration."""
        for name in nested:
            if name in self.to_many and name not in fields and not _nests(self.declared.get(name)):
                first = next(iter(nested[name]))
                raise TypeError(
                    f"{what}: {name}__{first}=... sets a field of the objects of {name!r}, "
                    f"and this call makes none; pass {name}=3 (how many) with it, or declare "
                    f"{name} = fk.RelatedList(...) on {self.owner}"
                )

    def _children(self, name: str, size: int, what: str) -> Declaration[Any]:
        """The declaration making ``size`` objects for the to-many field ``name``."""
        check_count(size, f"{what}: {name} (how many related objects to make)")
        resized = getattr(self.declared.get(name), "resized", None)
        if resized is not None:
            return resized(size)  # type: ignore[no-any-return]
        target, back = self.to_many[name]
        return _Children(target, size, back)

    def _apply(
        self, switched: list[str], fields: dict[str, Any], nested: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        """The traits' values (in declaration order), then ``fields`` over them."""
        applied: dict[str, Any] = {}
        seen: set[str] = set()
        sources = self.sources

        def apply(trait: str) -> None:
            if trait in seen:
                return
            seen.add(trait)
            for key, value in self.traits[trait].items():
                if key in self.traits and value is True:
                    apply(key)
                elif key in sources:
                    applied[key] = value
                elif "__" in key and key.split("__", 1)[0] in self.nestable:
                    head, rest = key.split("__", 1)
                    nested.setdefault(head, {}).setdefault(rest, value)
                else:
                    raise FactoryError(
                        f"{self.owner}: trait {trait!r} sets {key!r}, which is not "
                        f"a field{did_you_mean(key, self.valid)}"
                    )

        for name in (t for t in self.traits if t in switched):
            apply(name)
        applied.update(fields)
        return applied
