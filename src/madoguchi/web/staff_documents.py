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
from madoguchi.services.domain import NotFound, Refused
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


def render_document(c: Container, case_id: str, name: str, ctx: StaffContext) -> bytes:
    """The PDF of a case's document; the print is audited."""
    today = jst_date(c.clock())
    config = c.site.current()
    city = c.settings.ca_locality_city
    view = c.views.case(case_id)
    case, resident = view.case, view.resident
    assert resident is not None
    office = office_by_code(case.office, config.offices)
    if name == "inquiry-letter":
        if not view.letters:
            raise Refused("no_inquiry_letter", "no inquiry letter was mailed for this case")
        data = inquiry_letter_pdf(
            inquiry_letter_doc(view.letters[-1], case, resident, office, city)
        )
    else:
        if case.state is not CaseState.ISSUED or view.card is None:
            raise Refused("not_issued", "the case issued no certificate")
        if name == "certificate-copy":
            doc = certificate_copy_doc(
                resident, view.card, view.current.values(), office, city, today
            )
            data = certificate_copy_pdf(doc)
        else:
            fee = fee_on(
                jst_date(case.closed_at or case.opened_at),
                config.fee_schedule,
                reason=case.fee_reason,  # R-FEE: the receipt says why
            )
            doc = receipt_doc(case, resident, fee, view.current.keys(), office, city, today)
            data = receipt_pdf(doc)
    c.counter.record_print(case.id, name, ctx.actor)
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
