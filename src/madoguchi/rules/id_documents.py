"""ID documents after the end of health-insurance cards (SPEC.md §10: R-ID-1…3).

Replaces the detail of R-PROC-1: every document has a code and a group — A (a photo ID issued
by a public office), B-public (ア: issued by a public body, no photo) and B-other (イ:
anything else that names the person). Who must show what is a combination rule, which is
configuration (municipalities differ); :data:`DEFAULT_ID_RULE` is SPEC's default. The
health-insurance card ended on 2025-12-01 at the latest (its replacement is the 資格確認書).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from itertools import permutations
from typing import Final

from madoguchi.rules.dates import format_japanese
from madoguchi.rules.errors import RuleInputError
from madoguchi.rules.items import IdRole


class IdGroup(StrEnum):
    """R-ID-1: the three groups of ID documents."""

    A = "A"  # 官公署発行の顔写真つき証明書
    B_PUBLIC = "B-public"  # ア: 公的機関発行、顔写真なし
    B_OTHER = "B-other"  # イ: その他、本人の氏名が書かれたもの

    @property
    def label(self) -> str:
        return {
            IdGroup.A: "官公署が発行した顔写真つきの証明書",
            IdGroup.B_PUBLIC: "公的機関が発行した顔写真のない書類",
            IdGroup.B_OTHER: "本人の氏名が書かれたその他の書類",
        }[self]


class IdDocument(StrEnum):
    """R-ID-1: the documents, by the codes SPEC.md gives them."""

    DRIVER_LICENSE = "driver_license"
    DRIVING_RECORD = "driving_record"
    PASSPORT = "passport"
    MY_NUMBER_CARD = "my_number_card"  # the proxy's own card
    RESIDENCE_CARD = "residence_card"
    SPECIAL_PERMANENT_RESIDENT_CERTIFICATE = "special_permanent_resident_certificate"
    DISABILITY_CERTIFICATE = "disability_certificate"
    PUBLIC_PHOTO_ID = "public_photo_id"
    QUALIFICATION_CERTIFICATE = "qualification_certificate"
    HEALTH_INSURANCE_CARD = "health_insurance_card"
    CARE_INSURANCE_CARD = "care_insurance_card"
    PENSION_DOCUMENT = "pension_document"
    MEDICAL_BENEFIT_CERTIFICATE = "medical_benefit_certificate"
    WELFARE_CERTIFICATE = "welfare_certificate"
    STUDENT_ID = "student_id"
    EMPLOYEE_ID = "employee_id"
    BANK_BOOK = "bank_book"
    BANK_CARD = "bank_card"
    PATIENT_CARD = "patient_card"
    OTHER_NAMED_DOCUMENT = "other_named_document"

    @property
    def group(self) -> IdGroup:
        return ID_DOCUMENT_GROUPS[self]

    @property
    def label(self) -> str:
        return ID_DOCUMENT_LABELS[self]


D, G = IdDocument, IdGroup

#: R-ID-1: each document's group.
ID_DOCUMENT_GROUPS: Final[dict[IdDocument, IdGroup]] = {
    **{
        d: G.A
        for d in (
            D.DRIVER_LICENSE,
            D.DRIVING_RECORD,
            D.PASSPORT,
            D.MY_NUMBER_CARD,
            D.RESIDENCE_CARD,
            D.SPECIAL_PERMANENT_RESIDENT_CERTIFICATE,
            D.DISABILITY_CERTIFICATE,
            D.PUBLIC_PHOTO_ID,
        )
    },
    **{
        d: G.B_PUBLIC
        for d in (
            D.QUALIFICATION_CERTIFICATE,
            D.HEALTH_INSURANCE_CARD,
            D.CARE_INSURANCE_CARD,
            D.PENSION_DOCUMENT,
            D.MEDICAL_BENEFIT_CERTIFICATE,
            D.WELFARE_CERTIFICATE,
        )
    },
    **{
        d: G.B_OTHER
        for d in (
            D.STUDENT_ID,
            D.EMPLOYEE_ID,
            D.BANK_BOOK,
            D.BANK_CARD,
            D.PATIENT_CARD,
            D.OTHER_NAMED_DOCUMENT,
        )
    },
}

ID_DOCUMENT_LABELS: Final[dict[IdDocument, str]] = {
    D.DRIVER_LICENSE: "運転免許証",
    D.DRIVING_RECORD: "運転経歴証明書",
    D.PASSPORT: "旅券（パスポート）",
    D.MY_NUMBER_CARD: "マイナンバーカード（代理人本人のもの）",
    D.RESIDENCE_CARD: "在留カード",
    D.SPECIAL_PERMANENT_RESIDENT_CERTIFICATE: "特別永住者証明書",
    D.DISABILITY_CERTIFICATE: "身体障害者手帳・精神障害者保健福祉手帳・療育手帳（顔写真つき）",
    D.PUBLIC_PHOTO_ID: "その他官公署が発行した顔写真つきの証明書",
    D.QUALIFICATION_CERTIFICATE: "資格確認書",
    D.HEALTH_INSURANCE_CARD: "健康保険証",
    D.CARE_INSURANCE_CARD: "介護保険被保険者証",
    D.PENSION_DOCUMENT: "年金手帳・年金証書・基礎年金番号通知書",
    D.MEDICAL_BENEFIT_CERTIFICATE: "医療受給者証",
    D.WELFARE_CERTIFICATE: "生活保護受給者証",
    D.STUDENT_ID: "学生証",
    D.EMPLOYEE_ID: "社員証",
    D.BANK_BOOK: "預金通帳",
    D.BANK_CARD: "キャッシュカード・クレジットカード",
    D.PATIENT_CARD: "診察券",
    D.OTHER_NAMED_DOCUMENT: "その他、本人の氏名が書かれた書類",
}

#: One slot of a combination: a document of one of these groups.
Slot = frozenset[IdGroup]
#: One way to satisfy the rule: documents of distinct codes filling every slot.
Way = tuple[Slot, ...]

_A: Slot = frozenset({G.A})
_PUBLIC: Slot = frozenset({G.B_PUBLIC})
_ANY_B: Slot = frozenset({G.B_PUBLIC, G.B_OTHER})


@dataclass(frozen=True, slots=True)
class IdCombinationRule:
    """R-ID-2 as configuration: for each role, the ways documents may be combined."""

    holder: tuple[Way, ...]
    proxy: tuple[Way, ...]

    def ways(self, role: IdRole) -> tuple[Way, ...]:
        return self.holder if IdRole(role) is IdRole.HOLDER else self.proxy


#: R-ID-2, SPEC's default: the holder one A or one B-public; the proxy one A, or two B of
#: different codes of which at least one is B-public (two B-other never suffice — our reading
#: of the municipalities' general ID lists, e.g. Amagasaki's 「ア+ア または ア+イ」).
DEFAULT_ID_RULE: Final = IdCombinationRule(
    holder=((_A,), (_PUBLIC,)),
    proxy=((_A,), (_PUBLIC, _ANY_B)),
)

#: R-ID-2 as some municipalities have it: a proxy only with a photo ID (a configuration
#: example; not the default).
PHOTO_ONLY_PROXY_RULE: Final = IdCombinationRule(holder=DEFAULT_ID_RULE.holder, proxy=((_A,),))

#: R-ID-3: no health-insurance card stayed valid after this day (new cards stopped 2024-12-02).
HEALTH_INSURANCE_CARD_LAST_DAY: Final = date(2025, 12, 1)


def health_insurance_card_accepted(on: date, *, printed_expiry: date | None = None) -> bool:
    """R-ID-3: the health-insurance card counts up to 2025-12-01 at the latest; an earlier
    expiry printed on the card (the counter asks) ends it sooner."""
    last = HEALTH_INSURANCE_CARD_LAST_DAY
    if printed_expiry is not None:
        last = min(last, printed_expiry)
    return on <= last


class IdRefusal(StrEnum):
    """Why the documents shown do not suffice; the value is the stable code."""

    NO_DOCUMENTS = "no_documents"
    HEALTH_INSURANCE_CARD_ENDED = "health_insurance_card_ended"
    SECOND_DOCUMENT_NEEDED = "second_document_needed"
    PUBLIC_DOCUMENT_NEEDED = "public_document_needed"
    PHOTO_ID_NEEDED = "photo_id_needed"

    @property
    def message(self) -> str:
        """The reason in plain Japanese, for the clerk to read out."""
        last = format_japanese(HEALTH_INSURANCE_CARD_LAST_DAY)
        return {
            IdRefusal.NO_DOCUMENTS: "本人確認書類がありません。",
            IdRefusal.HEALTH_INSURANCE_CARD_ENDED: (
                f"健康保険証は遅くとも{last}で使えなくなったため、本人確認書類になりません。"
                "代わりに資格確認書（または顔写真つきの証明書）を確認してください。"
            ),
            IdRefusal.SECOND_DOCUMENT_NEEDED: (
                "顔写真のない書類は2点必要です。もう1点、種類の異なる書類を確認してください。"
            ),
            IdRefusal.PUBLIC_DOCUMENT_NEEDED: (
                "公的機関が発行した書類（資格確認書・年金手帳など）が1点必要です。"
                "学生証や診察券などだけでは確認できません。"
            ),
            IdRefusal.PHOTO_ID_NEEDED: "官公署が発行した顔写真つきの証明書が必要です。",
        }[self]


@dataclass(frozen=True, slots=True)
class IdJudgement:
    """The outcome of an ID check: whether it suffices, why not, and what counted."""

    accepted: bool
    reason: IdRefusal | None
    counted: tuple[IdDocument, ...]
    not_counted: tuple[IdDocument, ...]

    @property
    def message(self) -> str:
        return "本人確認書類を確認しました。" if self.reason is None else self.reason.message

    @property
    def notes(self) -> tuple[str, ...]:
        """Why each document that was shown did not count, in plain Japanese (not repeating
        :attr:`message`)."""
        said = (
            D.HEALTH_INSURANCE_CARD
            if self.reason is IdRefusal.HEALTH_INSURANCE_CARD_ENDED
            else None
        )
        return tuple(NOT_COUNTED_NOTES[d] for d in self.not_counted if d is not said)


#: Why a document shown did not count (R-ID-3; the holder's own card, R-PROC-1's decision).
NOT_COUNTED_NOTES: Final[dict[IdDocument, str]] = {
    IdDocument.HEALTH_INSURANCE_CARD: (
        "健康保険証は本人確認書類として使えません（遅くとも令和7年12月1日で終了）。"
        "資格確認書を確認してください。"
    ),
    IdDocument.MY_NUMBER_CARD: (
        "本人のマイナンバーカードは手続きをするカードで、本人確認書類にはなりません。"
    ),
}


def parse_id_documents(codes: Iterable[str]) -> tuple[IdDocument, ...]:
    """R-ID-1: document codes to documents; an unknown code is an input error."""
    out: list[IdDocument] = []
    for code in codes:
        try:
            out.append(IdDocument(code))
        except ValueError:
            raise RuleInputError("unknown_id_document", f"no ID document {code!r}") from None
    return tuple(out)


def _fills(groups: tuple[IdGroup, ...], way: Way) -> bool:
    """Can documents of ``groups`` (one per distinct code) fill every slot of ``way``?"""
    return any(
        all(g in slot for g, slot in zip(pick, way, strict=True))
        for pick in permutations(groups, len(way))
    )


def _satisfied(groups: tuple[IdGroup, ...], ways: tuple[Way, ...]) -> bool:
    return any(_fills(groups, way) for way in ways)


def id_check(
    who: IdRole,
    documents: Iterable[IdDocument | str],
    *,
    on: date,
    rule: IdCombinationRule = DEFAULT_ID_RULE,
    health_card_printed_expiry: date | None = None,
) -> IdJudgement:
    """R-ID-2, R-ID-3: do ``documents`` identify the holder (``who`` = holder) or the proxy?

    Documents under one code count once (年金手帳 and 年金証書 are both ``pension_document``).
    The health-insurance card counts only up to 2025-12-01 (R-ID-3). The holder's own My
    Number card is the ``card`` item, never the holder's ID document (a proxy's own card is a
    photo ID) — the decision of R-PROC-1 kept. When the documents do not suffice, the reason
    is the ended health-insurance card if one was shown, else what one more document would
    have to be (a second one of another code, a public one, a photo ID).
    """
    role = IdRole(who)
    given = parse_id_documents(str(d) for d in documents)
    distinct = tuple(d for d in IdDocument if d in set(given))
    health_card_ended = not health_insurance_card_accepted(
        on, printed_expiry=health_card_printed_expiry
    )
    not_counted = tuple(
        d
        for d in distinct
        if (d is D.MY_NUMBER_CARD and role is IdRole.HOLDER)
        or (d is D.HEALTH_INSURANCE_CARD and health_card_ended)
    )
    counted = tuple(d for d in distinct if d not in not_counted)
    groups = tuple(d.group for d in counted)
    ways = rule.ways(role)
    if _satisfied(groups, ways):
        return IdJudgement(True, None, counted, not_counted)
    if D.HEALTH_INSURANCE_CARD in not_counted:
        reason = IdRefusal.HEALTH_INSURANCE_CARD_ENDED
    elif not counted:
        reason = IdRefusal.NO_DOCUMENTS
    elif _satisfied((*groups, G.B_OTHER), ways):
        reason = IdRefusal.SECOND_DOCUMENT_NEEDED
    elif _satisfied((*groups, G.B_PUBLIC), ways):
        reason = IdRefusal.PUBLIC_DOCUMENT_NEEDED
    else:
        reason = IdRefusal.PHOTO_ID_NEEDED
    return IdJudgement(False, reason, counted, not_counted)


def documents_of_group(group: IdGroup) -> tuple[IdDocument, ...]:
    """R-ID-1: the documents of one group, in SPEC's order (for lists shown to people)."""
    return tuple(d for d in IdDocument if d.group is group)


