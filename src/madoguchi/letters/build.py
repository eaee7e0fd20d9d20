"""From the services' domain objects to the documents: what the counter hands over (inquiry
letter, certificate copy, receipt) and what a campaign mails (expiry notices)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import BinaryIO

from cryptography import x509

from madoguchi.letters.documents import (
    Addressee,
    CertificateCopyDoc,
    CertificateOnCard,
    CityContact,
    ExpiringItem,
    ExpiryNoticeDoc,
    InquiryLetterDoc,
    ReceiptDoc,
    requirement_labels,
)
from madoguchi.letters.render import write_notices_pdf
from madoguchi.pki.facts import GENDER_LABELS, facts_from_certificate
from madoguchi.pki.records import CertRecord
from madoguchi.rules.dates import jst_date
from madoguchi.rules.fees import Fee
from madoguchi.rules.offices import Office, regular_closures_text
from madoguchi.rules.procedures import PROCEDURES, ProcedureId, Purpose, Step
from madoguchi.rules.validity import CertKind
from madoguchi.services.domain import Card, Case, InquiryLetter, Resident
from madoguchi.services.notice_dispatch import NoticeContent, NoticePrinter
from madoguchi.services.ports import MunicipalityCounter

PAUSE_NOTE = (
    "この通知書は、送付を一時停止していたため、お届けが遅くなりました。"
    "行き違いですでに更新の手続きをお済ませの場合は、ご容赦ください。"
)
ITEM_LABELS = {
    "sign": CertKind.SIGN.label,
    "auth": CertKind.AUTH.label,
    "card": "マイナンバーカード",
}


def contact(city: str, office: Office) -> CityContact:
    return CityContact.from_office(city, office, regular_closures_text())


#: the certificate authorities' names as a letter prints them, by the issuer's organization
ISSUER_NAMES = {
    "Japan Agency for Local Authority Information Systems": "地方公共団体情報システム機構"
}
DEMO_ISSUER = "デモ用・地方公共団体情報システム機構ではありません"


def issuer_name(cert: x509.Certificate, kind: CertKind) -> str:
    """The issuer in Japanese: the CA of its kind and its organization, 署名用認証局（地方公共
    団体情報システム機構） or the demo CA's; an organization the table does not know is printed
    as it is."""
    orgs = cert.issuer.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)
    org = str(orgs[0].value) if orgs else cert.issuer.rfc4514_string()
    name = ISSUER_NAMES.get(org) or (DEMO_ISSUER if "DEMO" in org.upper() else org)
    return f"{kind.label.removesuffix('電子証明書')}認証局（{name}）"


def operator_name(organization: str) -> tuple[str, ...]:
    """The CA operator as a letter's sender prints it (R-NAT-2), from its CA certificates'
    organization: 地方公共団体情報システム機構, or the demo CA's own name on two lines."""
    if organization in ISSUER_NAMES:
        return (ISSUER_NAMES[organization],)
    if "DEMO" in organization.upper():
        return ("madoguchi デモ認証局", "（" + DEMO_ISSUER.removeprefix("デモ用・") + "）")
    return (organization,)


def counter_contact(counter: MunicipalityCounter) -> CityContact:
    """The holder's municipality's counter, as the CA operator's letter names it (R-NAT-2)."""
    return CityContact(
        counter.city, counter.desk, "", counter.address, counter.phone, counter.hours
    )


