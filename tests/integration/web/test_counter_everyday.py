"""Issue 15's blockers and the clerk's flow through the HTML forms: ID documents instead of the
住基 PIN, documents by their codes with the verdict beside the field, the wrong PIN's tries
left with the ticks kept, the clerk's choice of certificates, the found card issued again,
confirmations, applicable errands, banners, hiragana and era dates in the search."""

from __future__ import annotations

import re

import pytest

from madoguchi.bootstrap import Container
from madoguchi.rules.cases import CaseState
from madoguchi.services.demo import DEMO_JUKI_PIN
from tests.integration.web.test_counter_pages import (
    case_state,
    issue,
    open_case,
    record,
    resident_id,
)
from tests.support.web import Browser, assert_pin_absent, browser


def audit_actions(c: Container, case_id: str) -> list[str]:
    with c.uow() as uow:
        return [e.action for e in uow.counter.audit_of_case(case_id)]


def field_error(html: str, name: str) -> str:
    m = re.search(rf'data-testid="error-{name}"[^>]*>([^<]*)<', html)
    assert m, f"no message beside {name}"
    return m.group(1)


def test_blocker_1_served_with_id_documents_without_the_pin(fresh: Container) -> None:
    """The PIN field is not ``required``; ticking a document is enough (no separate tick)."""
    b = browser(fresh)
    b.login("clerk")
    case_id = open_case(b, resident_id(fresh, "柏林台"), "P1")
    page = b.get(f"/staff/cases/{case_id}").text
    pin_input = re.search(r'<input type="password" id="juki_pin"[^>]*>', page)
    assert pin_input and "required" not in pin_input.group(0)
    r = record(b, case_id, visit="1", items=["card"], holder_documents=["driver_license"])
    assert "記録しました。" in r.text
    assert "必要なものはそろっています" in r.text
    verdict = r.text.split('data-testid="verdict-holder"', 1)[1].split("</div>", 1)[0]
    assert "確認しました" in verdict and "運転免許証" in verdict
    r = issue(b, case_id)
    assert "電子証明書を発行しました" in r.text
    assert case_state(fresh, case_id) is CaseState.ISSUED


def test_blocker_3_health_insurance_card_refused_beside_the_field(fresh: Container) -> None:
    """R-ID-3 after 2025-12-01: the message names 資格確認書, stands beside the holder's
    documents, and the ticks are kept."""
    b = browser(fresh)
    b.login("clerk")
    case_id = open_case(b, resident_id(fresh, "柏林台"), "P1")
    r = record(b, case_id, visit="1", items=["card"], holder_documents=["health_insurance_card"])
    assert r.status_code == 422
    said = field_error(r.text, "holder_documents")
    assert "資格確認書" in said and "健康保険証" in said
    assert re.search(r'value="health_insurance_card" checked', r.text)
    assert re.search(r'name="items" value="card" checked', r.text)
    assert "holder_id_insufficient" not in r.text.replace('data-code="holder_id_insufficient"', "")


def test_blocker_3_proxy_documents_two_without_photo_and_the_name(fresh: Container) -> None:
    """Two documents without photo (one public) identify a proxy; the proxy's name is asked
    for beside its field, then recorded and shown."""
    b = browser(fresh)
    b.login("clerk")
    case_id = open_case(b, resident_id(fresh, "柏林台"), "P2")
    docs = ["qualification_certificate", "student_id"]
    r = record(b, case_id, visit="1", items=["card"], proxy_documents=docs)
    assert r.status_code == 422
    assert "代理人の氏名" in field_error(r.text, "proxy_name")
    r = record(b, case_id, visit="1", items=["card"], proxy_documents=docs, proxy_name="代理 花子")
    assert "記録しました。" in r.text
    assert "代理 花子" in r.text
    verdict = r.text.split('data-testid="verdict-proxy"', 1)[1].split("</div>", 1)[0]
    assert "資格確認書" in verdict and "学生証" in verdict
    r = record(
        b, case_id, visit="1", items=["card"], proxy_documents=["student_id"], proxy_name="代理"
    )
    assert "公的機関が発行した書類" in field_error(r.text, "proxy_documents")


def test_blocker_4_wrong_pin_tries_left_ticks_kept_no_refusal(fresh: Container) -> None:
    b = browser(fresh)
    b.login("clerk")
    case_id = open_case(b, resident_id(fresh, "柏林台"), "P1")
    r = record(b, case_id, visit="1", items=["card", "holder_pin"], juki_pin="0000")
    assert r.status_code == 422
    assert (
        field_error(r.text, "juki_pin") == "暗証番号が違います。あと2回間違えるとロックされます。"
    )
    assert re.search(r'name="items" value="card" checked', r.text)
    assert_pin_absent("0000", r.text)
    actions = audit_actions(fresh, case_id)
    assert "card.pin_failed" in actions and "counter.refused" not in actions
    sup = browser(fresh)
    sup.login("supervisor")
    refusals = sup.get("/staff/supervisor").text.split('data-testid="refusals"', 1)
    assert len(refusals) == 1 or "暗証番号が違います" not in refusals[1].split("</table>")[0]
    r = record(b, case_id, visit="1", items=["card", "holder_pin"], juki_pin=DEMO_JUKI_PIN)
    assert "記録しました。" in r.text


