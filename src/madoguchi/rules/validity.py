"""How long certificates and cards are valid (SPEC.md §3: R-VAL, R-CARD; §10: R-CARD-2).

The law: 公的個人認証法施行規則 (the Ordinance) art. 13 (signing) and art. 49 (user
authentication); the card ordinance art. 26 (the card). All dates are JST calendar dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from madoguchi.rules.dates import age_on, nth_birthday_after, three_months_before
from madoguchi.rules.errors import RuleInputError


class CertKind(StrEnum):
    """The two certificates on a card (SPEC.md §1)."""

    SIGN = "sign"  # 署名用電子証明書
    AUTH = "auth"  # 利用者証明用電子証明書

    @property
    def label(self) -> str:
        return CERT_KIND_LABELS[self]


CERT_KIND_LABELS: dict[CertKind, str] = {
    CertKind.SIGN: "署名用電子証明書",
    CertKind.AUTH: "利用者証明用電子証明書",
}


class Limit(StrEnum):
    """What fixed a certificate's expiry date."""

    BIRTHDAY = "birthday"
    AUTH_CERTIFICATE = "auth_certificate"
    CARD = "card"

    @property
    def label(self) -> str:
        return {
            Limit.BIRTHDAY: "誕生日",
            Limit.AUTH_CERTIFICATE: "利用者証明用電子証明書の有効期限",
            Limit.CARD: "マイナンバーカードの有効期限",
        }[self]


#: Birthdays counted for a new certificate (R-VAL-1, R-VAL-2) and for an early renewal (R-VAL-3).
STANDARD_BIRTHDAYS = 5
EARLY_RENEWAL_BIRTHDAYS = 6


@dataclass(frozen=True, slots=True)
class CertExpiry:
    """The expiry of a certificate issued on a given date, and why it is that date."""

    expires_on: date
    limited_by: Limit
    birthday: int
    birthday_date: date
    early_renewal: bool


def renewal_window_opens(current_expiry: date) -> date:
    """R-VAL-3: the first day on which a renewal runs to the 6th birthday.

    The law asks for a remaining period of *less than* three months, so the window opens the
    day after "three months before expiry" (R-DATE-4): 2026-06-15 → 2026-03-16. The page's
    "from three months before" is one day early; the law wins.
    """
    return three_months_before(current_expiry) + timedelta(days=1)


def in_renewal_window(issued: date, current_expiry: date) -> bool:
    """R-VAL-3: the old certificate is still valid on ``issued`` with under three months left.

    A certificate "valid until D" is valid all of D (R-DATE-1), so D itself is inside.
    """
    return renewal_window_opens(current_expiry) <= issued <= current_expiry


def renewal_offered(on: date, current_expiry: date) -> bool:
    """R-PROC-3: renewal (P3–P5) is offered inside the window (R-VAL-3) or after expiry (R-VAL-5)."""
    return on >= renewal_window_opens(current_expiry)


def certificate_expiry(
    kind: CertKind,
    *,
    birth: date,
    issued: date,
    card_expiry: date,
    auth_expiry: date | None = None,
    replacing: date | None = None,
) -> CertExpiry:
    """R-VAL-1, R-VAL-2, R-VAL-3: the expiry date of a certificate issued on ``issued``.

    ``replacing`` is the expiry of the certificate of the same kind the holder holds when the
    new one is issued (None when there is none). Inside the renewal window the 6th birthday
    after issuance counts instead of the 5th; after the old one expired it is the 5th again.
    ``auth_expiry`` (signing certificates only) is the holder's current user-authentication
    certificate, which caps the signing certificate (Ordinance art. 13).

    The earliest limit wins; on a tie the limit named first in the ordinance is reported
    (birthday, then the auth certificate, then the card).
    """
    kind = CertKind(kind)
    if birth > issued:
        raise RuleInputError("born_after_issue", "the date of birth is after the issue date")
    if card_expiry < issued:
        raise RuleInputError("card_expired", "the card has expired before the issue date")
    if auth_expiry is not None:
        if kind is not CertKind.SIGN:
            raise RuleInputError(
                "auth_expiry_for_auth", "auth_expiry caps signing certificates only"
            )
        if auth_expiry < issued:
            raise RuleInputError(
                "auth_expired", "the auth certificate expired before the issue date"
            )
    early = replacing is not None and in_renewal_window(issued, replacing)
    count = EARLY_RENEWAL_BIRTHDAYS if early else STANDARD_BIRTHDAYS
    birthday_date = nth_birthday_after(birth, issued, count)
    candidates: list[tuple[date, Limit]] = [(birthday_date, Limit.BIRTHDAY)]
    if auth_expiry is not None:
        candidates.append((auth_expiry, Limit.AUTH_CERTIFICATE))
    candidates.append((card_expiry, Limit.CARD))
    expires_on, limited_by = min(candidates, key=lambda c: c[0])  # min is stable: first wins
    return CertExpiry(expires_on, limited_by, count, birthday_date, early)


