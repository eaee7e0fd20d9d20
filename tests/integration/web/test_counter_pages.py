"""The counter screens driven as a clerk would, through the HTML forms (issue 5): P1 in person,
P2 over two visits with the inquiry letter, P3 inside the renewal window, refusals shown in
Japanese and listed for the supervisor, PINs never echoed, the admin's configuration."""

from __future__ import annotations

import re

import pytest

from madoguchi.bootstrap import Container
from madoguchi.rules.cases import CaseState
from madoguchi.services.demo import DEMO_JUKI_PIN
from tests.support.web import Browser, assert_pin_absent, browser

CASE_RE = re.compile(r"/staff/cases/(C[0-9A-F]+)")


def resident_id(c: Container, name: str) -> str:
    with c.uow() as uow:
        (found,) = uow.counter.find_residents(name=name)
    return found.id


def open_case(b: Browser, rid: str, kind: str) -> str:
    r = b.post_form(f"/staff/residents/{rid}", f"/staff/residents/{rid}/cases", {"kind": kind})
    m = CASE_RE.search(str(r.url))
    assert m, r.text[:500]
    return m.group(1)


def record(b: Browser, case_id: str, **data: object):  # type: ignore[no-untyped-def]
    page = f"/staff/cases/{case_id}"
    return b.post_form(page, f"{page}/items", data)


def issue(b: Browser, case_id: str, **extra: str):  # type: ignore[no-untyped-def]
    page = f"/staff/cases/{case_id}"
    data = {
        "sign_password": "ABC123",
        "sign_password_confirm": "ABC123",
        "auth_pin": "3333",
        "auth_pin_confirm": "3333",
        **extra,
    }
    return b.post_form(page, f"{page}/issue", data)


def case_state(c: Container, case_id: str) -> CaseState:
    with c.uow() as uow:
        case = uow.counter.case(case_id)
    assert case is not None
    return case.state


def test_search_by_name_and_birth_finds_the_resident(web: Browser) -> None:
    web.login("clerk")
    r = web.get("/staff/search", params={"name": "トカチ", "birth": "1975-02-10"})
    assert "十勝\u3000花子" in r.text  # names are kept with the full-width space (R-X509)
    assert "昭和50年2月10日（1975-02-10）" in r.text  # era date with the Western one beside it
    assert "帯広\u3000太郎" not in r.text


@pytest.mark.parametrize("query", ["ﾄｶﾁ ﾊﾅｺ", "トカチ　ハナコ", "十勝 花子", "十勝　花子", "ﾄｶﾁ"])
def test_search_normalises_width_and_spaces_like_the_registry(web: Browser, query: str) -> None:
    """Half-width kana, ASCII or full-width spaces: one normalisation everywhere (NFKC)."""
    web.login("clerk")
    r = web.get("/staff/search", params={"name": query})
    assert "十勝\u3000花子" in r.text, query


def test_search_without_input_says_what_is_missing(web: Browser) -> None:
    web.login("clerk")
    r = web.get("/staff/search")
    assert "いずれかを入力してください" in r.text


def test_p1_in_person_with_the_pin_on_the_card(fresh: Container) -> None:
    """R-PROC-5: P1, the holder's 住基 PIN checked on the card, PINs set, expiry shown large."""
    b = browser(fresh)
    b.login("clerk")
    rid = resident_id(fresh, "柏林台")
    case_id = open_case(b, rid, "P1")
    page = b.get(f"/staff/cases/{case_id}").text
    assert "本人のマイナンバーカード" in page
    assert "住民基本台帳用暗証番号" in page
    r = record(b, case_id, visit="1", items=["card", "holder_pin"], juki_pin=DEMO_JUKI_PIN)
    assert "必要なものはそろっています" in r.text
    assert_pin_absent(DEMO_JUKI_PIN, r.text)  # a PIN is never echoed back
    r = issue(b, case_id)
    assert "電子証明書を発行しました" in r.text
    assert 'data-testid="expiry-sign"' in r.text
    assert "0円" in r.text
    assert "ABC123" not in r.text and 'value="3333"' not in r.text
    assert case_state(fresh, case_id) is CaseState.ISSUED


