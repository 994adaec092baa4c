"""Stripe's well-known test cards and the currencies the fake accepts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

__all__ = [
    "CURRENCIES",
    "DECLINES",
    "MINIMUM_AMOUNTS",
    "TEST_CARDS",
    "THREE_DECIMAL_CURRENCIES",
    "ZERO_DECIMAL_CURRENCIES",
    "Decline",
    "TestCard",
    "card_by_number",
    "card_by_token",
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


@dataclass(frozen=True)
class TestCard:
    """One of Stripe's documented test card numbers and what charging it does."""

    __test__ = False  # not a pytest test class

    number: str
    brand: str
    token: str  # the name after ``pm_card_`` / ``tok_``
    outcome: str  # "succeeded", "requires_action", or a key of DECLINES
    funding: str = "credit"
    country: str = "US"
    #: True for the card that attaches to a customer but whose charges fail.
    attach_then_fail: bool = False

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def payment_method(self) -> str:
        return f"pm_card_{self.token}"

    @property
    def decline(self) -> Decline | None:
        return DECLINES.get(self.outcome)


TEST_CARDS: tuple[TestCard, ...] = (
    TestCard("4242424242424242", "visa", "visa", "succeeded"),
    TestCard("4000056655665556", "visa", "visa_debit", "succeeded", funding="debit"),
    TestCard("5555555555554444", "mastercard", "mastercard", "succeeded"),
    TestCard("5200828282828210", "mastercard", "mastercard_debit", "succeeded", funding="debit"),
    TestCard("378282246310005", "amex", "amex", "succeeded"),
    TestCard("6011111111111117", "discover", "discover", "succeeded"),
    TestCard("3566002020360505", "jcb", "jcb", "succeeded", country="JP"),
    TestCard("6200000000000005", "unionpay", "unionpay", "succeeded", country="CN"),
    TestCard("4000000000000002", "visa", "visa_chargeDeclined", "generic_decline"),
    TestCard(
        "4000000000009995", "visa", "visa_chargeDeclinedInsufficientFunds", "insufficient_funds"
    ),
    TestCard("4000000000009987", "visa", "visa_chargeDeclinedLostCard", "lost_card"),
    TestCard("4000000000009979", "visa", "visa_chargeDeclinedStolenCard", "stolen_card"),
    TestCard("4000000000000069", "visa", "chargeDeclinedExpiredCard", "expired_card"),
    TestCard("4000000000000127", "visa", "chargeDeclinedIncorrectCvc", "incorrect_cvc"),
    TestCard("4000000000000119", "visa", "chargeDeclinedProcessingError", "processing_error"),
    TestCard(
        "4000000000006975",
        "visa",
        "visa_chargeDeclinedVelocityLimitExceeded",
        "card_velocity_exceeded",
    ),
    TestCard("4100000000000019", "visa", "radarBlock", "fraudulent"),
    TestCard(
        "4000000000000341",
        "visa",
        "chargeCustomerFail",
        "generic_decline",
        attach_then_fail=True,
    ),
    TestCard("4000002760003184", "visa", "authenticationRequired", "requires_action"),
    TestCard("4000002500003155", "visa", "authenticationRequiredOnSetup", "requires_action"),
    TestCard("4000000000003220", "visa", "threeDSecure2Required", "requires_action"),
)

_BY_NUMBER = {card.number: card for card in TEST_CARDS}
_BY_TOKEN = {card.token: card for card in TEST_CARDS}
# The older, brand-less names of the decline tokens (``tok_chargeDeclined``, ...).
_BY_TOKEN.update(
    {
        legacy: _BY_TOKEN[f"visa_{legacy}"]
        for legacy in (
            "chargeDeclined",
            "chargeDeclinedInsufficientFunds",
            "chargeDeclinedLostCard",
            "chargeDeclinedStolenCard",
        )
    }
)


def card_by_number(number: str) -> TestCard | None:
    return _BY_NUMBER.get(number)


def card_by_token(name: str) -> TestCard | None:
    """The card behind ``pm_card_<name>`` or ``tok_<name>``."""
    return _BY_TOKEN.get(name)


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
