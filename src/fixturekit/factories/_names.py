"""Text values that a field's name asks for: ``email``, ``first_name``, ``city``,
``phone``, ``url``... (and their ``_email``/``_url``... suffixes), fitted to length
constraints, or a string matching the field's ``pattern``.

Semantic values come from the per-locale pools of values Faker produced (see
`_random`); emails and urls are assembled from pooled names and words.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from typing import Any

from fixturekit.factories import _random
from fixturekit.factories._build import Build, Gen
from fixturekit.factories._regex import string_matching

__all__ = ["email", "normal_name", "semantic_kind", "text_gen", "url_gen"]


def normal_name(name: str) -> str:
    """A field name as the name tables read it: lower case, no underscores at the ends."""
    return name.lower().strip("_")


#: Field names (lower case, underscores removed at the ends) -> semantic kind.
_TEXT_NAMES: dict[str, str] = {}
for _kind, _names in {
    "email": "email email_address mail contact_email work_email",
    "first_name": "first_name firstname given_name forename",
    "last_name": "last_name lastname surname family_name",
    "name": "name full_name fullname display_name author owner customer contact",
    "user_name": "username user_name login handle nickname nick screen_name",
    "city": "city town",
    "country": "country country_name",
    "country_code": "country_code",
    "state": "state province region",
    "postcode": "zip zipcode zip_code postcode postal_code",
    "street_address": "street street_address address address_line address_line1 address1 line1",
    "phone_number": "phone phone_number mobile telephone tel cell",
    "url": "url website homepage link site_url",
    "company": "company company_name organization organisation org employer",
    "job": "job job_title occupation position_title",
    "sentence": "title headline subject summary caption label",
    "paragraph": "description bio about body text content comment comments note notes message",
    "slug": "slug",
    "password": "password passwd secret password_hash",
    "color_name": "color colour",
    "currency_code": "currency currency_code",
    "language_name": "language",
    "locale": "locale",
    "timezone": "timezone time_zone tz",
    "ipv4": "ip ip_address ipv4 remote_addr",
    "domain_name": "domain hostname host",
    "file_name": "filename file_name",
    "word": "word tag tags keyword category kind type status role",
}.items():
    for _name in _names.split():
        _TEXT_NAMES[_name] = _kind

_SUFFIXES = (
    ("_email", "email"),
    ("_url", "url"),
    ("_phone", "phone_number"),
    ("_city", "city"),
    ("_country", "country"),
    ("_first_name", "first_name"),
    ("_last_name", "last_name"),
    ("_company", "company"),
)

_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")


def semantic_kind(name: str) -> str | None:
    normal = normal_name(name)
    kind = _TEXT_NAMES.get(normal)
    if kind is None:
        for suffix, suffix_kind in _SUFFIXES:
            if normal.endswith(suffix):
                return suffix_kind
    return kind


_folded: dict[str, str] = {}


def _ascii(text: str) -> str:
    value = _folded.get(text)
    if value is None:
        folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        value = _folded[text] = "".join(ch for ch in folded.lower() if ch.isalnum())
    return value


def email(b: Build, max_length: int | None = None) -> str:
    rng = b.rng
    first = _ascii(_random.pooled(b.locale, "first_name", rng)) or "user"
    last = _ascii(_random.pooled(b.locale, "last_name", rng)) or "mail"
    domain = _EMAIL_DOMAINS[int(rng.random() * 3)]
    number = rng.randrange(1000)
    value = f"{first}.{last}{number}@{domain}"
    if max_length is not None and len(value) > max_length:
        room = max(max_length - len(domain) - 1, 1)
        value = f"{(first + last + str(number))[:room]}@{domain}"
    return value


def url_gen(b: Build) -> str:
    domain = _random.pooled(b.locale, "domain_name", b.rng)
    word = _ascii(_random.pooled(b.locale, "word", b.rng)) or "page"
    return f"https://{domain}/{word}"


def _semantic(kind: str) -> Gen:
    if kind == "email":
        return email
    if kind == "url":
        return url_gen
    if kind == "slug":
        return lambda b: "-".join(
            _ascii(_random.pooled(b.locale, "word", b.rng)) or "x" for _ in range(3)
        )
    if kind == "password":
        alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#%+"
        return lambda b: "".join(b.rng.choice(alphabet) for _ in range(16))
    if kind == "ipv4":
        return lambda b: str(ipaddress.IPv4Address(b.rng.randrange(0x0A000001, 0x0AFFFFFE)))
    return lambda b: _random.pooled(b.locale, kind, b.rng)


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _fit(value: str, b: Build, low: int, high: int | None) -> str:
    if high is not None and len(value) > high:
        value = value[:high].rstrip() if high > 0 else ""
        if len(value) < low:
            value = value[:high]
    if len(value) < low:
        value += "".join(b.rng.choice(_LETTERS) for _ in range(low - len(value)))
    return value


def text_gen(name: str, c: dict[str, Any]) -> Gen:
    low = c.get("min_length") or 0
    high = c.get("max_length")
    pattern = c.get("pattern")
    if pattern is not None:
        compiled = re.compile(pattern)
        return lambda b: string_matching(compiled, b.rng, min_length=low, max_length=high)
    kind = semantic_kind(name) or "word"
    if kind == "email":
        return lambda b: _fit(email(b, high), b, low, high)
    base = _semantic(kind)
    if high is None and not low:
        return base
    return lambda b: _fit(str(base(b)), b, low, high)