def notice_doc(content: NoticeContent, city: str) -> ExpiryNoticeDoc:
    """R-NOTICE-2: which certificates (and the card) end when, what to bring, where, when.

    The card is listed once, as the card row (``card_expires``), never also among the
    certificates; a notice about the card alone has no certificate items."""
    card_item = any(i.what == "card" for i in content.items)
    return ExpiryNoticeDoc(
        number=content.number,
        issued_on=content.issued_on,
        addressee=Addressee(content.name, content.address, content.postal_code),
        items=tuple(
            ExpiringItem(ITEM_LABELS[i.what], i.expires) for i in content.items if i.what != "card"
        ),
        in_person_items=requirement_labels(ProcedureId.P3, Step.ISSUE),
        proxy_items=requirement_labels(ProcedureId.P4, Step.ISSUE),
        contact=(
            counter_contact(content.renewal_counter)
            if content.renewal_counter is not None
            else contact(city, content.office)
        ),
        card_expires=content.card_expires if card_item or content.card_renewal_url else None,
        card_renewal_url=content.card_renewal_url,
        paused_note=PAUSE_NOTE if content.deferred else None,
        sender=content.sender,
    )


def notice_printer(city: str) -> NoticePrinter:
    """The campaign's printer: one PDF for the print vendor, one notice after the other."""

    def write(contents: Iterable[NoticeContent], out: BinaryIO) -> int:
        return write_notices_pdf((notice_doc(c, city) for c in contents), out)

    return write


def inquiry_letter_doc(
    letter: InquiryLetter, case: Case, resident: Resident, office: Office, city: str
) -> InquiryLetterDoc:
    """R-PROC-2: the letter to the registered address, with what the proxy brings next time."""
    procedure = case.kind.procedure
    assert procedure is not None
    mailed = letter.mailed_at or case.opened_at
    return InquiryLetterDoc(
        number=letter.number,
        issued_on=jst_date(mailed),
        # the registry's postal code, when the letter goes to the address it belongs to
        addressee=Addressee(
            resident.name,
            letter.address,
            resident.postal_code if resident.address == letter.address else "",
        ),
        procedure=procedure.value,
        proxy_visit_items=requirement_labels(procedure, Step.ISSUE),
        contact=contact(city, office),
        case_id=case.id,
    )


def certificate_copy_doc(
    resident: Resident,
    card: Card,
    records: Iterable[CertRecord],
    office: Office,
    city: str,
    today: date,
) -> CertificateCopyDoc:
    """R-PROC-5: the certificates on the card and the facts of the signing certificate."""
    certs = []
    facts = None
    for rec in sorted(records, key=lambda r: r.kind.value, reverse=True):
        cert = x509.load_der_x509_certificate(rec.der)
        if rec.kind is CertKind.SIGN:
            facts = facts_from_certificate(cert)
        certs.append(
            CertificateOnCard(
                rec.kind.label,
                rec.serial_hex,
                jst_date(rec.not_before),
                jst_date(rec.not_after),
                issuer_name(cert, rec.kind),
            )
        )
    return CertificateCopyDoc(
        issued_on=today,
        holder_name=facts.name if facts else resident.name,
        birth=facts.birth if facts else None,
        gender_label=GENDER_LABELS.get(facts.gender) if facts else None,
        address=facts.address if facts else None,
        card_id=card.id,
        certificates=tuple(certs),
        contact=contact(city, office),
    )


def receipt_doc(
    case: Case,
    resident: Resident,
    fee: Fee,
    kinds: Iterable[CertKind],
    office: Office,
    city: str,
    today: date,
) -> ReceiptDoc:
    """R-PROC-4, R-FEE: the fee of the schedule, what was charged, the waiver named, and why
    the card is in hand (the fee's reason) with the note of a charged re-issue."""
    procedure = PROCEDURES[case.kind.procedure] if case.kind.procedure else None
    what = "更新" if procedure and procedure.purpose is Purpose.RENEWAL else "発行"
    names = "・".join(k.label.removesuffix("電子証明書") for k in sorted(set(kinds), reverse=True))
    return ReceiptDoc(
        receipt_no=case.receipt_no or "",
        issued_on=today,
        holder_name=resident.name,
        description=f"電子証明書の{what}（{names}）",
        standard_yen=fee.standard,
        due_yen=fee.due,
        waiver=fee.waiver,
        contact=contact(city, office),
        case_id=case.id,
        reason=fee.reason.label if fee.reason else None,
        note=fee.note,
    )
