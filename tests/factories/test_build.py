from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pydantic
import pytest
from factory_models import Address, Badge, Event, Point, Status, User
from pydantic import Field

import fixturekit.factories as fk
from fixturekit.clock import Clock


class UserFactory(fk.Factory[User], register=False):
    pass


def test_every_undeclared_field_is_inferred_and_the_instance_validates() -> None:
    user = UserFactory.build()
    assert isinstance(user, User)
    User.model_validate(user.model_dump())  # passes the model's own validation again
    assert 18 <= user.age <= 99
    assert "@" in user.email
    assert isinstance(user.id, uuid.UUID)
    assert user.balance >= 0
    assert user.balance.as_tuple().exponent >= -2
    assert isinstance(user.status, Status)
    assert isinstance(user.address, Address)
    assert str(user.website).startswith("https://")
    assert len(user.password.get_secret_value()) >= 12
    assert user.code[3] == "-"
    assert user.code[:3].isupper()
    assert user.role in ("user", "admin")


def test_field_names_steer_text_values() -> None:
    address = UserFactory.build().address
    # Faker's cities and countries, not random words: they start with a capital letter.
    assert address.city[0].isupper()
    assert address.country[0].isupper()
    assert " " in UserFactory.build().name


def test_datetimes_follow_the_frozen_clock() -> None:
    with Clock("2030-06-01T12:00:00Z"):
        user = UserFactory.build()
    now = datetime(2030, 6, 1, 12, tzinfo=timezone.utc)
    assert now - timedelta(days=366) <= user.created_at <= now


def test_dataclass_attrs_and_typeddict_models_are_built() -> None:
    class PointFactory(fk.Factory[Point], register=False):
        pass

    class BadgeFactory(fk.Factory[Badge], register=False):
        pass

    class EventFactory(fk.Factory[Event], register=False):
        pass

    point = PointFactory.build()
    assert dataclasses.is_dataclass(point)
    assert isinstance(point.day, date)
    for badge in BadgeFactory.build_batch(30):
        assert len(badge.title) <= 8
        assert 1 <= badge.level <= 3
    event = EventFactory.build(where__label="here")
    assert set(event) == {"city", "at", "where"}
    assert isinstance(event["where"], Point)
    assert event["where"].label == "here"


def test_declarations_faker_sequence_lazy_subfactory() -> None:
    class AddressFactory(fk.Factory[Address], register=False):
        city = "Oslo"

    class DeclaredFactory(fk.Factory[User], register=False):
        name = fk.Faker("name")
        nickname = fk.Sequence(lambda n: f"user{n}")
        code = fk.Sequence("ABC-{n:04d}")
        email = fk.Lazy(lambda o: f"{o.nickname}@example.com")
        address = fk.SubFactory(AddressFactory, country="Norway")
        tags = ["a", "b"]  # noqa: RUF012 - a constant, copied per object

    first, second = DeclaredFactory.build_batch(2)
    assert (first.nickname, second.nickname) == ("user0", "user1")
    assert (first.code, second.code) == ("ABC-0000", "ABC-0001")
    assert first.email == "user0@example.com"
    assert (first.address.city, first.address.country) == ("Oslo", "Norway")
    first.tags.append("c")
    assert second.tags == ["a", "b"]  # constants are copied per object
    rome = DeclaredFactory.build(address__city="Rome", nickname="ada")
    assert rome.address.city == "Rome"
    assert rome.email == "ada@example.com"


def test_overrides_may_be_declarations() -> None:
    user = UserFactory.build(nickname=fk.Lazy(lambda o: o.name.upper()))
    assert user.nickname == user.name.upper()


def test_traits_combine_and_explicit_overrides_win() -> None:
    class TraitFactory(fk.Factory[User], register=False):
        traits = fk.Traits(
            admin={"role": "admin"},
            banned={"status": Status.BANNED, "nickname": None},
            banned_admin={"admin": True, "banned": True, "address__city": "Nowhere"},
        )

    assert TraitFactory.build(admin=True).role == "admin"
    both = TraitFactory.build(admin=True, banned=True)
    assert (both.role, both.status, both.nickname) == ("admin", Status.BANNED, None)
    nested = TraitFactory.build(banned_admin=True)
    assert (nested.role, nested.status, nested.address.city) == ("admin", Status.BANNED, "Nowhere")
    assert TraitFactory.build(admin=True, role="user").role == "user"
    assert TraitFactory.build(admin=False).role in ("user", "admin")
    with pytest.raises(TypeError, match="admin=True"):
        TraitFactory.build(admin="yes")


