from __future__ import annotations

import re
from dataclasses import dataclass, field

from fixturekit._internal.matching import describe_matcher, explain, filter_matching, mismatches


@dataclass
class Mail:
    subject: str
    to: list[str] = field(default_factory=list)


MAILS = [
    Mail("Receipt", ["b@example.com"]),
    Mail("Welcome!", ["a@example.com", "c@example.com"]),
    Mail("Reset your password", ["a@example.com"]),
]


def test_exact_values_regexes_and_callables_match() -> None:
    assert filter_matching(MAILS, {"subject": "Receipt"}) == [MAILS[0]]
    assert filter_matching(MAILS, {"subject": re.compile("^Re")}) == [MAILS[0], MAILS[2]]
    assert filter_matching(MAILS, {"subject": lambda s: s.endswith("!")}) == [MAILS[1]]


def test_a_single_value_matches_any_element_of_a_recorded_list() -> None:
    assert filter_matching(MAILS, {"to": "a@example.com"}) == [MAILS[1], MAILS[2]]
    assert filter_matching(MAILS, {"to": ["a@example.com"]}) == [MAILS[2]]
    assert filter_matching(MAILS, {"to": re.compile("^c@")}) == [MAILS[1]]


def test_mappings_are_matched_by_key() -> None:
    records = [{"amount": 500, "currency": "usd"}, {"amount": 700, "currency": "eur"}]
    assert filter_matching(records, {"currency": "eur"}) == [records[1]]
    assert mismatches(records[0], {"amount": 700})[0].actual == 500


def test_explain_lists_what_happened_closest_first_with_the_differing_fields() -> None:
    message = explain(
        "a mail",
        {"subject": "Welcome!", "to": "b@example.com"},
        MAILS,
        lambda m: f"{m.subject!r} to {', '.join(m.to)}",
    )
    assert message.splitlines() == [
        "expected a mail with subject='Welcome!', to='b@example.com', but none of the "
        "3 recorded matched (closest first):",
        "  - 'Receipt' to b@example.com",
        "      subject was 'Receipt', expected 'Welcome!'",
        "  - 'Welcome!' to a@example.com, c@example.com",
        "      to was ['a@example.com', 'c@example.com'], expected 'b@example.com'",
        "  - 'Reset your password' to a@example.com",
        "      subject was 'Reset your password', expected 'Welcome!'",
        "      to was ['a@example.com'], expected 'b@example.com'",
    ]


def test_explain_says_when_nothing_was_recorded_and_cuts_long_lists() -> None:
    assert explain("a job", {}, [], str) == "expected a job, but nothing was recorded at all"
    many = [Mail(f"m{n}") for n in range(15)]
    message = explain("a mail", {"subject": "x"}, many, lambda m: m.subject, limit=3)
    assert message.splitlines()[-1] == "  ... and 12 more"


def test_matchers_describe_themselves() -> None:
    def is_big(value: int) -> bool:
        return value > 10

    assert describe_matcher(re.compile("^a")) == "matching /^a/"
    assert describe_matcher(is_big).startswith("accepted by ")
    assert describe_matcher("a") == "'a'"
    assert describe_matcher(int) == "<class 'int'>"
