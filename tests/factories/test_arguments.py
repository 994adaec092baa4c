"""Factories check their arguments as every fixturekit block does: unknown keywords get
the closest name and the full list, flags must be booleans, counts whole numbers."""

from __future__ import annotations

import pytest
from factory_models import Address, User

import fixturekit
import fixturekit.factories as fk
from fixturekit import errors


class UserFactory(fk.Factory[User], register=False):
    traits = fk.Traits(admin={"role": "admin"})


class AddressFactory(fk.Factory[Address], register=False):
    pass


class AddressedFactory(fk.Factory[User], register=False):
    address = fk.SubFactory(AddressFactory)


def test_an_unknown_override_names_the_closest_field_and_lists_them_all() -> None:
    with pytest.raises(TypeError) as caught:
        UserFactory.build(emial="ada@example.com")
    message = str(caught.value)
    assert message.startswith(
        "UserFactory.build() got an unexpected keyword argument 'emial' (did you mean email=?); "
        "the fields of User and the traits and hooks of UserFactory are: name, age, email,"
    )
    assert message.endswith(", admin, fill_optional")


def test_each_entry_point_names_itself_in_the_error() -> None:
    with pytest.raises(TypeError, match=r"^UserFactory.build_batch\(\) got an unexpected"):
        UserFactory.build_batch(2, nmae="x")
    with pytest.raises(TypeError, match=r"^AddressFactory.payload\(\) got an unexpected"):
        AddressFactory.payload(cty="Oslo")
    with pytest.raises(TypeError, match=r"^AddressFactory.payload_batch\(\) got an unexpected"):
        AddressFactory.payload_batch(1, cty="Oslo")


def test_an_unknown_nested_override_names_the_nested_factory() -> None:
    with pytest.raises(TypeError) as caught:
        AddressedFactory.build(address__cty="Oslo")
    assert str(caught.value).startswith(
        "AddressFactory.build() got an unexpected keyword argument 'cty' (did you mean city=?); "
        "the fields of Address are: street, city, country"
    )


def test_batch_sizes_are_whole_numbers() -> None:
    for method in (UserFactory.build_batch, UserFactory.payload_batch):
        with pytest.raises(ValueError, match=r"^size must be a whole number >= 0, not -1$"):
            method(-1)
        with pytest.raises(ValueError, match=r"not True$"):
            method(True)  # type: ignore[arg-type]
    assert UserFactory.payload_batch(0) == []


def test_traits_are_switched_with_booleans() -> None:
    with pytest.raises(TypeError, match=r"trait 'admin' .* must be True or False, not 1$"):
        UserFactory.build(admin=1)


def test_flags_of_declarations_and_class_options_are_booleans() -> None:
    with pytest.raises(TypeError, match=r"^pool must be True or False, not 'yes'$"):
        fk.Faker("name", pool="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"register must be True or False, not 1$"):

        class Numbered(fk.Factory[User], register=1):  # type: ignore[call-arg]
            pass


def test_an_unknown_class_option_names_the_closest_one() -> None:
    with pytest.raises(TypeError, match=r"'lokale' \(did you mean locale=\?\).*locale, register"):

        class Bad(fk.Factory[User], lokale="fr_FR"):  # type: ignore[call-arg]
            pass


def test_the_errors_are_fixturekits() -> None:
    assert fk.FactoryError is fixturekit.FactoryError is errors.FactoryError
    assert fk.PatternError is errors.PatternError
    assert issubclass(fk.FactoryError, errors.FixturekitError)
    assert issubclass(fk.PatternError, ValueError)
    assert issubclass(fk.PatternError, errors.FixturekitError)