def test_wrong_juki_pin_is_refused_with_the_tries_left(fresh: Container) -> None:
    b = browser(fresh)
    b.login("clerk")
    case_id = open_case(b, resident_id(fresh, "柏林台"), "P1")
    r = record(b, case_id, visit="1", items=["card", "holder_pin"], juki_pin="0000")
    assert "暗証番号が違います" in r.text
    assert case_state(fresh, case_id) is CaseState.OPEN


def test_mismatched_pin_confirmation_is_refused_before_the_card(fresh: Container) -> None:
    b = browser(fresh)
    b.login("clerk")
    case_id = open_case(b, resident_id(fresh, "柏林台"), "P1")
    record(b, case_id, visit="1", items=["card", "holder_id"], holder_documents=["drivers_license"])
    r = issue(b, case_id, auth_pin_confirm="4444")
    assert "一致しません" in r.text
    r = issue(b, case_id, sign_password="ABCDEF", sign_password_confirm="ABCDEF")
    assert "数字を1文字以上" in r.text  # R-PIN-1
    assert case_state(fresh, case_id) is CaseState.OPEN


def test_p2_by_proxy_over_two_visits_with_the_inquiry_letter(fresh: Container) -> None:
    """R-PROC-2: visit 1 mails the letter; visit 2 brings it back; the letter number is found."""
    b = browser(fresh)
    b.login("clerk")
    case_id = open_case(b, resident_id(fresh, "柏林台"), "P2")
    r = record(
        b,
        case_id,
        visit="1",
        items=["card", "proxy_id"],
        proxy_documents=["passport"],
        proxy_name="代理 花子",
    )
    assert "照会書を郵送する" in r.text
    r = b.post_form(f"/staff/cases/{case_id}", f"/staff/cases/{case_id}/letter", {})
    number = re.search(r'data-testid="letter-number">照会書番号 <strong>([0-9-]+)</strong>', r.text)
    assert number, r.text
    assert case_state(fresh, case_id) is CaseState.AWAITING_REPLY
    assert "2回目" in r.text
    # the second visit: the clerk scans the letter number and lands on the case
    r = b.get("/staff/search", params={"letter": number.group(1)})
    assert f"/staff/cases/{case_id}?letter=" in str(r.url)
    r = record(
        b,
        case_id,
        visit="2",
        items=["inquiry_letter", "power_of_attorney", "card", "proxy_id"],
        proxy_documents=["qualification_certificate", "pension_document"],
        proxy_name="代理 花子",
        letter=number.group(1),
    )
    assert "必要なものはそろっています" in r.text
    assert f'value="{number.group(1)}"' in r.text  # carried into the issuance form
    r = issue(b, case_id, letter_number="2026-000000-0")
    assert "その番号の照会書はありません" in r.text or "照会書" in r.text
    assert case_state(fresh, case_id) is CaseState.AWAITING_REPLY
    r = issue(b, case_id, letter_number=number.group(1))
    assert "電子証明書を発行しました" in r.text
    assert "使用済み" in r.text


def test_p3_inside_the_window(fresh: Container) -> None:
    """R-PROC-3: 十勝 花子's certificates end on 2027-02-10; on 2026-11-24 she may renew."""
    b = browser(fresh)
    b.login("clerk")
    rid = resident_id(fresh, "十勝")
    assert "更新できます" in b.get(f"/staff/residents/{rid}").text
    case_id = open_case(b, rid, "P3")
    record(b, case_id, visit="1", items=["card", "holder_pin"], juki_pin=DEMO_JUKI_PIN)
    r = issue(b, case_id)
    assert "電子証明書を発行しました" in r.text
    page = b.get(f"/staff/residents/{rid}").text
    assert "失効" in page  # the old ones are superseded


def test_renewal_outside_the_window_is_refused_in_japanese(web: Browser, demo: Container) -> None:
    web.login("clerk")
    rid = resident_id(demo, "帯広")
    r = web.post_form(f"/staff/residents/{rid}", f"/staff/residents/{rid}/cases", {"kind": "P3"})
    assert "更新できる期間ではありません" in r.text
    assert "Traceback" not in r.text


