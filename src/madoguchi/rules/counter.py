"""What happens at the issuing counter and who may learn an expiry date (SPEC.md §4).

R-PROC-5 (PINs set and expiry told at issuance), R-PROC-6 (keys generated on the card and
kept nowhere else) and R-PROC-7 (no expiry over the telephone).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from madoguchi.rules.pins import PinKind
from madoguchi.rules.validity import CertKind


def pins_set_at_issuance(kinds: Iterable[CertKind]) -> tuple[PinKind, ...]:
    """R-PROC-5: the holder sets the PIN of every certificate issued (R-PIN-1)."""
    wanted = {CertKind(k) for k in kinds}
    return tuple(
        pin
        for kind, pin in ((CertKind.SIGN, PinKind.SIGN), (CertKind.AUTH, PinKind.AUTH))
        if kind in wanted
    )


class IssuanceStep(StrEnum):
    """R-PROC-5, R-PROC-6: the order of one issuance at the counter."""

    CHECK_ITEMS = "check_items"
    SET_PINS = "set_pins"
    GENERATE_KEYS_ON_CARD = "generate_keys_on_card"  # the private key never leaves the card
    PROVE_POSSESSION = "prove_possession"  # the card signs; only the public key goes to the CA
    CA_ISSUES = "ca_issues"
    WRITE_TO_CARD = "write_to_card"
    SUPERSEDE_OLD = "supersede_old"  # R-VAL-4: in the same transaction as the new record
    TELL_EXPIRY = "tell_expiry"  # written in the 電子証明書の有効期限 field on the card's face
    PRINT_COPY = "print_copy"  # 電子証明書の写し, on request
    RECEIPT = "receipt"


ISSUANCE_STEPS: tuple[IssuanceStep, ...] = tuple(IssuanceStep)


class LookupMeans(StrEnum):
    """How someone asks for a certificate's expiry (R-PROC-7)."""

    CARD = "card"
    CERTIFICATE = "certificate"
    COPY = "copy"  # 電子証明書の写し
    CLERK_SESSION = "clerk_session"
    TELEPHONE = "telephone"
    NAME = "name"  # a name, a date of birth or any number typed by a stranger


_LOOKUP_ALLOWED = frozenset(
    {LookupMeans.CARD, LookupMeans.CERTIFICATE, LookupMeans.COPY, LookupMeans.CLERK_SESSION}
)


def expiry_lookup_allowed(means: LookupMeans) -> bool:
    """R-PROC-7: expiry is told only from the card, the certificate, the copy, or to a clerk's
    authenticated session; never by telephone or from a name or number."""
    return LookupMeans(means) in _LOOKUP_ALLOWED


EXPIRY_LOOKUP_REFUSAL = "電話での有効期限のお問い合わせにはお答えできません。"
