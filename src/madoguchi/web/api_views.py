"""Domain objects to the JSON API's response models."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import Request

from madoguchi.pki.records import CertRecord
from madoguchi.rules.cases import allowed_events
from madoguchi.rules.dates import JST, format_japanese, jst_date
from madoguchi.rules.items import Item
from madoguchi.rules.procedures import (
    Procedure,
    Visit,
    evaluate_visit,
)
from madoguchi.services.audit import AuditEntry
from madoguchi.services.counter_documents import visit_documents
from madoguchi.services.domain import Card, Case, InquiryLetter, Resident
from madoguchi.web.api_models import (
    AuditOut,
    CardOut,
    CaseOut,
    CertificateOut,
    DocumentsOut,
    LetterOut,
    ProcedureOut,
    RequirementOut,
    ResidentOut,
    VisitOut,
)


def _jst(moment: datetime | None) -> datetime | None:
    return moment.astimezone(JST) if moment else None


def _resident_out(r: Resident) -> ResidentOut:
    return ResidentOut(
        id=r.id,
        name=r.name,
        name_kana=r.name_kana,
        birth=r.birth,
        gender=r.gender,
        address=r.address,
        postal_code=r.postal_code or None,
        status=r.status.value,
        adult_ward=r.adult_ward,
    )


def _card_out(c: Card) -> CardOut:
    return CardOut(
        id=c.id,
        resident_id=c.resident_id,
        created=c.created,
        expires=c.expires,
        status=c.status.value,
        limited_by_stay=c.limited_by_stay,
        face_auth=c.face_auth,
        abroad_since=c.abroad_since,
        remarks=list(c.remarks),
    )


def _cert_out(rec: CertRecord, today: date) -> CertificateOut:
    expires = jst_date(rec.not_after)
    return CertificateOut(
        kind=rec.kind,
        serial=rec.serial_hex,
        card_id=rec.card_id,
        not_before=rec.not_before.astimezone(JST),
        not_after=rec.not_after.astimezone(JST),
        expires_on=expires,
        expires_on_japanese=format_japanese(expires),
        status="expired" if expires < today else rec.status.value,
    )


def _case_out(c: Case) -> CaseOut:
    return CaseOut(
        id=c.id,
        kind=c.kind,
        state=c.state,
        resident_id=c.resident_id,
        card_id=c.card_id,
        applicant=c.applicant,
        office=c.office,
        clerk=c.clerk,
        terminal=c.terminal,
        opened_at=c.opened_at.astimezone(JST),
        closed_at=_jst(c.closed_at),
        refusal=c.refusal,
        items=dict(c.items),
        documents={
            str(visit): {
                role: DocumentsOut(
                    codes=list(d.shown),
                    counted=list(d.counted),
                    notes=list(d.notes),
                    name=d.name or None,
                )
                for role, d in roles.items()
            }
            for visit, roles in visit_documents(c).items()
        },
        fee_due=c.fee_due,
        receipt_no=c.receipt_no,
        fee_reason=c.fee_reason,
        allowed_events=list(allowed_events(c.kind, c.state)),
    )


def _letter_out(letter: InquiryLetter) -> LetterOut:
    return LetterOut(
        number=letter.number,
        case_id=letter.case_id,
        resident_id=letter.resident_id,
        mailed_at=_jst(letter.mailed_at),
        used_at=_jst(letter.used_at),
    )


def _audit_out(e: AuditEntry) -> AuditOut:
    return AuditOut(
        seq=e.seq,
        at=e.at.astimezone(JST),
        clerk=e.clerk,
        office=e.office,
        terminal=e.terminal,
        action=e.action,
        case_id=e.case_id,
        resident_id=e.resident_id,
        certificate=e.certificate,
        detail=dict(e.detail),
        hash=e.hash,
    )


def _procedure_out(p: Procedure) -> ProcedureOut:
    return ProcedureOut(
        id=p.id.value, title=p.title, purpose=p.purpose, applicant=p.applicant, visits=len(p.visits)
    )


def _visit_out(case: Case, visit: Visit) -> VisitOut:
    recorded = [Item(i) for i in case.items.get(str(visit.number), [])]
    check = evaluate_visit(visit, recorded)
    got = frozenset(recorded)
    return VisitOut(
        number=visit.number,
        step=visit.step,
        outcome=visit.outcome,
        requirements=[
            RequirementOut(
                options=list(r.options),
                label=r.label,
                optional=r.optional,
                satisfied=r.satisfied_by(got),
            )
            for r in visit.requirements
        ],
        recorded=recorded,
        complete=check.complete,
        message=check.message,
    )


def _today(request: Request) -> date:
    return jst_date(request.app.state.container.clock())