def resident_facing(documents: Iterable[IdDocument]) -> tuple[IdDocument, ...]:
    """R-ID-3: the documents a list shown to residents names: no health-insurance card
    (資格確認書 replaces it everywhere residents read, since 2025-12-02)."""
    return tuple(d for d in documents if d is not D.HEALTH_INSURANCE_CARD)


#: R-ID-1 for records written before it: the codes of ``rules.items.IdDocumentKind`` (R-PROC-1's
#: photo / non-photo ticks) → today's codes. ``other_non_photo`` could have been either B
#: group; it maps to B-other, the group that proves less (our reading).
FROM_LEGACY_CODES: Final[dict[str, IdDocument]] = {
    "drivers_license": D.DRIVER_LICENSE,
    "passport": D.PASSPORT,
    "my_number_card": D.MY_NUMBER_CARD,
    "residence_card": D.RESIDENCE_CARD,
    "special_permanent_resident": D.SPECIAL_PERMANENT_RESIDENT_CERTIFICATE,
    "driving_record_certificate": D.DRIVING_RECORD,
    "disability_certificate": D.DISABILITY_CERTIFICATE,
    "other_photo": D.PUBLIC_PHOTO_ID,
    "health_insurance": D.HEALTH_INSURANCE_CARD,
    "pension_book": D.PENSION_DOCUMENT,
    "pension_certificate": D.PENSION_DOCUMENT,
    "other_non_photo": D.OTHER_NAMED_DOCUMENT,
}


def from_legacy_code(code: str) -> IdDocument:
    """R-ID-1: a document code as recorded before R-ID (or already a new code)."""
    if code in FROM_LEGACY_CODES:
        return FROM_LEGACY_CODES[code]
    return parse_id_documents([code])[0]
