"""The counter's documents as PDFs (madoguchi.letters): the inquiry letter of a proxy's case,
the certificate copy (電子証明書の写し) and the receipt of an issuance. Each print is audited."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from madoguchi.bootstrap import Container
from madoguchi.letters import certificate_copy_pdf, inquiry_letter_pdf, receipt_pdf
from madoguchi.letters.build import certificate_copy_doc, inquiry_letter_doc, receipt_doc
from madoguchi.rules.cases import CaseState
from madoguchi.rules.dates import jst_date
from madoguchi.rules.fees import fee_on
from madoguchi.rules.offices import office_by_code
from madoguchi.services.errors import NotFound, Refused
from madoguchi.web.security import StaffContext, require_staff

Clerk = Depends(require_staff())
DOCUMENTS = ("inquiry-letter", "certificate-copy", "receipt")


def _pdf(data: bytes, name: str) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{name}.pdf"',
            "Cache-Control": "no-store",
        },
    )


def render_document(c: Container, case_id: str, name: str, actor_ctx: StaffContext) -> bytes:
    today = jst_date(c.clock())
    config = c.site.current()
    city = c.settings.ca_locality_city
    with c.uow() as uow:
        case = uow.counter.case(case_id)
        if case is None:
            raise NotFound("unknown_case", case_id)
        resident = uow.counter.resident(case.resident_id)
        office = office_by_code(case.office, config.offices)
        if name == "inquiry-letter":
            letters = uow.counter.letters_of_case(case.id)
            if not letters:
                raise Refused("no_inquiry_letter", "no inquiry letter was mailed for this case")
            data = inquiry_letter_pdf(inquiry_letter_doc(letters[-1], case, resident, office, city))
        else:
            if case.state is not CaseState.ISSUED or case.card_id is None:
                raise Refused("not_issued", "the case issued no certificate")
            card = uow.counter.card(case.card_id)
            current = c.registry.current_certificates(uow, case.card_id)
            if name == "certificate-copy":
                doc = certificate_copy_doc(resident, card, current.values(), office, city, today)
                data = certificate_copy_pdf(doc)
            else:
                fee = fee_on(jst_date(case.closed_at or case.opened_at), config.fee_schedule)
                doc = receipt_doc(case, resident, fee, current.keys(), office, city, today)
                data = receipt_pdf(doc)
        uow.counter.append_audit(
            at=c.clock(),
            clerk=actor_ctx.actor.clerk,
            office=actor_ctx.actor.office,
            terminal=actor_ctx.actor.terminal,
            action="document.print",
            case_id=case.id,
            resident_id=case.resident_id,
            certificate=None,
            detail={"document": name},
        )
        uow.commit()
    return data


def router() -> APIRouter:
    r = APIRouter(prefix="/staff/cases", include_in_schema=False)

    @r.get("/{case_id}/{name}.pdf")
    async def document(
        request: Request, case_id: str, name: str, ctx: StaffContext = Clerk
    ) -> Response:
        if name not in DOCUMENTS:
            raise NotFound("not_found", name)
        data = await run_in_threadpool(
            render_document, request.app.state.container, case_id[:32], name, ctx
        )
        return _pdf(data, name)

    return r
