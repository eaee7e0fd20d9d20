"""The input of every letter: plain frozen dataclasses (str, date, int, tuples).

The services layer fills them from its records; the renderers in :mod:`madoguchi.letters.render`
turn them into PDF bytes and never look anything up. A few helpers build the item lists from
the procedure table of :mod:`madoguchi.rules.procedures`, so a letter says exactly what the
counter will ask for (SPEC.md §4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from madoguchi.rules.items import ITEM_LABELS, ITEM_NOTES
from madoguchi.rules.offices import Office
from madoguchi.rules.procedures import PROCEDURES, ProcedureId, Step


@dataclass(frozen=True, slots=True)
class Addressee:
    """The holder as registered: the letter goes to this address only (R-PROC-2, R-NOTICE-1)."""

    name: str
    address: str
    postal_code: str = ""  # "080-0015"; printed as 〒080-0015 when given


@dataclass(frozen=True, slots=True)
class CityContact:
    """Who sends the letter and where the holder or the proxy goes (R-PROC-0: the main office)."""

    city: str  # 帯広市
    office_name: str  # 本庁
    desk: str  # 戸籍住民課 マイナンバーカード交付担当（市庁舎水道棟3階 大会議室）
    address: str  # 〒080-8670 帯広市西5条南7丁目1番地
    phone: str  # 0155-65-4234
    hours: str  # 8時45分〜17時30分（土日祝日・年末年始を除く）

    @classmethod
    def from_office(cls, city: str, office: Office, closed_days: str = "") -> CityContact:
        """The contact block of an office of :mod:`madoguchi.rules.offices`."""
        hours = office.hours_text() + (f"（{closed_days}）" if closed_days else "")
        return cls(city, office.name, office.desk, office.address, office.phone, hours)


@dataclass(frozen=True, slots=True)
class InquiryLetterDoc:
    """照会書 with its 委任状, mailed to the holder after a proxy's first visit (P2, P5; R-PROC-2)."""

    number: str  # the letter number, e.g. 2026-000001-7 (rules.inquiry.format_letter_number)
    issued_on: date
    addressee: Addressee
    procedure: str  # "P2" (new) or "P5" (renewal)
    proxy_visit_items: tuple[str, ...]  # labels of what the proxy brings at the second visit
    contact: CityContact
    case_id: str


@dataclass(frozen=True, slots=True)
class ExpiringItem:
    label: str  # 署名用電子証明書, 利用者証明用電子証明書, マイナンバーカード
    expires: date


@dataclass(frozen=True, slots=True)
class ExpiryNoticeDoc:
    """有効期限通知書 with the proxy's 照会書兼回答書 and 委任状 (R-NOTICE-1, R-NOTICE-2)."""

    number: str  # the notice number (R-NOTICE-4)
    issued_on: date
    addressee: Addressee
    items: tuple[ExpiringItem, ...]  # the certificates that expire
    in_person_items: tuple[str, ...]  # what to bring in person (P3)
    proxy_items: tuple[str, ...]  # what a proxy brings (P4)
    contact: CityContact
    card_expires: date | None  # the card itself expires then (R-NOTICE-2)
    card_renewal_url: str | None  # the card-renewal application, printed as a QR code
    paused_note: str | None = None  # an apology for a notice deferred by a pause (R-NOTICE-3)
    #: who sends it, one line each (the CA operator's name, R-NAT-2); empty: 「帯広市長」
    sender: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CertificateOnCard:
    kind_label: str  # 署名用電子証明書 / 利用者証明用電子証明書 (rules.validity.CertKind.label)
    serial_hex: str
    not_before: date
    not_after: date
    issuer: str


@dataclass(frozen=True, slots=True)
class CertificateCopyDoc:
    """電子証明書の写し, printed at issuance on request (R-PROC-5).

    ``birth``, ``gender_label`` and ``address`` are the facts of the signing certificate;
    all ``None`` when no signing certificate was issued (a holder under 15, R-ELIG-1).
    """

    issued_on: date
    holder_name: str
    birth: date | None
    gender_label: str | None
    address: str | None
    card_id: str
    certificates: tuple[CertificateOnCard, ...]
    contact: CityContact

    @property
    def face_expiry(self) -> date | None:
        """The date the clerk writes in the card's 電子証明書の有効期限 field (R-PROC-5).

        The latest expiry of the certificates on the card: the signing certificate never
        outlives the authentication certificate (R-VAL-1), so this is the latter's.
        """
        return max((c.not_after for c in self.certificates), default=None)


@dataclass(frozen=True, slots=True)
class ReceiptDoc:
    """領収書 for the fee of one issuance or renewal (R-PROC-4)."""

    receipt_no: str
    issued_on: date
    holder_name: str
    description: str  # 電子証明書の更新（署名用・利用者証明用）
    standard_yen: int  # the fee of the schedule, 200
    due_yen: int  # what was charged, 0 while waived
    waiver: str | None  # the measure that waives it, e.g. 国の規程の経過措置により無料
    contact: CityContact
    case_id: str
    reason: str | None = None  # R-FEE: why the card is in hand, e.g. 電子証明書の更新
    note: str | None = None  # R-FEE-2: why the waiver does not apply


def requirement_labels(procedure: ProcedureId | str, step: Step | str) -> tuple[str, ...]:
    """The printed checklist of one visit of ``procedure``: each requirement's label.

    A choice reads "A、またはB"; an optional item (the expiry notice in P3) is marked
    「（お持ちの場合）」. Used for the notice's lists (P3, P4) and the inquiry letter's second
    visit (P2, P5).
    """
    proc = PROCEDURES[ProcedureId(procedure)]
    visit = next(v for v in proc.visits if v.step is Step(step))
    return tuple(r.label + ("（お持ちの場合）" if r.optional else "") for r in visit.requirements)


def item_note(label: str) -> str:
    """The explanatory note of an item given by its label, or "" (rules.items.ITEM_NOTES).

    Choice labels ("A、またはB") get no note: the choice itself is the explanation.
    """
    bare = label.removesuffix("（お持ちの場合）")
    return next(
        (ITEM_NOTES.get(item, "") for item, text in ITEM_LABELS.items() if text == bare), ""
    )
