"""`Factory[T]`: build, create and serialise model instances, one declaration for all three."""

from __future__ import annotations

import copy
import difflib
import inspect
import types
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, get_args, get_origin

from fixturekit._internal.notes import add_note
from fixturekit.factories import _random
from fixturekit.factories._declarations import Declaration, PostBuild, SubFactory, Traits
from fixturekit.factories._inference import OMIT, ModelInfo, model_info, model_kind

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

__all__ = ["Factory", "FactoryError", "factory_for", "registered_factory"]

T = TypeVar("T")

_OPTIONS = ("locale", "register")
_BUSY: Any = object()
_MAX_DEPTH = 20


class FactoryError(Exception):
    """A factory is declared or used wrongly; the message says how to fix it."""


# --- which factory builds a model -----------------------------------------------------------

_registry: dict[type, type[Factory[Any]]] = {}
_auto: dict[type, type[Factory[Any]]] = {}


def registered_factory(model: type) -> type[Factory[Any]] | None:
    """The first factory declared for ``model`` (with ``register=True``, the default)."""
    return _registry.get(model)


def factory_for(model: type) -> type[Factory[Any]]:
    """The registered factory for ``model``, or one made on the fly that infers every field."""
    factory = _registry.get(model) or _auto.get(model)
    if factory is None:

        def body(ns: dict[str, Any]) -> None:
            ns["__module__"] = "fixturekit.factories.auto"
            ns["__qualname__"] = f"{model.__qualname__}Factory"

        factory = _auto[model] = types.new_class(
            f"{model.__name__}Factory",
            (Factory[model],),  # type: ignore[valid-type]
            {"register": False},
            body,
        )
    return factory


def factory_for_table(table: Any) -> type[Factory[Any]] | None:
    """The registered factory whose (SQLAlchemy) model maps ``table``."""
    for model, factory in _registry.items():
        if getattr(model, "__table__", None) is table:
            return factory
    return None


# --- a factory's compiled plan ---------------------------------------------------------------

Source = Callable[["_Build"], Any]


def _declared_source(declaration: Declaration[Any], name: str) -> Source:
    evaluate = declaration.evaluate
    return lambda b: evaluate(b, name)


def _constant_source(value: Any) -> Source:
    if isinstance(value, (list, dict, set)):
        return lambda b: copy.copy(value)
    return lambda b: value


def _source(value: Any, name: str) -> Source:
    if isinstance(value, Declaration):
        return _declared_source(value, name)
    return _constant_source(value)


class _Plan:
    """What a factory class does per build, worked out once (on first use)."""

    def __init__(self, factory: type[Factory[Any]]) -> None:
        model = factory._fk_model
        assert model is not None
        self.info: ModelInfo = model_info(model)
        fields = self.info.fields
        declared = factory._fk_declared
        unknown = [name for name in declared if name not in fields]
        if unknown:
            raise FactoryError(
                f"{factory.__qualname__} declares {_names(unknown)}, which "
                f"{model.__qualname__} has no field of{_did_you_mean(unknown[0], fields)}; "
                f"its fields are: {', '.join(fields)}"
            )
        self.sources: dict[str, Source] = {}
        self.keys: list[tuple[str, str]] = []
        for name, spec in fields.items():
            if name in declared:
                self.sources[name] = _source(declared[name], name)
            elif spec.gen is not None:
                self.sources[name] = spec.gen
            else:
                self.sources[name] = lambda b: OMIT
            self.keys.append((name, spec.key))
        self.traits = factory._fk_traits
        self.hooks = factory._fk_hooks
        for name in list(self.traits) + list(self.hooks):
            if name in fields:
                kind = "trait" if name in self.traits else "post_build hook"
                raise FactoryError(
                    f"{factory.__qualname__}: the {kind} {name!r} has the name of a field of "
                    f"{model.__qualname__}; rename the {kind}"
                )
        self.nestable = {
            name
            for name, spec in fields.items()
            if spec.nested is not None or isinstance(declared.get(name), SubFactory)
        }
        self.valid = list(fields) + list(self.traits) + list(self.hooks)


def _names(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names)


def _did_you_mean(name: str, options: Any) -> str:
    close = difflib.get_close_matches(name, list(options), n=3, cutoff=0.6)
    return f" (did you mean {_names(close)}?)" if close else ""


