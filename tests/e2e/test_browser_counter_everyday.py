"""Issue 15's five blockers walked in Debian's Chromium with the keyboard only, against
`madoguchi serve` on the demo data; screenshots kept under artifacts/browser/ (also at a
390 px wide window), axe-core run on the case pages met on the way.

1. 柏林台 はるか does not know the 住基 PIN: served with ID documents.
2. 南 健太's lost card found: revoked, then new certificates on the same card.
3. ID documents: the health-insurance card refused beside the field naming 資格確認書, a
   proxy with two documents without photo and a name.
4. A wrong PIN: the tries left, the ticks kept, no refusal in the supervisor's list.
5. 帯広 太郎's signing certificate revoked: the new issuance keeps the valid auth one.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from madoguchi.services.demo import DEMO_JUKI_PIN
from tests.e2e.test_browser import check, find_resident, login, open_case, submit, type_into
from tests.support.axe import overflow, serious
from tests.support.browser import shot

RECORD = "[data-testid=record]"


@pytest.fixture
def page(browser: Browser, site: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=site,
        locale="ja-JP",
        viewport={"width": 1280, "height": 900},
        bypass_csp=True,  # axe-core is injected as a script the pages' CSP would refuse
    )
    page = context.new_page()
    yield page
    context.close()


def set_pins(page: Page, *, sign: bool = True, auth: bool = True) -> None:
    if sign:
        type_into(page, "#sign_password", "MADO2026")
        type_into(page, "#sign_password_confirm", "MADO2026")
    if auth:
        type_into(page, "#auth_pin", "4321")
        type_into(page, "#auth_pin_confirm", "4321")


def no_serious_violations(page: Page) -> None:
    assert serious(page) == [], page.url


def test_blockers_1_and_3_holder_without_pin_with_id_documents(page: Page) -> None:
    login(page, "clerk")
    find_resident(page, "はくりんだい")  # hiragana finds ハクリンダイ
    open_case(page, "P1")
    assert page.locator("#juki_pin").get_attribute("required") is None
    check(page, "input[name=items][value=card]")
    check(page, "input[name=holder_documents][value=health_insurance_card]")
    submit(page, RECORD)
    said = page.get_by_test_id("error-holder_documents")
    expect(said).to_contain_text("資格確認書")
    expect(
        page.locator("input[name=holder_documents][value=health_insurance_card]")
    ).to_be_checked()
    expect(page.locator("input[name=items][value=card]")).to_be_checked()
    no_serious_violations(page)
    shot(page, "i15-b3-health-card-refused")
    check(page, "input[name=holder_documents][value=health_insurance_card]")  # untick
    check(page, "input[name=holder_documents][value=qualification_certificate]")
    submit(page, RECORD)
    expect(page.get_by_test_id("saved")).to_contain_text("記録しました")
    expect(page.get_by_test_id("recorded-documents")).to_contain_text("資格確認書")
    expect(page.get_by_test_id("visit-complete")).to_be_visible()
    expect(page.get_by_test_id("record-folded")).not_to_have_attribute("open", "")
    shot(page, "i15-b1-id-documents-recorded")
    set_pins(page)
    submit(page, "[data-testid=issue]")
    expect(page.get_by_test_id("issued")).to_contain_text("電子証明書を発行しました")
    shot(page, "i15-b1-issued")


def test_blocker_3_proxy_with_two_documents_and_a_name(page: Page) -> None:
    login(page, "clerk")
    find_resident(page, "西 一郎")
    open_case(page, "P2")
    check(page, "input[name=items][value=card]")
    check(page, "input[name=proxy_documents][value=qualification_certificate]")
    check(page, "input[name=proxy_documents][value=pension_document]")
    submit(page, RECORD)
    expect(page.get_by_test_id("error-proxy_name")).to_contain_text("代理人の氏名")
    type_into(page, "#proxy_name", "代理 花子")
    submit(page, RECORD)
    expect(page.get_by_test_id("saved")).to_contain_text("記録しました")
    expect(page.get_by_test_id("recorded-documents")).to_contain_text("年金手帳")
    expect(page.locator("dl.facts").first).to_contain_text("代理 花子")
    no_serious_violations(page)
    shot(page, "i15-b3-proxy-recorded")
    page.set_viewport_size({"width": 390, "height": 844})
    wide = overflow(page)
    shot(page, "i15-b3-proxy-recorded-390")
    assert wide["scroll"] <= 390 + 1, wide


def test_blocker_4_wrong_pin_says_the_tries_left_and_is_no_refusal(page: Page) -> None:
    login(page, "clerk")
    find_resident(page, "キタ")
    open_case(page, "P1")
    check(page, "input[name=items][value=card]")
    check(page, "input[name=items][value=holder_pin]")
    type_into(page, "#juki_pin", "0000" if DEMO_JUKI_PIN != "0000" else "9999")
    submit(page, RECORD)
    said = page.get_by_test_id("error-juki_pin")
    expect(said).to_have_text("暗証番号が違います。あと2回間違えるとロックされます。")
    expect(page.locator("input[name=items][value=card]")).to_be_checked()
    expect(page.locator("input[name=items][value=holder_pin]")).to_be_checked()
    expect(page.locator("#juki_pin")).to_be_focused()
    no_serious_violations(page)
    shot(page, "i15-b4-wrong-pin")
    type_into(page, "#juki_pin", DEMO_JUKI_PIN)
    submit(page, RECORD)
    expect(page.get_by_test_id("visit-complete")).to_be_visible()
    page.context.clear_cookies()  # the supervisor at another desk
    login(page, "supervisor")
    page.goto("/staff/supervisor")
    refusals = page.get_by_test_id("refusals")
    if refusals.count():
        expect(refusals).not_to_contain_text("暗証番号が違います")
    shot(page, "i15-b4-supervisor")


def test_blocker_5_a_valid_certificate_is_replaced_only_when_chosen(page: Page) -> None:
    login(page, "clerk")
    find_resident(page, "オビヒロ")
    open_case(page, "revocation")
    check(page, "input[name=kinds][value=sign]")
    submit(page, "form[action$='/revoke'] button[type=submit]")
    expect(page.get_by_test_id("saved")).to_contain_text("失効")
    page.locator("dl.facts a").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/residents/**")
    open_case(page, "P1")
    check(page, "input[name=items][value=card]")
    check(page, "input[name=items][value=holder_pin]")
    type_into(page, "#juki_pin", DEMO_JUKI_PIN)
    submit(page, RECORD)
    kinds = page.get_by_test_id("kinds")
    expect(kinds.locator("input[value=sign]")).to_be_checked()
    expect(kinds.locator("input[value=auth]")).not_to_be_checked()
    expect(kinds).to_contain_text("有効な電子証明書があります")
    shot(page, "i15-b5-choice")
    set_pins(page, auth=False)
    submit(page, "[data-testid=issue]")
    issued = page.get_by_test_id("issued")
    expect(issued).to_contain_text("電子証明書を発行しました")
    expect(page.get_by_test_id("expiry-sign")).to_be_visible()
    expect(page.get_by_test_id("expiry-auth")).to_have_count(0)
    shot(page, "i15-b5-issued-sign-only")


def test_blocker_2_found_card_issued_again(page: Page) -> None:
    login(page, "clerk")
    find_resident(page, "ミナミ")
    expect(page.locator("input[name=kind]")).to_have_count(1)  # only "found" applies
    open_case(page, "card_found")
    submit(page, "form[action$='/card-event'] button[type=submit]")
    expect(page.get_by_test_id("saved")).to_contain_text("届出を受け付けました")
    shot(page, "i15-b2-found")
    submit(page, "[data-testid=start-p1]")
    page.wait_for_url("**/staff/cases/**")
    check(page, "input[name=items][value=card]")
    check(page, "input[name=items][value=holder_pin]")
    type_into(page, "#juki_pin", DEMO_JUKI_PIN)
    submit(page, RECORD)
    set_pins(page)
    submit(page, "[data-testid=issue]")
    expect(page.get_by_test_id("issued")).to_contain_text("電子証明書を発行しました")
    shot(page, "i15-b2-issued-on-the-found-card")


def test_refuse_asks_first_and_banner_for_the_deceased(page: Page) -> None:
    login(page, "clerk")
    find_resident(page, "カワニシ")
    open_case(page, "P1")
    page.locator("details summary").focus()
    page.keyboard.press("Enter")
    check(page, "input[name=reason] >> nth=0")
    submit(page, "form[action$='/refuse'] button[type=submit]")
    expect(page.get_by_test_id("confirm")).to_contain_text("受付できないことを記録しますか")
    expect(page.get_by_test_id("confirm-yes")).to_be_focused()
    shot(page, "i15-refuse-confirm")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.get_by_test_id("saved")).to_contain_text("受付できないことを記録しました")
    page.goto("/staff/")
    type_into(page, "#birth", "S63.11.30")  # a date of birth as clerks write it
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("search-results")).to_contain_text("柏林台")
    page.goto("/staff/")
    type_into(page, "#birth", "昭和63年11月30日")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("search-results")).to_contain_text("柏林台")
    shot(page, "i15-search-era-date")
    page.goto("/staff/")
    find_resident(page, "ミドリガオカ")
    expect(page.get_by_test_id("resident-warning")).to_contain_text("死亡")
    expect(page.get_by_test_id("no-errands")).to_be_visible()
    shot(page, "i15-deceased-banner")
