from __future__ import annotations

import subprocess
import sys

import pytest
from factory_models import Address, User

import fixturekit.factories as fk
from fixturekit._internal import seed as _seed
from fixturekit.clock import Clock


class UserFactory(fk.Factory[User], register=False):
    nickname = fk.Sequence(lambda n: f"user{n}")


class AddressFactory(fk.Factory[Address], register=False):
    street = fk.Faker("street_address", pool=False)


def _users(n: int = 3) -> list[User]:
    with Clock("2024-05-01T00:00:00Z"):
        return UserFactory.build_batch(n)


def test_the_same_seed_builds_the_same_objects_whatever_ran_before() -> None:
    _seed.seed(1234)
    first = _users()
    _seed.seed(99)
    _users(7)
    AddressFactory.build_batch(5)
    _seed.seed(1234)
    assert _users() == first


def test_one_factory_does_not_change_anothers_values() -> None:
    _seed.seed(7)
    alone = _users()
    _seed.seed(8)
    _users()
    _seed.seed(7)
    AddressFactory.build_batch(10)  # drawing from another factory first...
    assert _users() == alone  # ...leaves this one's values alone


def test_different_seeds_build_different_objects() -> None:
    _seed.seed(1)
    one = _users()
    _seed.seed(2)
    assert _users() != one


def test_sequences_start_again_with_each_seed() -> None:
    _seed.seed(10)
    assert [u.nickname for u in _users()] == ["user0", "user1", "user2"]
    _seed.seed(11)
    assert _users(1)[0].nickname == "user0"


def test_seeding_again_with_the_same_number_starts_over() -> None:
    _seed.seed(10)
    first = _users()
    _users()  # the sequence moves on...
    _seed.seed(10)
    assert _users() == first  # ...and starts over with the same seed given again


def test_fresh_faker_calls_are_seeded_too() -> None:
    _seed.seed(3)
    streets = [a.street for a in AddressFactory.build_batch(3)]
    _seed.seed(4)
    AddressFactory.build()
    _seed.seed(3)
    assert [a.street for a in AddressFactory.build_batch(3)] == streets


def test_each_test_is_seeded_by_the_plugin(fixturekit_seed: int) -> None:
    assert _seed.current_seed() == fixturekit_seed


@pytest.mark.slow
def test_a_new_process_with_the_same_seed_builds_the_same_objects() -> None:
    code = (
        "import sys; sys.path.insert(0, {path!r})\n"
        "from fixturekit._internal import seed as _seed; from fixturekit.clock import Clock\n"
        "import fixturekit.factories as fk; from factory_models import User\n"
        "class UserFactory(fk.Factory[User]): pass\n"
        "_seed.seed(42)\n"
        "with Clock('2024-05-01T00:00:00Z'): print(UserFactory.build().model_dump_json())\n"
    )
    from pathlib import Path

    path = str(Path(__file__).parent)
    runs = [
        subprocess.run(
            [sys.executable, "-c", code.format(path=path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    assert runs[0].startswith("{")


@pytest.mark.slow
def test_importing_factories_and_declaring_faker_fields_does_not_import_faker() -> None:
    code = (
        "import sys, fixturekit as fk, fixturekit.factories as f\n"
        "f.Faker('email'); assert 'faker' not in sys.modules, 'faker imported'\n"
        "assert 'pydantic' not in sys.modules and 'sqlalchemy' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