def test_branch_office_is_refused_and_the_supervisor_sees_it(web: Browser, demo: Container) -> None:
    """R-PROC-0: a branch office clerk cannot open a certificate case."""
    web.login("branch")
    rid = resident_id(demo, "柏林台")
    r = web.post_form(f"/staff/residents/{rid}", f"/staff/residents/{rid}/cases", {"kind": "P1"})
    assert "この窓口では電子証明書の手続きはできません" in r.text
    sup = browser(demo)
    sup.login("supervisor")
    page = sup.get("/staff/supervisor").text
    refusals = page.split('data-testid="refusals"', 1)[1].split("</table>", 1)[0]
    assert "この窓口では電子証明書の手続きはできません" in refusals
    assert "川西支所" in refusals
    assert "branch_office" not in page  # no internal code shown to a person
    chain = page.split('data-testid="chain">', 1)[1].split("</p>", 1)[0]
    assert "改ざんはありません" in chain, chain


def test_refusal_by_the_clerk_is_recorded_with_its_reason(fresh: Container) -> None:
    b = browser(fresh)
    b.login("clerk")
    case_id = open_case(b, resident_id(fresh, "柏林台"), "P1")
    r = b.post_form(
        f"/staff/cases/{case_id}",
        f"/staff/cases/{case_id}/refuse",
        {"reason": "本人確認書類がそろわないため"},
    )
    assert "受付できないことを記録しますか" in r.text  # asks first (issue 15)
    assert case_state(fresh, case_id) is CaseState.OPEN
    r = b.post_form(
        f"/staff/cases/{case_id}",
        f"/staff/cases/{case_id}/refuse",
        {"reason": "本人確認書類がそろわないため", "confirmed": "1"},
    )
    assert "受付できないことを記録しました" in r.text
    assert "受付できず" in r.text
    assert case_state(fresh, case_id) is CaseState.REFUSED


def test_lost_card_holds_the_certificates(fresh: Container) -> None:
    b = browser(fresh)
    b.login("clerk")
    rid = resident_id(fresh, "帯広")
    case_id = open_case(b, rid, "card_lost")
    r = b.post_form(f"/staff/cases/{case_id}", f"/staff/cases/{case_id}/card-event", {})
    assert "完了" in r.text
    assert "一時保留" in b.get(f"/staff/residents/{rid}").text


def test_admin_changes_hours_and_adds_a_fee_line(fresh: Container) -> None:
    """R-PROC-4: the schedule is data with effective dates; offices and hours are configuration."""
    b = browser(fresh)
    b.login("admin")
    b.post_form(
        "/staff/admin",
        "/staff/admin/offices",
        {
            "code": "main",
            "name": "本庁",
            "desk": "戸籍住民課",
            "opens": "09:00",
            "closes": "17:00",
            "handles_certificates": "1",
        },
    )
    b.post_form(
        "/staff/admin",
        "/staff/admin/fees",
        {"effective_from": "2027-04-01", "standard_yen": "200"},
    )
    config = fresh.site.current()
    assert config.offices[0].opens.hour == 9
    assert config.fee_schedule[-1].standard_yen == 200
    assert not config.fee_schedule[-1].waived
    r = b.post_form(
        "/staff/admin",
        "/staff/admin/fees",
        {"effective_from": "2027-05-01", "standard_yen": "0", "waived": "1"},
    )
    assert "免除" in r.text and "alert error" in r.text  # a waiver must be named


def test_admin_creates_a_clerk_and_an_api_token(fresh: Container) -> None:
    b = browser(fresh)
    b.login("admin")
    b.post_form(
        "/staff/admin",
        "/staff/admin/staff",
        {
            "login": "newclerk",
            "name": "新人 職員",
            "role": "clerk",
            "office": "main",
            "password": "a-long-password",
        },
    )
    r = b.post_form(
        "/staff/admin", "/staff/admin/staff/newclerk", {"action": "token", "label": "T9"}
    )
    token = re.search(r"<code>(mdg_[A-Za-z0-9_-]+)</code>", r.text)
    assert token
    assert fresh.staff.token_account(token.group(1)).id == "newclerk"  # type: ignore[union-attr]
    other = browser(fresh)
    assert other.login("newclerk", "a-long-password").status_code == 303


def test_english_page_through_babel(web: Browser) -> None:
    web.login("clerk")
    r = web.get("/staff/?lang=en")
    assert r.status_code == 200
    assert '<html lang="en">' in r.text