#: R-CARD-1: the age of majority for the card's term; 20 before 2022-04-01 (民法改正).
ADULT_AGE_FROM_2022 = 18
ADULT_AGE_BEFORE_2022 = 20
MAJORITY_REFORM = date(2022, 4, 1)
CARD_BIRTHDAYS_ADULT = 10
CARD_BIRTHDAYS_MINOR = 5


def card_adult_age(created: date) -> int:
    """R-CARD-1: the age from which a card gets the 10-birthday term, on its creation date."""
    return ADULT_AGE_FROM_2022 if created >= MAJORITY_REFORM else ADULT_AGE_BEFORE_2022


class ResidenceStatus(StrEnum):
    """R-CARD-2: a foreign resident's status as far as the card's term is concerned."""

    PERMANENT = "permanent"  # 永住者
    SPECIAL_PERMANENT = "special_permanent"  # 特別永住者
    HIGHLY_SKILLED_2 = "highly_skilled_2"  # 高度専門職2号 (no period of stay)
    OTHER = "other"  # every other status: a period of stay

    @property
    def has_period_of_stay(self) -> bool:
        """R-CARD-2: every status but 永住者, 特別永住者 and 高度専門職2号 has one."""
        return self is ResidenceStatus.OTHER

    @property
    def label(self) -> str:
        return {
            ResidenceStatus.PERMANENT: "永住者",
            ResidenceStatus.SPECIAL_PERMANENT: "特別永住者",
            ResidenceStatus.HIGHLY_SKILLED_2: "高度専門職2号",
            ResidenceStatus.OTHER: "在留期間のある在留資格",
        }[self]


@dataclass(frozen=True, slots=True)
class CardExpiry:
    """A card's expiry and how it was reached (R-CARD-1)."""

    expires_on: date
    birthday: int
    age_at_creation: int
    limited_by_stay: bool


def card_expiry(
    birth: date,
    created: date,
    *,
    stay_until: date | None = None,
    status: ResidenceStatus | None = None,
) -> CardExpiry:
    """R-CARD-1, R-CARD-2: the card's expiry date (card ordinance art. 26).

    Created at the adult age (18, or 20 before 2022-04-01) or over: the 10th birthday after
    creation; under it: the 5th. A foreign resident with a period of stay (``stay_until``;
    None for permanent residents and citizens): the card ends with that period if earlier,
    never later than the birthday rule. ``status`` (None: not said, as before) says which
    foreign residents have a period of stay: every status but 永住者, 特別永住者 and
    高度専門職2号; for those three a ``stay_until`` is an input error, and ``other`` needs one.
    """
    if birth > created:
        raise RuleInputError(
            "born_after_creation", "the date of birth is after the card's creation"
        )
    if status is not None:
        status = ResidenceStatus(status)
        if status.has_period_of_stay and stay_until is None:
            raise RuleInputError("stay_required", "a status with a period of stay needs its end")
        if not status.has_period_of_stay and stay_until is not None:
            raise RuleInputError(
                "no_period_of_stay", f"status {status.value} has no period of stay"
            )
    age = age_on(birth, created)
    count = CARD_BIRTHDAYS_ADULT if age >= card_adult_age(created) else CARD_BIRTHDAYS_MINOR
    expires = nth_birthday_after(birth, created, count)
    by_stay = False
    if stay_until is not None:
        if stay_until < created:
            raise RuleInputError(
                "stay_ended", "the period of stay ended before the card's creation"
            )
        if stay_until < expires:
            expires, by_stay = stay_until, True
    return CardExpiry(expires, count, age, by_stay)
