"""R-FEE at the counter (issue 16): the case knows why the card is in hand, charges per the
rules' fee and the receipt (PDF) says why; R-FEE-1 new and renewal waived, R-FEE-2 a re-issue
through the holder's doing charged 200 yen, a re-issue after a move abroad free within 90
days (R-ABROAD-1) and charged after."""

from __future__ import annotations

from datetime import date

import pytest

from madoguchi.bootstrap import Container
from madoguchi.rules.cases import CaseKind
from madoguchi.rules.fees import FeeReason
from madoguchi.services.counter import case_fee_reason
from madoguchi.services.demo import DEMO_JUKI_PIN
from madoguchi.services.domain import Refused
from tests.integration.web.test_counter_pages import CASE_RE, issue, record, resident_id
from tests.support.pdf import pdf_text
from tests.support.web import Browser, browser


def open_with_reason(b: Browser, rid: str, reason: str, **extra: str) -> str:
    r = b.post_form(
        f"/staff/residents/{rid}",
        f"/staff/residents/{rid}/cases",
        {"kind": "P1", "fee_reason": reason, **extra},
    )
    m = CASE_RE.search(str(r.url))
    assert m, r.text[:800]
    return m.group(1)


def issue_p1(b: Browser, case_id: str) -> str:
    record(b, case_id, visit="1", items=["card", "holder_pin"], juki_pin=DEMO_JUKI_PIN)
    return str(issue(b, case_id).text)


def receipt_of(b: Browser, case_id: str) -> str:
    return "".join(pdf_text(b.get(f"/staff/cases/{case_id}/receipt.pdf").content).split())


def test_r_fee_2_a_reissue_through_the_holders_doing_costs_200_yen_and_the_receipt_says_why(
    fresh: Container,
) -> None:
    b = browser(fresh)
    b.login("clerk")
    page = b.get(f"/staff/residents/{resident_id(fresh, '柏林台')}").text
    assert 'data-testid="fee-reason"' in page and "本人の事由" in page
    case_id = open_with_reason(b, resident_id(fresh, "柏林台"), "reissue")
    case_page = b.get(f"/staff/cases/{case_id}").text
    assert 'data-testid="fee-reason"' in case_page and "本人の事由" in case_page
    done = issue_p1(b, case_id)
    assert "電子証明書を発行しました" in done
    with fresh.uow() as uow:
        case = uow.counter.case(case_id)
    assert case is not None and case.fee_reason is FeeReason.REISSUE and case.fee_due == 200
    receipt = receipt_of(b, case_id)
    assert "200円" in receipt
    assert "交付の理由" in receipt
    assert "カードの再交付（本人の事由）に伴う電子証明書の発行" in receipt
    assert "免除の対象外" in receipt


def test_r_fee_1_a_new_issuance_is_waived_and_the_receipt_names_the_reason(
    fresh: Container,
) -> None:
    b = browser(fresh)
    b.login("clerk")
    case_id = open_with_reason(b, resident_id(fresh, "柏林台"), "new")
    issue_p1(b, case_id)
    receipt = receipt_of(b, case_id)
    assert "0円" in receipt and "経過措置" in receipt
    assert "交付の理由電子証明書の発行" in receipt


def test_r_abroad_1_a_card_reissued_after_a_move_abroad_within_90_days_is_free(
    fresh: Container,
) -> None:
    """The card (created 2026-09-27 in the demo: 0.2 years before 2026-11-24) applied for
    within 90 days of the move-out is free; the move-out date is required."""
    b = browser(fresh)
    b.login("clerk")
    rid = resident_id(fresh, "柏林台")
    r = b.post_form(
        f"/staff/residents/{rid}",
        f"/staff/residents/{rid}/cases",
        {"kind": "P1", "fee_reason": "abroad_reissue_90d"},
    )
    assert 'data-code="moved_abroad_on_required"' in r.text
    case_id = open_with_reason(b, rid, "abroad_reissue_90d", moved_abroad_on="2026-08-01")
    issue_p1(b, case_id)
    with fresh.uow() as uow:
        case = uow.counter.case(case_id)
    assert case is not None and case.fee_reason is FeeReason.ABROAD_REISSUE_90D
    assert case.fee_due == 0
    assert "国外転出後90日以内" in receipt_of(b, case_id)


@pytest.mark.parametrize(
    ("kind", "declared", "moved", "expected"),
    [
        (CaseKind.P1, None, None, FeeReason.NEW),
        (CaseKind.P2, FeeReason.REISSUE_NOT_AT_FAULT, None, FeeReason.REISSUE_NOT_AT_FAULT),
        (CaseKind.P3, None, None, FeeReason.RENEWAL),
        (CaseKind.P1, FeeReason.ABROAD_REISSUE_90D, date(2026, 8, 1), FeeReason.ABROAD_REISSUE_90D),
        # R-ABROAD-1: after 90 days the re-issue counts as the holder's doing (our reading)
        (CaseKind.P1, FeeReason.ABROAD_REISSUE_90D, date(2026, 5, 1), FeeReason.REISSUE),
        (CaseKind.REVOCATION, None, None, None),
    ],
)
def test_r_fee_the_case_reason_of_each_kind(
    kind: CaseKind, declared: FeeReason | None, moved: date | None, expected: FeeReason | None
) -> None:
    assert case_fee_reason(kind, declared, moved, date(2026, 9, 27)) is expected


@pytest.mark.parametrize(
    ("kind", "declared"),
    [(CaseKind.P3, FeeReason.REISSUE), (CaseKind.P1, FeeReason.RENEWAL)],
)
def test_r_fee_a_reason_that_does_not_fit_the_procedure_is_refused(
    kind: CaseKind, declared: FeeReason
) -> None:
    with pytest.raises(Refused) as err:
        case_fee_reason(kind, declared, None, date(2026, 9, 27))
    assert err.value.code == "fee_reason_mismatch"
