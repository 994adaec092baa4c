"""Declines, card-number checks and the currencies the fake accepts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

__all__ = [
    "CURRENCIES",
    "DECLINES",
    "MINIMUM_AMOUNTS",
    "THREE_DECIMAL_CURRENCIES",
    "ZERO_DECIMAL_CURRENCIES",
    "Decline",
    "format_amount",
    "luhn_ok",
]


@dataclass(frozen=True)
class Decline:
    """How a declined charge fails: Stripe's ``code``, ``decline_code``, message and param."""

    code: str
    decline_code: str
    message: str
    param: str | None = None


#: Declines by the name ``fail_next()`` takes (a ``decline_code`` or an error code).
DECLINES: dict[str, Decline] = {
    "generic_decline": Decline("card_declined", "generic_decline", "Your card was declined."),
    "insufficient_funds": Decline(
        "card_declined", "insufficient_funds", "Your card has insufficient funds."
    ),
    "lost_card": Decline("card_declined", "lost_card", "Your card was declined."),
    "stolen_card": Decline("card_declined", "stolen_card", "Your card was declined."),
    "fraudulent": Decline("card_declined", "fraudulent", "Your card was declined."),
    "card_velocity_exceeded": Decline(
        "card_declined",
        "card_velocity_exceeded",
        "Your card was declined for making repeated attempts too frequently or exceeding "
        "its amount limit.",
    ),
    "expired_card": Decline(
        "expired_card", "expired_card", "Your card has expired.", param="exp_month"
    ),
    "incorrect_cvc": Decline(
        "incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect.", param="cvc"
    ),
    "processing_error": Decline(
        "processing_error",
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
}
DECLINES["card_declined"] = DECLINES["generic_decline"]


def brand_of(number: str) -> str:
    """The brand of a card number that is not one of the test cards."""
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    if number.startswith(("6011", "65")):
        return "discover"
    if number.startswith("35"):
        return "jcb"
    if number.startswith("62"):
        return "unionpay"
    if number[:2] in {"30", "36", "38", "39"}:
        return "diners"
    return "unknown"


def luhn_ok(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = ord(char) - 48
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def fingerprint(number: str) -> str:
    return hashlib.sha256(b"fixturekit-card:" + number.encode()).hexdigest()[:16]


#: ISO 4217 codes Stripe accepts for card payments (lowercase, as the API returns them).
CURRENCIES = frozenset(
    [
        "usd",
        "aed",
        "afn",
        "all",
        "amd",
        "ang",
        "aoa",
        "ars",
        "aud",
        "awg",
        "azn",
        "bam",
        "bbd",
        "bdt",
        "bgn",
        "bhd",
        "bif",
        "bmd",
        "bnd",
        "bob",
        "brl",
        "bsd",
        "bwp",
        "byn",
        "bzd",
        "cad",
        "cdf",
        "chf",
        "clp",
        "cny",
        "cop",
        "crc",
        "cve",
        "czk",
        "djf",
        "dkk",
        "dop",
        "dzd",
        "egp",
        "etb",
        "eur",
        "fjd",
        "fkp",
        "gbp",
        "gel",
        "gip",
        "gmd",
        "gnf",
        "gtq",
        "gyd",
        "hkd",
        "hnl",
        "htg",
        "huf",
        "idr",
        "ils",
        "inr",
        "isk",
        "jmd",
        "jod",
        "jpy",
        "kes",
        "kgs",
        "khr",
        "kmf",
        "krw",
        "kwd",
        "kyd",
        "kzt",
        "lak",
        "lbp",
        "lkr",
        "lrd",
        "lsl",
        "mad",
        "mdl",
        "mga",
        "mkd",
        "mmk",
        "mnt",
        "mop",
        "mur",
        "mvr",
        "mwk",
        "mxn",
        "myr",
        "mzn",
        "nad",
        "ngn",
        "nio",
        "nok",
        "npr",
        "nzd",
        "omr",
        "pab",
        "pen",
        "pgk",
        "php",
        "pkr",
        "pln",
        "pyg",
        "qar",
        "ron",
        "rsd",
        "rub",
        "rwf",
        "sar",
        "sbd",
        "scr",
        "sek",
        "sgd",
        "shp",
        "sle",
        "sos",
        "srd",
        "std",
        "szl",
        "thb",
        "tjs",
        "tnd",
        "top",
        "try",
        "ttd",
        "twd",
        "tzs",
        "uah",
        "ugx",
        "uyu",
        "uzs",
        "vnd",
        "vuv",
        "wst",
        "xaf",
        "xcd",
        "xof",
        "xpf",
        "yer",
        "zar",
        "zmw",
    ]
)

#: Currencies without a minor unit: ``amount=500`` in ``jpy`` is ¥500.
ZERO_DECIMAL_CURRENCIES = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)
#: Currencies with three decimals; Stripe wants their amounts to end in 0.
THREE_DECIMAL_CURRENCIES = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])

#: Stripe's published minimum charge amounts, in the smallest unit. Other currencies
#: need the equivalent of USD 0.50 at the day's rate, which the fake cannot know: it
#: only requires at least one unit there.
MINIMUM_AMOUNTS: dict[str, int] = {
    "usd": 50,
    "aed": 200,
    "aud": 50,
    "bgn": 100,
    "brl": 50,
    "cad": 50,
    "chf": 50,
    "czk": 1500,
    "dkk": 250,
    "eur": 50,
    "gbp": 30,
    "hkd": 400,
    "huf": 17500,
    "inr": 50,
    "jpy": 50,
    "mxn": 1000,
    "myr": 200,
    "nok": 300,
    "nzd": 50,
    "pln": 200,
    "ron": 200,
    "sek": 300,
    "sgd": 50,
    "thb": 1000,
}

#: The largest amount Stripe takes: eight digits in the smallest unit.
MAXIMUM_AMOUNT = 99_999_999

_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "aud": "$", "cad": "$", "nzd": "$"}


def decimals(currency: str) -> int:
    if currency in ZERO_DECIMAL_CURRENCIES:
        return 0
    if currency in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def format_amount(amount: int, currency: str) -> str:
    """``format_amount(50, "usd") == "$0.50"``, as Stripe's messages write amounts."""
    places = decimals(currency)
    value = f"{amount / 10**places:,.{places}f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{value}" if symbol else f"{value} {currency.upper()}"
