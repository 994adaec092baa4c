"""`Factory[T]`: build, create and serialise model instances, one declaration for all three;
and `SubFactory`, the declaration that nests one factory's objects in another's."""

from __future__ import annotations

import inspect
import types
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast, get_args, get_origin

from fixturekit._internal.checks import check_bool, check_count, unknown_keyword
from fixturekit._internal.notes import add_note
from fixturekit.errors import FactoryError
from fixturekit.factories import _random
from fixturekit.factories._build import OMIT, Build, FactoryClass, register, registered_factory
from fixturekit.factories._declarations import Declaration, PostBuild, Traits
from fixturekit.factories._models import model_kind
from fixturekit.factories._persistence import flush, resolve_session
from fixturekit.factories._plan import FILL_OPTIONAL, Plan, children
from fixturekit.factories._together import keep_unique_together

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

__all__ = ["Factory", "RelatedList", "SubFactory", "factory_for"]

T = TypeVar("T")

_OPTIONS = ("fill_optional", "locale", "register")
_MAX_DEPTH = 20

#: Factories made on the fly for models no factory was declared for.
_auto: dict[type, FactoryClass] = {}


def factory_for(model: type) -> FactoryClass:
    """The registered factory for ``model``, or one made on the fly that infers every field."""
    factory = registered_factory(model) or _auto.get(model)
    if factory is None:

        def body(ns: dict[str, Any]) -> None:
            ns["__module__"] = "fixturekit.factories.auto"
            ns["__qualname__"] = f"{model.__qualname__}Factory"

        made = types.new_class(
            f"{model.__name__}Factory",
            (Factory[model],),  # type: ignore[valid-type]
            {"register": False},
            body,
        )
        factory = _auto[model] = cast("type[Factory[Any]]", made)
    return factory


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
    * ``fill_optional``: give optional fields (``X | None``, nullable columns, keys that
      may be missing) values too. Default False: they are None, or the model's default
      when it has one. One call asks for it with ``build(fill_optional=True)``.
    """

    _fk_model: ClassVar[type | None] = None
    _fk_name: ClassVar[str] = "Factory"
    _fk_key: ClassVar[str] = ""
    _fk_locale: ClassVar[str] = "en_US"
    _fk_fill_optional: ClassVar[bool] = False
    _fk_declared: ClassVar[dict[str, Any]] = {}
    _fk_traits: ClassVar[dict[str, dict[str, Any]]] = {}
    _fk_hooks: ClassVar[dict[str, PostBuild]] = {}
    _fk_plan: ClassVar[Plan | None] = None

    def __init__(self) -> None:
        raise TypeError(
            f"{type(self).__qualname__} is not instantiated: call "
            f"{type(self).__qualname__}.build() (or create(), payload())"
        )

    def __init_subclass__(cls, **options: Any) -> None:
        for name in options:
            if name not in _OPTIONS:
                raise unknown_keyword(
                    f"{cls.__qualname__}.__init_subclass__",
                    name,
                    _OPTIONS,
                    what="fk.Factory's class options",
                )
        register_it = check_bool(
            options.get("register", True), f"{cls.__qualname__}: the class option register"
        )
        super().__init_subclass__()
        found, model = _find_model(cls)
        if found:
            if isinstance(model, TypeVar):
                model = None
            elif model_kind(model) is None:
                raise TypeError(
                    f"{cls.__qualname__}: fk.Factory[{getattr(model, '__qualname__', model)}] "
                    "needs a pydantic model, dataclass, attrs class, TypedDict, SQLAlchemy "
                    "mapped class or SQLModel table model"
                )
            cls._fk_model = model
        cls._fk_name = cls.__qualname__
        cls._fk_key = f"{cls.__module__}.{cls.__qualname__}"
        if "fill_optional" in options:
            cls._fk_fill_optional = check_bool(
                options["fill_optional"], f"{cls.__qualname__}: the class option fill_optional"
            )
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
        if cls._fk_model is not None and register_it:
            register(cls._fk_model, cls)

    # --- internals -------------------------------------------------------------------------------

    @classmethod
    def _plan(cls) -> Plan:
        plan = cls.__dict__.get("_fk_plan")
        if plan is None:
            if cls._fk_model is None:
                raise FactoryError(
                    f"{cls.__qualname__} has no model: declare it as "
                    f"class {cls.__qualname__}(fk.Factory[MyModel])"
                )
            plan = Plan(
                cls.__qualname__, cls._fk_model, cls._fk_declared, cls._fk_traits, cls._fk_hooks
            )
            cls._fk_plan = plan
        return plan

    @classmethod
    def _fk_factory_for(cls, model: type) -> FactoryClass:
        return factory_for(model)

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
        fill = cls._fk_fill_optional
        if FILL_OPTIONAL in overrides and FILL_OPTIONAL not in plan.sources:
            overrides = dict(overrides)
            fill = check_bool(overrides.pop(FILL_OPTIONAL), f"{what}: fill_optional")
        fields, more_nested, hooks = plan.split(overrides, what)
        if nested:
            for key, value in nested.items():
                more_nested.setdefault(key, {}).update(value)
        build = Build(
            cls,
            plan.sources_with(fields, fill),
            state,
            fields,
            more_nested,
            session,
            after,
            depth,
            now,
        )
        get = build.get
        values = {}
        for name, key in plan.keys:
            value = get(name)
            if value is not OMIT:
                values[key] = value
        if plan.info.unique_together:
            keep_unique_together(build, plan.info.unique_together, plan.declared)
            got = build.values
            values = {key: got[name] for name, key in plan.keys if got[name] is not OMIT}
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
    def _build_nested(cls, parent: Build, overrides: dict[str, Any]) -> T:
        """An object for a field of ``parent``'s model (same seed state, session, time)."""
        persist = parent.session is not None and cls._plan().info.persistable
        return cls._make(
            overrides,
            state=parent.state,
            session=parent.session if persist else None,
            after=parent.after if persist else None,
            depth=parent.depth + 1,
            now=parent.now(),
            what=f"{cls.__qualname__} (inside {parent.factory._fk_name})",
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
        check_count(size, "size")
        return cls._build_many(size, overrides, f"{cls.__qualname__}.build_batch()")

    @classmethod
    def payload(cls, **overrides: Any) -> Any:
        """What an API client would send: a JSON-ready dict of a built instance.

        Serialised as the model does it (pydantic: ``model_dump(mode="json",
        by_alias=True)``), nested objects included.
        """
        plan = cls._plan()
        what = f"{cls.__qualname__}.payload()"
        obj = cls._make(overrides, state=_random.state(), session=None, after=None, what=what)
        return plan.info.serialize(obj)

    @classmethod
    def payload_batch(cls, size: int, /, **overrides: Any) -> list[Any]:
        """``size`` payloads (see `payload`)."""
        check_count(size, "size")
        serialize = cls._plan().info.serialize
        what = f"{cls.__qualname__}.payload_batch()"
        return [serialize(obj) for obj in cls._build_many(size, overrides, what)]

    @classmethod
    def _build_many(cls, size: int, overrides: dict[str, Any], what: str) -> list[T]:
        state = _random.state()
        make = cls._make
        return [
            make(overrides, state=state, session=None, after=None, what=what) for _ in range(size)
        ]

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
        check_count(size, "size")
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
        check_count(size, "size")
        return await cls._acreate(session, size, overrides, "acreate_batch")

    # --- persistence -----------------------------------------------------------------------------

    @classmethod
    def _session(
        cls, session: Any, overrides: dict[str, Any], method: str, *, asynchronous: bool = False
    ) -> Any:
        fields = cls._plan().sources
        return resolve_session(
            cls.__qualname__, fields, session, overrides, method, asynchronous=asynchronous
        )

    @classmethod
    def _create_objects(
        cls, session: Session, size: int, overrides: dict[str, Any], method: str, *, run_hooks: bool
    ) -> tuple[list[T], list[tuple[PostBuild, Any, Any]]]:
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
        flush(session, what)
        if run_hooks:
            for hook, obj, value in after:
                hook.fn(obj, value, session)
        return objs, after

    @classmethod
    async def _acreate(
        cls, session: Any, size: int, overrides: dict[str, Any], method: str
    ) -> list[T]:
        session = cls._session(session, overrides, method, asynchronous=True)
        objs, after = await session.run_sync(
            lambda sync: cls._create_objects(sync, size, overrides, method, run_hooks=False)
        )
        for hook, obj, value in after:
            result = hook.fn(obj, value, session)
            if inspect.isawaitable(result):
                await result
        return objs  # type: ignore[no-any-return]


class SubFactory(Declaration[Any]):
    """A nested object from another factory: ``fk.SubFactory(AddressFactory, city="Oslo")``.

    Overrides reach it with double underscores: ``UserFactory.build(address__city="Rome")``.
    In ``create`` the nested object is persisted with its parent (for a SQLAlchemy
    relationship) and in ``payload`` it is serialised with it.
    """

    __slots__ = ("factory", "overrides")

    nests = True

    def __init__(self, factory: type[Factory[Any]], /, **overrides: Any) -> None:
        if not (isinstance(factory, type) and issubclass(factory, Factory)):
            raise TypeError(
                f"fk.SubFactory() takes a factory class (a subclass of fk.Factory), got {factory!r}"
            )
        self.factory = factory
        self.overrides = overrides

    def evaluate(self, build: Build, name: str) -> Any:
        overrides = dict(self.overrides)
        overrides.update(build.nested_overrides(name))
        return self.factory._build_nested(build, overrides)


class RelatedList(Declaration[list[Any]]):
    """A list of objects from another factory, for a to-many field:
    ``heroes = fk.RelatedList(HeroFactory, size=3, secret_name="unknown")``.

    For a SQLAlchemy (or SQLModel) one-to-many relationship the children's foreign key
    and back-reference are left for the relationship to fill, so each child belongs to
    the object being made, and ``create`` persists them with it. A call changes the
    count with an integer (``TeamFactory.create(heroes=5)``) and reaches the children
    with double underscores (``heroes__age=30``); a list of objects sets them as usual.
    """

    __slots__ = ("factory", "overrides", "size")

    nests = True

    def __init__(self, factory: type[Factory[Any]], /, size: int = 1, **overrides: Any) -> None:
        if not (isinstance(factory, type) and issubclass(factory, Factory)):
            raise TypeError(
                "fk.RelatedList() takes a factory class (a subclass of fk.Factory), "
                f"got {factory!r}"
            )
        self.factory = factory
        self.size = check_count(size, "fk.RelatedList(size=...)")
        self.overrides = overrides

    def __repr__(self) -> str:
        return f"fk.RelatedList({self.factory.__qualname__}, size={self.size})"

    def resized(self, size: int) -> RelatedList:
        """The same declaration making ``size`` objects."""
        return RelatedList(self.factory, size, **self.overrides)

    def evaluate(self, build: Build, name: str) -> list[Any]:
        owner = cast("type[Factory[Any]]", build.factory)
        _target, back = owner._plan().to_many.get(name, (None, ()))
        return children(build, name, self.factory, self.size, self.overrides, back)
