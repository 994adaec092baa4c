"""Stripe's documented test cards: one table, what every number and token does.

Each `TestCard` is one number of Stripe's testing page with its brand, country,
funding and outcome; its ``tokens`` are the names after ``pm_card_`` and ``tok_``
(``pm_card_visa``, ``tok_visa``). Payment methods, confirmations, attachments and
3D Secure all read this table; `fixturekit.payments.TEST_CARDS` exposes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from fixturekit.payments._cards import DECLINES, Decline

__all__ = ["AUTHENTICATIONS", "TEST_CARDS", "TestCard", "card_by_number", "card_by_token"]

#: What a card asks of 3D Secure: ``required`` on every charge (off-session ones
#: decline with ``authentication_required``); ``unless_set_up`` on-session, and
#: off-session only when the card is not saved to a customer; ``set_up`` on-session
#: only (the card counts as set up for off-session use); ``optional`` and
#: ``not_supported`` never (the fake does not request 3D Secure on its own).
AUTHENTICATIONS = ("required", "unless_set_up", "set_up", "optional", "not_supported")


@dataclass(frozen=True)
class TestCard:
    """One of Stripe's test card numbers and what using it does.

    ``outcome`` is what a charge ends in (after 3D Secure, for the cards that ask
    for it): ``"succeeded"``, a decline (a key of `FAILURES` such as
    ``"insufficient_funds"``), or ``"incorrect_number"`` for the number that fails
    the Luhn check (refused when the payment method is created).
    """

    __test__ = False  # not a pytest test class

    number: str
    brand: str
    tokens: tuple[str, ...] = ()
    outcome: str = "succeeded"
    funding: str = "credit"
    country: str = "US"
    authentication: str | None = None
    #: Attaches to a customer, but every charge declines (``pm_card_chargeCustomerFail``).
    attach_then_fail: bool = False
    #: ``(address_line1_check, address_postal_code_check)`` of its charges, when fixed.
    address_checks: tuple[str | None, str | None] | None = None
    risk_level: str = "normal"
    display_brand: str | None = None

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def payment_method(self) -> str | None:
        """The first ``pm_card_...`` token of this number, if it has one."""
        return f"pm_card_{self.tokens[0]}" if self.tokens else None

    @property
    def decline(self) -> Decline | None:
        """How its charges decline (after 3D Secure, if it asks), or None."""
        return DECLINES.get(self.outcome)


def _country(code: str, number: str, brand: str = "visa", funding: str = "credit") -> TestCard:
    token = code.lower() if brand == "visa" and funding == "credit" else None
    return TestCard(number, brand, (token,) if token else (), funding=funding, country=code)


_T = TestCard

# fmt: off
TEST_CARDS: tuple[TestCard, ...] = (
    # --- by brand ---------------------------------------------------------------------
    _T("4242424242424242", "visa", ("visa", "us")),
    _T("4000056655665556", "visa", ("visa_debit",), funding="debit"),
    _T("5555555555554444", "mastercard", ("mastercard",)),
    _T("2223003122003222", "mastercard"),
    _T("5200828282828210", "mastercard", ("mastercard_debit",), funding="debit"),
    _T("5105105105105100", "mastercard", ("mastercard_prepaid",), funding="prepaid"),
    _T("378282246310005", "amex", ("amex", "amex_threeDSecureNotSupported"),
       authentication="not_supported"),
    _T("371449635398431", "amex"),
    _T("6011111111111117", "discover", ("discover",)),
    _T("6011000990139424", "discover"),
    _T("6011981111111113", "discover", funding="debit"),
    _T("3056930009020004", "diners", ("diners",)),
    _T("36227206271667", "diners"),
    _T("30569309025904", "diners"),
    _T("38520000023237", "diners"),
    _T("3566002020360505", "jcb", ("jcb",), country="JP"),
    _T("6200000000000005", "unionpay", ("unionpay",), country="CN"),
    _T("6200000000000047", "unionpay", funding="debit", country="CN"),
    _T("6205500000000000004", "unionpay", country="CN"),
    # --- co-branded -------------------------------------------------------------------
    _T("4000002500001001", "visa", ("visa_cartesBancaires",), country="FR",
       display_brand="cartes_bancaires"),
    _T("5555552500001001", "mastercard", ("mastercard_cartesBancaires",), country="FR",
       display_brand="cartes_bancaires"),
    _T("4000050360000001", "visa", ("visa_debit_eftposAuCoBranded",), funding="debit",
       country="AU", display_brand="eftpos_au"),
    _T("5555050360000080", "mastercard", ("mastercard_debit_eftposAuCoBranded",),
       funding="debit", country="AU", display_brand="eftpos_au"),
    # --- by country -------------------------------------------------------------------
    _country("AR", "4000000320000021"),
    _country("BR", "4000000760000002"),
    _country("CA", "4000001240000000"),
    _country("MX", "4000004840008001"),
    _country("AT", "4000000400000008"),
    _country("BE", "4000000560000004"),
    _country("BG", "4000001000000000"),
    _country("BY", "4000001120000005"),
    _country("HR", "4000001910000009"),
    _country("CY", "4000001960000008"),
    _country("CZ", "4000002030000002"),
    _country("DK", "4000002080000001"),
    _country("EE", "4000002330000009"),
    _country("FI", "4000002460000001"),
    _country("FR", "4000002500000003"),
    _country("DE", "4000002760000016"),
    _country("GI", "4000002920000005"),
    _country("GR", "4000003000000030"),
    _country("HU", "4000003480000005"),
    _country("IE", "4000003720000005"),
    _country("IT", "4000003800000008"),
    _country("LV", "4000004280000005"),
    _country("LI", "4000004380000004"),
    _country("LT", "4000004400000000"),
    _country("LU", "4000004420000006"),
    _country("MT", "4000004700000007"),
    _country("NL", "4000005280000002"),
    _country("NO", "4000005780000007"),
    _country("PL", "4000006160000005"),
    _country("PT", "4000006200000007"),
    _country("RO", "4000006420000001"),
    _country("SI", "4000007050000006"),
    _country("SK", "4000007030000001"),
    _country("ES", "4000007240000007"),
    _country("SE", "4000007520000008"),
    _country("CH", "4000007560000009"),
    _country("GB", "4000008260000000"),
    _T("4000058260000005", "visa", ("gb_debit",), funding="debit", country="GB"),
    _T("5555558265554449", "mastercard", ("gb_mastercard",), country="GB"),
    _country("AE", "4000007840000001"),
    _T("5200007840000022", "mastercard", ("ae_mastercard",), country="AE"),
    _country("AU", "4000000360000006"),
    _country("CN", "4000001560000002"),
    _country("HK", "4000003440000004"),
    _country("IN", "4000003560000008"),
    _country("JP", "4000003920000003"),
    _T("3530111333300000", "jcb", country="JP"),
    _country("MY", "4000004580000002"),
    _country("NZ", "4000005540000008"),
    _country("SG", "4000007020000003"),
    _T("4000007640000003", "visa", ("th_credit",), country="TH"),
    _T("4000057640000008", "visa", ("th_debit",), funding="debit", country="TH"),
    # --- declines -----------------------------------------------------------------------
    _T("4000000000000002", "visa", ("visa_chargeDeclined", "chargeDeclined"),
       outcome="generic_decline"),
    _T("4000000000009995", "visa",
       ("visa_chargeDeclinedInsufficientFunds", "chargeDeclinedInsufficientFunds"),
       outcome="insufficient_funds"),
    _T("4000000000009987", "visa", ("visa_chargeDeclinedLostCard", "chargeDeclinedLostCard"),
       outcome="lost_card"),
    _T("4000000000009979", "visa",
       ("visa_chargeDeclinedStolenCard", "chargeDeclinedStolenCard"), outcome="stolen_card"),
    _T("4000000000000069", "visa", ("chargeDeclinedExpiredCard",), outcome="expired_card"),
    _T("4000000000000127", "visa", ("chargeDeclinedIncorrectCvc",), outcome="incorrect_cvc"),
    _T("4000000000000119", "visa", ("chargeDeclinedProcessingError",),
       outcome="processing_error"),
    _T("4000000000006975", "visa", ("visa_chargeDeclinedVelocityLimitExceeded",),
       outcome="card_velocity_exceeded"),
    _T("4000000000000341", "visa", ("chargeCustomerFail",), outcome="generic_decline",
       attach_then_fail=True),
    _T("4242424242424241", "visa", outcome="incorrect_number"),
    # --- fraud prevention ---------------------------------------------------------------
    _T("4100000000000019", "visa", ("radarBlock",), outcome="fraudulent", risk_level="highest"),
    _T("4000000000004954", "visa", ("riskLevelHighest",), outcome="fraudulent",
       risk_level="highest"),
    _T("4000000000009235", "visa", ("riskLevelElevated",), risk_level="elevated"),
    _T("4000000000000101", "visa", ("cvcCheckFail",), outcome="incorrect_cvc"),
    _T("4000000000000010", "visa", ("avsFail",), address_checks=("fail", "fail")),
    _T("4000000000000028", "visa", ("avsLine1Fail",), address_checks=("fail", "pass")),
    _T("4000000000000036", "visa", ("avsZipFail",), address_checks=("pass", "fail")),
    _T("4000000000000044", "visa", ("avsUnchecked",),
       address_checks=("unavailable", "unavailable")),
    # --- balance, disputes and refunds (charges succeed) ----------------------------------
    _T("4000000000000077", "visa", ("bypassPending",)),
    _T("4000003720000278", "visa", ("bypassPendingInternational",), country="IE"),
    _T("4000000000000093", "visa", ("domesticPricing",)),
    _T("4000000000000259", "visa", ("createDispute",)),
    _T("4000000000002685", "visa", ("createDisputeProductNotReceived",)),
    _T("4000000000001976", "visa", ("createDisputeInquiry",)),
    _T("4000000000005423", "visa", ("createIssuerFraudRecord",)),
    _T("4000000000007726", "visa", ("pendingRefund",)),
    _T("4000000000005126", "visa", ("refundFail",)),
    # --- 3D Secure ----------------------------------------------------------------------
    _T("4000002500003155", "visa", ("authenticationRequiredOnSetup",),
       authentication="unless_set_up"),
    _T("4000002760003184", "visa", ("authenticationRequired",), authentication="required",
       country="DE"),
    _T("4000003800000446", "visa", ("authenticationRequiredSetupForOffSession",),
       authentication="set_up", country="IT"),
    _T("4000008260003178", "visa", ("authenticationRequiredChargeDeclinedInsufficientFunds",),
       authentication="required", outcome="insufficient_funds", country="GB"),
    _T("4000000000003220", "visa", ("threeDSecure2Required",), authentication="required"),
    _T("4000000000003063", "visa", ("threeDSecureRequired",), authentication="required"),
    _T("4000008400001629", "visa", ("threeDSecureRequiredChargeDeclined",),
       authentication="required", outcome="generic_decline"),
    _T("4000008400001280", "visa", ("threeDSecureRequiredProcessingError",),
       authentication="required", outcome="processing_error"),
    _T("4000000000003055", "visa", ("threeDSecureOptional",), authentication="optional"),
    _T("4000000000003097", "visa", ("threeDSecureOptionalProcessingError",),
       authentication="optional"),
    _T("4000000032200000", "visa", authentication="optional"),
)
# fmt: on

_BY_NUMBER = {card.number: card for card in TEST_CARDS}
_BY_TOKEN = {token: card for card in TEST_CARDS for token in card.tokens}


def card_by_number(number: str) -> TestCard | None:
    return _BY_NUMBER.get(number)


def card_by_token(name: str) -> TestCard | None:
    """The card behind ``pm_card_<name>`` or ``tok_<name>``."""
    return _BY_TOKEN.get(name)
