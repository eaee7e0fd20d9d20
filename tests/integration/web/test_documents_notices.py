"""The documents of the counter as PDFs from the case page (R-PROC-2, R-PROC-4, R-PROC-5) and
the notice campaigns on the supervisor's screens (R-NOTICE-1, R-NOTICE-3, R-NOTICE-4)."""

from __future__ import annotations

import re

from madoguchi.bootstrap import Container
from madoguchi.rules.notices import BatchState, NoticeState
from madoguchi.services.audit import Actor
from madoguchi.services.demo import DEMO_JUKI_PIN
from tests.integration.web.test_counter_pages import issue, open_case, record, resident_id
from tests.integration.web.test_public import has_testid, section, text_of
from tests.support.pdf import decode_qr, pdf_text, render_pages
from tests.support.web import browser


def test_copy_and_receipt_after_issuance_and_the_letter_of_a_proxy(fresh: Container) -> None:
    b = browser(fresh)
    b.login("clerk")
    case_id = open_case(b, resident_id(fresh, "柏林台"), "P2")
    record(
        b,
        case_id,
        visit="1",
        items=["card", "proxy_id"],
        proxy_documents=["passport"],
        proxy_name="代理 花子",
    )
    page = b.post_form(f"/staff/cases/{case_id}", f"/staff/cases/{case_id}/letter", {}).text
    number = re.search(r"<strong>(\d{4}-\d{6}-\d)</strong>", page).group(1)  # type: ignore[union-attr]
    letter = b.get(f"/staff/cases/{case_id}/inquiry-letter.pdf")
    assert letter.headers["content-type"] == "application/pdf"
    text = pdf_text(letter.content)
    assert number in text and "転送不要" in text and "委任状" in text
    assert "〒080-0042" in text  # the registry's postal code in the address block (issue 15)
    assert number in decode_qr(render_pages(letter.content, "web-inquiry-letter")[0])
    # no copy before the issuance
    assert b.get(f"/staff/cases/{case_id}/certificate-copy.pdf").status_code == 409

    record(
        b,
        case_id,
        visit="2",
        items=["inquiry_letter", "power_of_attorney", "card", "proxy_id"],
        proxy_documents=["passport"],
        proxy_name="代理 花子",
    )
    issued = issue(b, case_id, letter_number=number).text
    serial = re.search(r'data-testid="expiry-sign"', issued)
    assert serial
    copy = pdf_text(b.get(f"/staff/cases/{case_id}/certificate-copy.pdf").content)
    assert "電子証明書の写し" in copy and "署名用電子証明書" in copy
    receipt = pdf_text(b.get(f"/staff/cases/{case_id}/receipt.pdf").content)
    assert "0円" in "".join(receipt.split()) and "経過措置" in receipt
    with fresh.uow() as uow:
        prints = [
            e.detail["document"]
            for e in uow.counter.audit_of_case(case_id)
            if e.action == "document.print"
        ]
    assert prints == ["inquiry-letter", "certificate-copy", "receipt"]