def test_post_build_hooks_get_the_object_and_their_value() -> None:
    seen: list[tuple[str, object, object]] = []

    class HookFactory(fk.Factory[User], register=False):
        @fk.post_build
        def remember(user: User, value: object, session: object) -> None:
            seen.append((user.name, value, session))

    user = HookFactory.build(remember="note")
    HookFactory.build()
    assert seen == [(user.name, "note", None), (seen[1][0], None, None)]


def test_an_unknown_override_names_close_matches() -> None:
    with pytest.raises(
        TypeError, match=r"unexpected keyword argument 'emial' \(did you mean email=\?\)"
    ):
        UserFactory.build(emial="x@example.com")
    with pytest.raises(TypeError, match="does not hold a model"):
        UserFactory.build(name__first="x")


def test_a_value_the_model_rejects_raises_the_models_own_error_naming_the_factory() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        UserFactory.build(age=7)
    assert "UserFactory.build(age=7)" in "\n".join(getattr(info.value, "__notes__", []))


def test_declaring_a_field_the_model_lacks_is_an_error_with_suggestions() -> None:
    class Typo(fk.Factory[User], register=False):
        nick_name = "x"

    with pytest.raises(fk.FactoryError, match="did you mean 'nickname'"):
        Typo.build()


def test_an_unknown_class_option_lists_the_options() -> None:
    with pytest.raises(TypeError, match="locale, register"):

        class Bad(fk.Factory[User], lokale="fr_FR"):  # type: ignore[call-arg]
            pass


def test_a_factory_without_a_model_says_how_to_declare_one() -> None:
    class Base(fk.Factory):  # type: ignore[type-arg]
        pass

    with pytest.raises(fk.FactoryError, match=r"fk.Factory\[MyModel\]"):
        Base.build()


def test_a_factory_is_not_instantiated() -> None:
    with pytest.raises(TypeError, match=r"UserFactory.build\(\)"):
        UserFactory()


def test_lazy_cycles_are_reported() -> None:
    class Cycle(fk.Factory[Address], register=False):
        street = fk.Lazy(lambda o: o.city)
        city = fk.Lazy(lambda o: o.street)

    with pytest.raises(fk.FactoryError, match="depends on itself"):
        Cycle.build()


def test_batch_size_must_be_a_whole_number() -> None:
    with pytest.raises(ValueError, match="size must be a whole number >= 0, not '3'"):
        UserFactory.build_batch("3")  # type: ignore[arg-type]
    assert UserFactory.build_batch(0) == []


def test_payload_is_what_the_model_would_serialise() -> None:
    payload = UserFactory.payload(address__city="Rome")
    assert payload["address"]["city"] == "Rome"
    assert isinstance(payload["created_at"], str)
    assert isinstance(payload["balance"], str)
    assert payload["password"] == "**********"
    assert User.model_validate({**payload, "password": "long-enough-secret"})


def test_payload_of_a_dataclass_is_json_ready() -> None:
    class PointFactory(fk.Factory[Point], register=False):
        pass

    payload = PointFactory.payload(day=date(2024, 1, 2))
    assert payload["day"] == "2024-01-02"
    assert isinstance(payload["x"], int)


def test_faker_declarations_validate_their_arguments() -> None:
    with pytest.raises(TypeError, match="name of a Faker provider"):
        fk.Faker("not a provider")

    class Unknown(fk.Factory[Address], register=False):
        city = fk.Faker("citty")

    with pytest.raises(AttributeError, match="did you mean 'city'"):
        Unknown.build()
    with pytest.raises(ValueError, match=r"\{n\}"):
        fk.Sequence("no placeholder")


def test_faker_locale_is_set_per_factory() -> None:
    class German(fk.Factory[Address], locale="de_DE", register=False):
        city = fk.Faker("city", pool=False)
        country = fk.Faker("country")

    class English(fk.Factory[Address], register=False):
        pass

    german_cities = {German.build().city for _ in range(20)}
    english_cities = {English.build().city for _ in range(20)}
    from faker import Faker

    known = set()
    de = Faker("de_DE")
    for i in range(300):
        de.seed_instance(i)
        known.add(de.city())
    assert german_cities & known  # German city names
    assert not english_cities & german_cities


def test_decimal_constraints_are_respected() -> None:
    class Money(pydantic.BaseModel):
        amount: Decimal = Field(max_digits=4, decimal_places=1, gt=0, multiple_of=Decimal("0.5"))

    class MoneyFactory(fk.Factory[Money], register=False):
        pass

    for money in MoneyFactory.build_batch(50):
        assert 0 < money.amount < 1000
        assert money.amount % Decimal("0.5") == 0