def test_blocker_5_the_valid_auth_certificate_is_kept_unless_chosen(fresh: Container) -> None:
    """帯広 太郎's signing certificate revoked on request; P1 offers only the signing one
    ticked, the valid auth certificate unticked with a note; issuing keeps it."""
    b = browser(fresh)
    b.login("clerk")
    rid = resident_id(fresh, "帯広")
    revocation = open_case(b, rid, "revocation")
    r = b.post_form(
        f"/staff/cases/{revocation}", f"/staff/cases/{revocation}/revoke", {"kinds": ["sign"]}
    )
    assert "電子証明書を失効させました" in r.text
    case_id = open_case(b, rid, "P1")
    record(b, case_id, visit="1", items=["card", "holder_pin"], juki_pin=DEMO_JUKI_PIN)
    page = b.get(f"/staff/cases/{case_id}").text
    assert re.search(r'name="kinds" value="sign" checked', page)
    assert re.search(r'name="kinds" value="auth">', page)
    assert "有効な電子証明書があります" in page
    r = issue(b, case_id, kinds_offered="1", kinds="sign", auth_pin="", auth_pin_confirm="")
    assert "電子証明書を発行しました" in r.text
    issued = r.text.split('data-testid="issued"', 1)[1].split("</section>", 1)[0]
    assert 'data-testid="expiry-sign"' in issued and 'data-testid="expiry-auth"' not in issued


def test_blocker_2_found_card_then_a_new_issuance_on_it(fresh: Container) -> None:
    """南 健太's lost card: only "found" is offered; found → revoked → P1 on the same card."""
    b = browser(fresh)
    b.login("clerk")
    rid = resident_id(fresh, "南")
    page = b.get(f"/staff/residents/{rid}").text
    assert re.findall(r'name="kind" value="([a-z0-9_A-Z]+)"', page) == ["card_found"]
    case_id = open_case(b, rid, "card_found")
    r = b.post_form(f"/staff/cases/{case_id}", f"/staff/cases/{case_id}/card-event", {})
    assert "届出を受け付けました" in r.text
    r = b.post_form(
        f"/staff/cases/{case_id}", f"/staff/residents/{rid}/cases", {"kind": "P1"}
    )  # the button the page offers next
    m = re.search(r"/staff/cases/(C[0-9A-F]+)", str(r.url))
    assert m and m.group(1) != case_id
    record(b, m.group(1), visit="1", items=["card", "holder_pin"], juki_pin=DEMO_JUKI_PIN)
    r = issue(b, m.group(1))
    assert "電子証明書を発行しました" in r.text
    person = b.get(f"/staff/residents/{rid}").text
    assert "紛失" not in person.split("<h2>", 2)[1]  # the card is in use again


def test_cancel_asks_first(fresh: Container) -> None:
    b = browser(fresh)
    b.login("clerk")
    case_id = open_case(b, resident_id(fresh, "柏林台"), "P1")
    r = b.post_form(f"/staff/cases/{case_id}", f"/staff/cases/{case_id}/cancel", {})
    assert "申請を取り消しますか" in r.text
    assert case_state(fresh, case_id) is CaseState.OPEN
    r = b.post_form(f"/staff/cases/{case_id}", f"/staff/cases/{case_id}/cancel", {"confirmed": "1"})
    assert "申請を取り消しました" in r.text
    assert case_state(fresh, case_id) is CaseState.CANCELLED


def test_a_refusal_without_reason_is_said_beside_the_reasons(fresh: Container) -> None:
    b = browser(fresh)
    b.login("clerk")
    case_id = open_case(b, resident_id(fresh, "柏林台"), "P1")
    r = b.post_form(f"/staff/cases/{case_id}", f"/staff/cases/{case_id}/refuse", {})
    assert r.status_code == 422
    assert "理由" in field_error(r.text, "reason")


@pytest.mark.parametrize(("name", "said"), [("緑ヶ丘", "死亡の届出"), ("大正", "転出しています")])
def test_deceased_and_moved_out_residents_carry_a_banner(
    web: Browser, demo: Container, name: str, said: str
) -> None:
    web.login("clerk")
    rid = resident_id(demo, name)
    page = web.get(f"/staff/residents/{rid}").text
    banner = page.split('data-testid="resident-warning"', 1)[1].split("</p>", 1)[0]
    assert said in banner
    assert 'name="kind"' not in page and 'data-testid="no-errands"' in page


def test_only_errands_that_apply_are_offered(web: Browser, demo: Container) -> None:
    """柏林台 はるか has a card without certificates: no renewal, no revocation, no "found"."""
    web.login("clerk")
    rid = resident_id(demo, "柏林台")
    offered = re.findall(r'name="kind" value="([^"]+)"', web.get(f"/staff/residents/{rid}").text)
    assert offered == ["P1", "P2", "pin_reset", "card_lost"]


@pytest.mark.parametrize("birth", ["昭和50年2月10日", "S50.2.10", "s50.02.10", "1975-02-10"])
def test_search_reads_era_dates(web: Browser, birth: str) -> None:
    web.login("clerk")
    r = web.get("/staff/search", params={"birth": birth})
    assert "十勝\u3000花子" in r.text


def test_search_finds_hiragana_and_explains_a_bad_date(web: Browser) -> None:
    web.login("clerk")
    assert "柏林台" in web.get("/staff/search", params={"name": "はくりんだい"}).text
    r = web.get("/staff/search", params={"birth": "昭和99年1月1日"})
    assert "S63.11.30" in r.text  # the message shows the forms it reads
