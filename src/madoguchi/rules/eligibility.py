"""Who may get which certificate (SPEC.md §3: R-ELIG; §10: R-FACE-1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from madoguchi.rules.dates import age_on
from madoguchi.rules.validity import CertKind

#: R-ELIG-1: the youngest age for a signing certificate (公的個人認証法 art. 3(1), 施行令).
SIGN_MIN_AGE = 15
#: R-ELIG-2: the last day certificates were issued on the old Juki card (住民基本台帳カード).
JUKI_CARD_LAST_DAY = date(2015, 12, 22)


class Ineligibility(StrEnum):
    """Why a certificate may not be issued; the value is the stable code."""

    UNDER_15 = "under_15"
    ADULT_WARD = "adult_ward"
    JUKI_CARD_ENDED = "juki_card_ended"
    FACE_AUTH_CARD = "face_auth_card"

    @property
    def message(self) -> str:
        """The reason in plain Japanese, for the clerk to read out."""
        return {
            Ineligibility.UNDER_15: "15歳未満の方には署名用電子証明書を発行できません。",
            Ineligibility.ADULT_WARD: "成年被後見人の方には署名用電子証明書を発行できません。",
            Ineligibility.JUKI_CARD_ENDED: (
                "住民基本台帳カードの電子証明書の発行・更新は"
                "平成27年12月22日で終了しました。マイナンバーカードで申請してください。"
            ),
            Ineligibility.FACE_AUTH_CARD: (
                "顔認証マイナンバーカードには署名用電子証明書を搭載できません。"
                "暗証番号を設定する通常のカードに切り替えると申請できます。"
            ),
        }[self]


@dataclass(frozen=True, slots=True)
class Eligibility:
    eligible: bool
    reason: Ineligibility | None = None

    @property
    def message(self) -> str:
        return self.reason.message if self.reason else "発行できます。"


def eligibility(
    kind: CertKind,
    *,
    birth: date,
    on: date,
    adult_ward: bool = False,
    juki_card: bool = False,
    face_auth_card: bool = False,
) -> Eligibility:
    """R-ELIG-1, R-ELIG-2, R-FACE-1: may a certificate of ``kind`` be issued to this holder
    on ``on``?

    No signing certificate under 15 on the application date, nor for an adult ward
    (成年被後見人); the auth certificate has no age limit (for a child under 15 the legal
    representative applies). Certificates on the Juki card ended on 2015-12-22. A
    face-authentication card (顔認証マイナンバーカード) has no PINs and no signing certificate
    (the Ordinance as amended on 2023-12-15); its auth certificate is kept and renewed.
    """
    kind = CertKind(kind)
    age = age_on(birth, on)  # also refuses a date of birth after the application date
    if juki_card and on > JUKI_CARD_LAST_DAY:
        return Eligibility(False, Ineligibility.JUKI_CARD_ENDED)
    if kind is CertKind.SIGN and face_auth_card:
        return Eligibility(False, Ineligibility.FACE_AUTH_CARD)
    if kind is CertKind.SIGN:
        if age < SIGN_MIN_AGE:
            return Eligibility(False, Ineligibility.UNDER_15)
        if adult_ward:
            return Eligibility(False, Ineligibility.ADULT_WARD)
    return Eligibility(True)
