"""What a factory can declare for a field: Faker, Sequence, Lazy; Traits; hooks.

(`SubFactory`, the declaration holding another factory, lives with `Factory`.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from fixturekit._internal.checks import check_bool
from fixturekit.factories import _emulated, _random
from fixturekit.factories._build import OMIT

if TYPE_CHECKING:
    from fixturekit.factories._build import Build

__all__ = [
    "Back",
    "Declaration",
    "Faker",
    "Lazy",
    "PostBuild",
    "Sequence",
    "Traits",
    "post_build",
]

T = TypeVar("T")

#: Faker providers whose values do not need to be fresh on each call: an argument-less
#: ``fk.Faker("city")`` draws from a per-locale pool of values Faker produced.
#: Identifier-like providers (ssn, iban, card numbers, ip addresses...) are left out: 512
#: values would repeat too soon for them.
POOLED_PROVIDERS = frozenset(
    {
        "name",
        "first_name",
        "last_name",
        "name_male",
        "name_female",
        "first_name_male",
        "first_name_female",
        "prefix",
        "suffix",
        "user_name",
        "city",
        "country",
        "country_code",
        "state",
        "street_name",
        "street_address",
        "address",
        "postcode",
        "zipcode",
        "company",
        "company_suffix",
        "catch_phrase",
        "bs",
        "job",
        "word",
        "sentence",
        "sentences",
        "paragraphs",
        "url",
        "uri",
        "hostname",
        "color",
        "hex_color",
        "currency_name",
        "first_name_nonbinary",
        "last_name_female",
        "last_name_male",
        "building_number",
        "secondary_address",
        "street_suffix",
        "city_suffix",
        "state_abbr",
        "administrative_unit",
        "country_calling_code",
        "user_agent",
        "chrome",
        "firefox",
        "file_path",
        "file_extension",
        "job_female",
        "job_male",
        "paragraph",
        "text",
        "phone_number",
        "free_email_domain",
        "domain_name",
        "domain_word",
        "safe_domain_name",
        "color_name",
        "currency_code",
        "language_name",
        "timezone",
        "slug",
        "file_name",
        "mime_type",
    }
)


class Declaration(Generic[T]):
    """A field value computed per build. Subclass it and implement `evaluate`."""

    __slots__ = ()

    #: True when the value is a model object that ``field__name=`` overrides reach into.
    nests: ClassVar[bool] = False

    def evaluate(self, build: Build, name: str) -> T:
        raise NotImplementedError


class Back(Declaration[Any]):
    """A child's field that points back at the parent being made (its foreign key or
    back-reference): left out, for the relationship to fill; ``parent`` is the parent's
    build, which tells siblings apart from other rows in multi-column unique checks."""

    __slots__ = ("parent",)

    def __init__(self, parent: object) -> None:
        self.parent = parent

    def evaluate(self, build: Build, name: str) -> Any:
        return OMIT


class Faker(Declaration[Any]):
    """A value from Faker's ``provider``: ``fk.Faker("email")``, ``fk.Faker("pyint", max_value=9)``.

    Faker is imported on first use. Values come from the test's seeded generator, in the
    factory's locale (``class F(fk.Factory[M], locale="fr_FR")``) unless ``locale=`` is
    given here. Without arguments, common text providers (names, addresses, companies,
    words, urls...) draw from a pool of 512 values Faker produced, which is much faster
    than a Faker call. Numbers, booleans, UUIDs, enums, dates (relative to the clock's
    now), ``words``, user names and emails are computed from the factory's own stream with
    Faker's semantics and arguments (user names and emails from the locale's formats and
    pooled names); other providers and arguments ask Faker. ``pool=False`` asks Faker
    afresh every time.
    """

    __slots__ = ("_fast", "kwargs", "locale", "pool", "provider")

    def __init__(
        self,
        provider: str,
        /,
        *,
        locale: str | None = None,
        pool: bool | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(provider, str) or not provider.isidentifier():
            raise TypeError(
                f"fk.Faker() takes the name of a Faker provider such as 'email', got {provider!r}"
            )
        if pool is not None:
            check_bool(pool, "pool")
        if locale is not None and not isinstance(locale, str):
            raise TypeError(f"fk.Faker(locale=...) must be a string like 'fr_FR', got {locale!r}")
        self.provider = provider
        self.locale = locale
        self.kwargs = kwargs
        self._fast = None if pool is False else _emulated.compile(provider, kwargs)
        if pool is None:
            pool = provider in POOLED_PROVIDERS and not kwargs
        self.pool = pool

    def __repr__(self) -> str:
        args = [repr(self.provider)] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        if self.locale:
            args.append(f"locale={self.locale!r}")
        return f"fk.Faker({', '.join(args)})"

    def evaluate(self, build: Build, name: str) -> Any:
        locale = self.locale or build.locale
        fast = self._fast
        if fast is not None:
            return fast(build, locale)
        if self.pool:
            kwargs = tuple(sorted(self.kwargs.items()))
            return _random.pooled(locale, self.provider, build.rng, kwargs)
        return _random.faker_call(locale, self.provider, build.rng, self.kwargs)


class Sequence(Declaration[T]):
    """``fn(n)`` where ``n`` counts this factory's objects in the current test: 0, 1, 2...

    ``fk.Sequence(lambda n: f"user{n}")`` or a format string ``fk.Sequence("user{n}")``.
    Every field of one object sees the same ``n``; counting starts again at 0 in each
    test (with each new seed).
    """

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[int], T] | str, /) -> None:
        if isinstance(fn, str):
            template = fn
            if "{n" not in template:
                raise ValueError(
                    f"fk.Sequence({template!r}): a format string needs an {{n}} placeholder, "
                    "e.g. fk.Sequence('user{n}@example.com')"
                )
            self.fn: Callable[[int], Any] = lambda n: template.format(n=n)
        elif callable(fn):
            self.fn = fn
        else:
            raise TypeError(
                f"fk.Sequence() takes a function of n or a format string with {{n}}, got {fn!r}"
            )

    def evaluate(self, build: Build, name: str) -> T:
        return self.fn(build.sequence)  # type: ignore[no-any-return]


class Lazy(Declaration[T]):
    """A value computed from the object's other fields: ``fk.Lazy(lambda o: o.name.lower())``.

    ``o`` gives every field by attribute (declared, inferred or overridden), computing it
    first if needed, plus ``o.sequence`` (this object's sequence number).
    """

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[Any], T], /) -> None:
        if not callable(fn):
            raise TypeError(f"fk.Lazy() takes a function of the object, got {fn!r}")
        self.fn = fn

    def evaluate(self, build: Build, name: str) -> T:
        return self.fn(build.view)


class Traits:
    """Named bundles of overrides, switched on per call: ``UserFactory.build(admin=True)``.

    ``traits = fk.Traits(admin={"role": "admin"}, banned={"active": False})``. Values may
    be declarations, and a trait may switch on another (``{"admin": True, ...}``). Several
    traits combine in the order the factory declares them; explicit overrides win.
    """

    __slots__ = ("bundles",)

    def __init__(self, **bundles: Mapping[str, Any]) -> None:
        for name, bundle in bundles.items():
            if not isinstance(bundle, Mapping):
                raise TypeError(
                    f"fk.Traits({name}=...) takes a dict of field overrides, got {bundle!r}"
                )
        self.bundles: dict[str, dict[str, Any]] = {k: dict(v) for k, v in bundles.items()}

    def __repr__(self) -> str:
        return f"fk.Traits({', '.join(self.bundles)})"


class PostBuild:
    """A hook run on every object the factory makes; see `post_build`."""

    __slots__ = ("fn", "name")

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.name: str = fn.__name__

    def __repr__(self) -> str:
        return f"fk.post_build({self.name})"


def post_build(fn: Callable[..., Any]) -> PostBuild:
    """Decorate a function ``(obj, value, session)`` run on each object after it is made.

    It runs after ``build`` (``session`` is None) and after ``create``'s flush (the
    session, so the object has its database id). ``value`` is what the caller passed
    under the hook's name, or None: ``UserFactory.create(with_posts=3)`` runs the hook
    ``with_posts`` with ``value=3``. In ``acreate`` a hook may be a coroutine function.
    """
    if not callable(fn):
        raise TypeError(f"fk.post_build decorates a function, got {fn!r}")
    return PostBuild(fn)