# --- one build in progress ---------------------------------------------------------------------


class _View:
    """What ``fk.Lazy`` functions receive: the object's fields by attribute."""

    __slots__ = ("_build",)

    def __init__(self, build: _Build) -> None:
        self._build = build

    def __getattr__(self, name: str) -> Any:
        build = self._build
        if name == "sequence":
            return build.sequence
        if name not in build.sources:
            raise AttributeError(
                f"{build.factory.__qualname__}: fk.Lazy asked for {name!r}, which is not a "
                f"field{_did_you_mean(name, build.sources)}"
            )
        value = build.get(name)
        return None if value is OMIT else value


class _Build:
    """The state of building one object: its values so far, its generator, its session."""

    __slots__ = (
        "_now",
        "_sequence",
        "after",
        "depth",
        "factory",
        "locale",
        "nested",
        "overrides",
        "rng",
        "session",
        "sources",
        "state",
        "values",
    )

    def __init__(
        self,
        factory: type[Factory[Any]],
        plan: _Plan,
        state: _random.SeedState,
        overrides: dict[str, Any],
        nested: dict[str, dict[str, Any]],
        session: Session | None,
        after: list[tuple[PostBuild, Any, Any]] | None,
        depth: int,
        now: datetime | None,
    ) -> None:
        self.factory = factory
        self.state = state
        self.rng = state.stream(factory._fk_key)
        self.locale = factory._fk_locale
        self.overrides = overrides
        self.nested = nested
        self.session = session
        self.after = after
        self.depth = depth
        self._now = now
        self._sequence: int | None = None
        self.values: dict[str, Any] = {}
        if overrides:
            sources = dict(plan.sources)
            for name, value in overrides.items():
                sources[name] = _source(value, name)
            self.sources = sources
        else:
            self.sources = plan.sources

    def get(self, name: str) -> Any:
        values = self.values
        value = values.get(name, OMIT)
        if value is _BUSY:
            raise FactoryError(
                f"{self.factory.__qualname__}: the field {name!r} depends on itself through "
                "fk.Lazy declarations; break the cycle"
            )
        if name in values:
            return value
        values[name] = _BUSY
        value = values[name] = self.sources[name](self)
        return value

    def now(self) -> datetime:
        """The reference time of this build: the clock's now (a patching fk.Clock rules it)."""
        if self._now is None:
            self._now = datetime.now(timezone.utc).replace(microsecond=0)
        return self._now

    @property
    def sequence(self) -> int:
        if self._sequence is None:
            self._sequence = self.state.next_sequence(self.factory._fk_key)
        return self._sequence

    @property
    def view(self) -> _View:
        return _View(self)

    @staticmethod
    def factory_for(model: type) -> type[Factory[Any]]:
        factory = _registry.get(model) or _auto.get(model)
        return factory if factory is not None else factory_for(model)

    def overridden(self, name: str) -> bool:
        return name in self.overrides

    def nested_overrides(self, name: str) -> dict[str, Any]:
        return self.nested.get(name, {})

    def related_key(self, factory: type[Factory[Any]], column: Any) -> Any:
        """Create a row with ``factory`` (in this build's session) and return ``column``'s value."""
        import sqlalchemy as sa

        session = self.session
        assert session is not None
        obj = factory._build_nested(self, {})
        session.add(obj)
        session.flush()
        key = sa.inspect(type(obj)).get_property_by_column(column).key
        return getattr(obj, key)


# --- Factory --------------------------------------------------------------------------------------


def _find_model(cls: type) -> tuple[bool, Any]:
    for base in cls.__dict__.get("__orig_bases__", ()):
        origin = get_origin(base)
        if isinstance(origin, type) and issubclass(origin, Factory):
            args = get_args(base)
            return True, args[0] if args else None
    return False, None


