from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fixturekit.factories import PatternError
from fixturekit.factories._regex import string_matching

PATTERNS = [
    r"^[A-Z]{3}-\d{4}$",
    r"^\w+@\w+\.(com|org)$",
    r"[a-f0-9]{8}",
    r"^(?:\+\d{1,3} )?\d{3}[- ]\d{4}$",
    r"^[^\s@]+@[^\s@]+$",
    r"^(ab|cd)+x?$",
    r"^(?P<w>[a-z]{2})-(?P=w)$",
    r"^[A-Za-z][A-Za-z0-9_]*$",
    r"^v\d+\.\d+\.\d+(-rc\d)?$",
    r"(?i)^hello$",
    r".{3,5}",
    r"^\S{2}\s\D\W$",
    r"^[^aeiou]{4}$",
]


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(pattern=st.sampled_from(PATTERNS), seed=st.integers(0, 2**32), bounds=st.booleans())
def test_generated_strings_match_the_pattern(pattern: str, seed: int, bounds: bool) -> None:
    rng = random.Random(seed)
    low, high = (
        (6, 12) if bounds and "{3}" not in pattern and "{4}$" not in pattern else (None, None)
    )
    try:
        text = string_matching(pattern, rng, min_length=low, max_length=high)
    except PatternError:
        assert low is not None  # only length bounds may make a pattern impossible
        return
    assert re.search(pattern, text)
    if low is not None:
        assert low <= len(text) <= (high or len(text))


def test_the_same_generator_state_gives_the_same_string() -> None:
    assert string_matching(r"^[a-z]{10}$", random.Random(5)) == string_matching(
        r"^[a-z]{10}$", random.Random(5)
    )


def test_an_impossible_length_says_what_to_do() -> None:
    with pytest.raises(PatternError, match="declare the field"):
        string_matching(r"^\d{3}$", random.Random(0), min_length=5)