def test_supervisor_plans_pauses_resumes_and_dispatches(fresh: Container) -> None:
    sup = browser(fresh)
    sup.login("supervisor")
    page = "/staff/supervisor/notices"
    # the window is checked (R-NOTICE-1): both dates or none, from today, at most 3 months
    for window, code in (
        ({"from": "2027-01-01"}, "window_incomplete"),
        ({"from": "2027-02-01", "to": "2027-01-01"}, "bad_window"),
        ({"from": "2026-01-01", "to": "2027-01-01"}, "window_in_past"),
        ({"from": "2027-01-01", "to": "2027-09-30"}, "window_too_far"),
    ):
        r = sup.post_form(page, f"{page}/plan", window)
        assert f'data-code="{code}"' in r.text, code
        assert fresh.notices.campaigns() == []
    r = sup.post_form(page, f"{page}/plan", {})
    campaign = re.search(r'data-testid="campaign-([0-9-]+)"', r.text).group(1)  # type: ignore[union-attr]
    assert "十勝" not in r.text  # no names on the campaign page, only counts
    said = text_of(section(r.text, "outcome"))
    assert "通知書を" in said and "通計画しました" in said  # what happened, in words
    assert "処理しました" not in r.text
    r = sup.post_form(page, f"{page}/{campaign}/pause", {})
    assert "送付を一時停止しました" in text_of(section(r.text, "outcome"))
    assert "一時停止中" in sup.get(page).text
    # a renewal in between: 十勝 花子 renews at the counter
    clerk = browser(fresh)
    clerk.login("clerk")
    case_id = open_case(clerk, resident_id(fresh, "十勝"), "P3")
    record(clerk, case_id, visit="1", items=["card", "holder_pin"], juki_pin=DEMO_JUKI_PIN)
    issue(clerk, case_id)
    sup.post_form(page, f"{page}/{campaign}/resume", {})
    # dispatch asks first: a POST without the confirmation only shows the question
    r = sup.post_form(page, f"{page}/{campaign}/dispatch", {"batch_size": "10"})
    assert has_testid(r.text, "confirm-dispatch")
    assert fresh.notices.status(campaign)[2] == []
    confirm = f"{page}/{campaign}/dispatch"
    r = sup.post_form(confirm, confirm, {"batch_size": "10", "confirm": "yes"})
    assert "alert error" not in r.text
    said = text_of(section(r.text, "outcome"))  # her notice was the only one: none to print
    assert "印刷データにする通知書はありませんでした" in said
    assert "1 通は、更新・転出などを確認して送付を取りやめました" in said
    _, counts, batches = fresh.notices.status(campaign)
    assert counts.get("sent", 0) + counts.get("suppressed", 0) == sum(counts.values())
    holder = resident_id(fresh, "十勝")
    with fresh.uow.read_only() as uow:
        mine = list(uow.notices.notices_of_resident(holder))
    assert [n.reason for n in mine] == ["renewed"]  # R-NOTICE-3: crossed letters avoided
    for b in batches:
        pdf = sup.get(f"{page}/batches/{b.id}.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert sup.get(f"{page}/batches/{b.id}.csv").text.startswith("number,postal_code,")
    assert clerk.get(page).status_code == 403  # campaigns are the supervisor's


def test_clerks_record_and_see_returned_notices(fresh: Container) -> None:
    actor = Actor("sup", "main", "t")
    campaign = fresh.notices.plan(actor).campaign.id
    (batch, *_) = fresh.notices.dispatch(campaign, actor).batches
    with fresh.uow() as uow:
        (sent, *_) = uow.notices.with_state(campaign, NoticeState.SENT)
    clerk = browser(fresh)
    clerk.login("clerk")
    returned = "/staff/notices/returned"
    r = clerk.post_form(returned, returned, {"number": sent.number})
    assert 'data-code="notice_not_mailed"' in r.text  # print data only: not mailed yet
    # the supervisor records that the print vendor took the batch (a box to tick first)
    sup = browser(fresh)
    sup.login("supervisor")
    page = "/staff/supervisor/notices"
    assert b"number,postal_code,name" in sup.get(f"{page}/batches/{batch.id}.csv").content
    r = sup.post_form(page, f"{page}/batches/{batch.id}/handover", {})
    assert 'data-code="handover_unconfirmed"' in r.text
    assert fresh.notices.batch(batch.id).state is BatchState.DONE
    r = sup.post_form(page, f"{page}/batches/{batch.id}/handover", {"confirm": "yes"})
    assert "印刷業者に引き渡したことを記録しました" in text_of(section(r.text, "outcome"))
    assert fresh.notices.batch(batch.id).state is BatchState.HANDED_OVER
    r = sup.post_form(page, f"{page}/batches/{batch.id}/handover", {"confirm": "yes"})
    assert 'data-code="batch_already_handed_over"' in r.text
    r = clerk.post_form(
        "/staff/notices/returned", "/staff/notices/returned", {"number": sent.number}
    )
    assert sent.number in r.text
    r = clerk.post_form(
        "/staff/notices/returned", "/staff/notices/returned", {"number": sent.number}
    )
    assert "送付していません" in r.text  # recorded once


def test_a_counter_of_a_ca_service_leaves_the_notices_to_the_ca_operator(
    fresh: Container,
) -> None:
    """R-NAT-2: with a CA service the CA operator sends the notices; the supervisor's page
    says so instead of the planning form, and a plan sent anyway is refused in Japanese."""
    settings = fresh.settings.model_copy(update={"ca_url": "https://127.0.0.1:9"})
    b = browser(Container(settings, fresh.clock).start(ca=False))
    b.login("supervisor")
    page = b.get("/staff/supervisor/notices").text
    assert has_testid(page, "by-ca-operator") and "認証局の運用者" in page
    assert 'action="/staff/supervisor/notices/plan"' not in page
    refused = b.post_form("/staff/supervisor/notices", "/staff/supervisor/notices/plan", {})
    assert "認証局の運用者が全国の所持者に送付します" in refused.text
    with fresh.uow.read_only() as uow:
        assert uow.notices.campaigns() == []  # nothing planned