class Factory(Generic[T]):
    """Makes instances of the model ``T``: ``class UserFactory(fk.Factory[User])``.

    Class attributes declare fields (``fk.Faker``, ``fk.Sequence``, ``fk.Lazy``,
    ``fk.SubFactory`` or plain values); every other field of the model is inferred from
    its type, constraints and name. ``fk.Traits`` and ``@fk.post_build`` hooks live in
    the class body too. Options go in the class statement:
    ``class UserFactory(fk.Factory[User], locale="fr_FR", register=False)``.

    * ``locale``: Faker locale of this factory's values (default ``"en_US"``).
    * ``register``: make this the factory other factories use for ``T`` (nested fields,
      SQLAlchemy relationships and foreign keys). Default True; the first one wins.
    """

    _fk_model: ClassVar[type | None] = None
    _fk_key: ClassVar[str] = ""
    _fk_locale: ClassVar[str] = "en_US"
    _fk_declared: ClassVar[dict[str, Any]] = {}
    _fk_traits: ClassVar[dict[str, dict[str, Any]]] = {}
    _fk_hooks: ClassVar[dict[str, PostBuild]] = {}
    _fk_plan: ClassVar[_Plan | None] = None

    def __init__(self) -> None:
        raise TypeError(
            f"{type(self).__qualname__} is not instantiated: call "
            f"{type(self).__qualname__}.build() (or create(), payload())"
        )

    def __init_subclass__(cls, **options: Any) -> None:
        unknown = [name for name in options if name not in _OPTIONS]
        if unknown:
            raise TypeError(
                f"class {cls.__qualname__}(fk.Factory[...], {unknown[0]}=...): unknown option "
                f"{unknown[0]!r}{_did_you_mean(unknown[0], _OPTIONS)}; the options are "
                f"{', '.join(_OPTIONS)}"
            )
        super().__init_subclass__()
        found, model = _find_model(cls)
        if found:
            if isinstance(model, TypeVar):
                model = None
            elif model_kind(model) is None:
                raise TypeError(
                    f"{cls.__qualname__}: fk.Factory[{getattr(model, '__qualname__', model)}] "
                    "needs a pydantic model, dataclass, attrs class, TypedDict or SQLAlchemy "
                    "mapped class"
                )
            cls._fk_model = model
        cls._fk_key = f"{cls.__module__}.{cls.__qualname__}"
        locale = options.get("locale")
        if locale is not None:
            if not isinstance(locale, str) or not locale:
                raise TypeError(f"{cls.__qualname__}: locale must be a string like 'fr_FR'")
            cls._fk_locale = locale
        cls._fk_declared = dict(cls._fk_declared)
        cls._fk_traits = dict(cls._fk_traits)
        cls._fk_hooks = dict(cls._fk_hooks)
        for name, value in list(cls.__dict__.items()):
            if (
                name.startswith("_")
                or isinstance(value, (classmethod, staticmethod, property))
                or inspect.isfunction(value)
            ):
                continue
            if isinstance(value, Traits):
                cls._fk_traits.update(value.bundles)
            elif isinstance(value, PostBuild):
                cls._fk_hooks[value.name] = value
            else:
                cls._fk_declared[name] = value
        cls._fk_plan = None
        if cls._fk_model is not None and options.get("register", True):
            _registry.setdefault(cls._fk_model, cls)

    # --- internals -------------------------------------------------------------------------------

    @classmethod
    def _plan(cls) -> _Plan:
        plan = cls.__dict__.get("_fk_plan")
        if plan is None:
            if cls._fk_model is None:
                raise FactoryError(
                    f"{cls.__qualname__} has no model: declare it as "
                    f"class {cls.__qualname__}(fk.Factory[MyModel])"
                )
            plan = _Plan(cls)
            cls._fk_plan = plan
        return plan

    @classmethod
    def _split(
        cls, plan: _Plan, overrides: dict[str, Any], what: str
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, Any]]:
        """Overrides -> (field values, nested overrides, hook values), traits applied."""
        fields: dict[str, Any] = {}
        nested: dict[str, dict[str, Any]] = {}
        hooks: dict[str, Any] = {}
        traits: list[str] = []
        sources = plan.sources
        for name, value in overrides.items():
            if name in sources:
                fields[name] = value
            elif name in plan.traits:
                if not isinstance(value, bool):
                    raise TypeError(
                        f"{what}: trait {name!r} is switched on with {name}=True, not {value!r}"
                    )
                if value:
                    traits.append(name)
            elif name in plan.hooks:
                hooks[name] = value
            elif "__" in name and name.split("__", 1)[0] in plan.nestable:
                head, rest = name.split("__", 1)
                nested.setdefault(head, {})[rest] = value
            else:
                head = name.split("__", 1)[0]
                if "__" in name and head in sources:
                    raise TypeError(
                        f"{what}: {name}=... reaches into {head!r}, which does not hold a "
                        "model; only fields holding a model (or fk.SubFactory) take name__field"
                    )
                model = plan.info.model.__qualname__
                raise TypeError(
                    f"{what} got {name}=..., but {model} has no field {name!r}"
                    f"{_did_you_mean(head, plan.valid)}; valid names: {', '.join(plan.valid)}"
                )
        if traits:
            applied: dict[str, Any] = {}
            seen: set[str] = set()

            def apply(trait: str) -> None:
                if trait in seen:
                    return
                seen.add(trait)
                for key, value in plan.traits[trait].items():
                    if key in plan.traits and value is True:
                        apply(key)
                    elif key in sources:
                        applied[key] = value
                    elif "__" in key and key.split("__", 1)[0] in plan.nestable:
                        head, rest = key.split("__", 1)
                        nested.setdefault(head, {}).setdefault(rest, value)
                    else:
                        raise FactoryError(
                            f"{cls.__qualname__}: trait {trait!r} sets {key!r}, which is not "
                            f"a field{_did_you_mean(key, plan.valid)}"
                        )

            for name in (t for t in plan.traits if t in traits):
                apply(name)
            applied.update(fields)
            fields = applied
        return fields, nested, hooks

    @classmethod
    def _make(
        cls,
        overrides: dict[str, Any],
        *,
        state: _random.SeedState,
        session: Session | None,
        after: list[tuple[PostBuild, Any, Any]] | None,
        depth: int = 0,
        now: datetime | None = None,
        nested: dict[str, dict[str, Any]] | None = None,
        what: str = "",
    ) -> T:
        plan = cls._plan()
        if depth > _MAX_DEPTH:
            raise FactoryError(
                f"{cls.__qualname__}: nested factories go {_MAX_DEPTH} levels deep; a model "
                "probably requires itself (declare the field on the factory to stop the chain)"
            )
        what = what or f"{cls.__qualname__}.build()"
        fields, more_nested, hooks = cls._split(plan, overrides, what)
        if nested:
            for key, value in nested.items():
                more_nested.setdefault(key, {}).update(value)
        build = _Build(cls, plan, state, fields, more_nested, session, after, depth, now)
        get = build.get
        values = {}
        for name, key in plan.keys:
            value = get(name)
            if value is not OMIT:
                values[key] = value
        try:
            obj: T = plan.info.construct(values)
        except Exception as exc:
            shown = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
            add_note(
                exc,
                f"raised by {plan.info.model.__qualname__} for the values that "
                f"{cls.__qualname__} made ({what.replace('()', f'({shown})')})",
            )
            raise
        if plan.hooks:
            for name, hook in plan.hooks.items():
                if after is not None:
                    after.append((hook, obj, hooks.get(name)))
                else:
                    hook.fn(obj, hooks.get(name), None)
        return obj

    @classmethod
    def _build_nested(cls, parent: _Build, overrides: dict[str, Any]) -> T:
        """An object for a field of ``parent``'s model (same seed state, session, time)."""
        persist = parent.session is not None and cls._plan().info.persistable
        return cls._make(
            overrides,
            state=parent.state,
            session=parent.session if persist else None,
            after=parent.after if persist else None,
            depth=parent.depth + 1,
            now=parent.now(),
            what=f"{cls.__qualname__} (inside {parent.factory.__qualname__})",
        )

    # --- public API ------------------------------------------------------------------------------

    @classmethod
    def build(cls, **overrides: Any) -> T:
        """A new instance; ``overrides`` set fields, switch traits on or feed hooks.

        ``UserFactory.build(name="Ada", admin=True, address__city="Oslo")``. Nothing is
        persisted. The model's own validation runs; its error is raised unchanged (with a
        note naming the factory).
        """
        return cls._make(overrides, state=_random.state(), session=None, after=None)

    @classmethod
    def build_batch(cls, size: int, /, **overrides: Any) -> list[T]:
        """``size`` new instances, each with the same ``overrides``."""
        _check_size(cls, "build_batch", size)
        state = _random.state()
        make = cls._make
        return [make(overrides, state=state, session=None, after=None) for _ in range(size)]

    @classmethod
    def payload(cls, **overrides: Any) -> Any:
        """What an API client would send: a JSON-ready dict of a built instance.

        Serialised as the model does it (pydantic: ``model_dump(mode="json",
        by_alias=True)``), nested objects included.
        """
        plan = cls._plan()
        return plan.info.serialize(cls.build(**overrides))

    @classmethod
    def payload_batch(cls, size: int, /, **overrides: Any) -> list[Any]:
        """``size`` payloads (see `payload`)."""
        plan = cls._plan()
        return [plan.info.serialize(obj) for obj in cls.build_batch(size, **overrides)]

    @classmethod
    def create(cls, session: Session | None = None, /, **overrides: Any) -> T:
        """A new instance added to ``session`` and flushed (never committed).

        Without a session, the running database sandbox's session is used (the
        ``db_session`` fixture's). Related rows that foreign keys need come from the
        factories registered for their models and are flushed with it.
        """
        session = cls._session(session, overrides, "create")
        (obj,) = cls._create_objects(session, 1, overrides, "create", run_hooks=True)[0]
        return obj

    @classmethod
    def create_batch(
        cls, size: int, session: Session | None = None, /, **overrides: Any
    ) -> list[T]:
        """``size`` new instances, added to the session with one flush (batched inserts)."""
        _check_size(cls, "create_batch", size)
        session = cls._session(session, overrides, "create_batch")
        return cls._create_objects(session, size, overrides, "create_batch", run_hooks=True)[0]

    @classmethod
    async def acreate(cls, session: AsyncSession | None = None, /, **overrides: Any) -> T:
        """`create` for an ``AsyncSession`` (the async sandbox's when none is given)."""
        (obj,) = await cls._acreate(session, 1, overrides, "acreate")
        return obj

    @classmethod
    async def acreate_batch(
        cls, size: int, session: AsyncSession | None = None, /, **overrides: Any
    ) -> list[T]:
        """`create_batch` for an ``AsyncSession``."""
        _check_size(cls, "acreate_batch", size)
        return await cls._acreate(session, size, overrides, "acreate_batch")

    # --- persistence -----------------------------------------------------------------------------

    @classmethod
    def _session(cls, session: Any, overrides: dict[str, Any], method: str) -> Any:
        from fixturekit.factories._persistence import resolve_session

        return resolve_session(cls, session, overrides, method, asynchronous=False)

    @classmethod
    def _create_objects(
        cls, session: Session, size: int, overrides: dict[str, Any], method: str, *, run_hooks: bool
    ) -> tuple[list[T], list[tuple[PostBuild, Any, Any]]]:
        from fixturekit.factories._persistence import flush

        plan = cls._plan()
        if not plan.info.persistable:
            raise FactoryError(
                f"{cls.__qualname__}.{method}() persists SQLAlchemy mapped classes; "
                f"{plan.info.model.__qualname__} is a {plan.info.kind} model: use build() or "
                "payload()"
            )
        state = _random.state()
        after: list[tuple[PostBuild, Any, Any]] = []
        what = f"{cls.__qualname__}.{method}()"
        objs = [
            cls._make(overrides, state=state, session=session, after=after, what=what)
            for _ in range(size)
        ]
        session.add_all(objs)
        flush(cls, session, what)
        if run_hooks:
            for hook, obj, value in after:
                hook.fn(obj, value, session)
        return objs, after

    @classmethod
    async def _acreate(
        cls, session: Any, size: int, overrides: dict[str, Any], method: str
    ) -> list[T]:
        from fixturekit.factories._persistence import resolve_session

        session = resolve_session(cls, session, overrides, method, asynchronous=True)
        objs, after = await session.run_sync(
            lambda sync: cls._create_objects(sync, size, overrides, method, run_hooks=False)
        )
        for hook, obj, value in after:
            result = hook.fn(obj, value, session)
            if inspect.isawaitable(result):
                await result
        return objs  # type: ignore[no-any-return]


def _check_size(cls: type, method: str, size: object) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise TypeError(
            f"{cls.__qualname__}.{method}() takes the number of objects first, a whole number "
            f">= 0, got {size!r}"
        )
