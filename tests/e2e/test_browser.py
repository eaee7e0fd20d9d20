"""The browser tests of issue 5: Debian's Chromium, headless, against `madoguchi serve` on
the demo data, driven with the keyboard the way a counter clerk works. Screenshots are kept
under artifacts/browser/.

- a clerk doing P2 over two visits with the inquiry letter (R-PROC-2),
- P3 inside the renewal window (R-PROC-3) with the expiry date shown large (R-PROC-5),
- a refusal at a branch office (R-PROC-0),
- a resident using the public checklist.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from madoguchi.services.demo import DEMO_JUKI_PIN
from tests.support.browser import shot

PASSWORDS = {
    "clerk": "clerk-demo-2026",
    "branch": "branch-demo-2026",
    "supervisor": "supervisor-demo-2026",
    "admin": "admin-demo-2026",
}


def type_into(page: Page, selector: str, text: str) -> None:
    """Focus a field and type, as on the counter's keyboard."""
    page.locator(selector).focus()
    page.keyboard.type(text)


def login(page: Page, who: str) -> None:
    page.goto("/staff/login")
    type_into(page, "#login", who)
    type_into(page, "#password", PASSWORDS[who])
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/")


def find_resident(page: Page, name: str) -> None:
    type_into(page, "#name", name)
    page.keyboard.press("Enter")
    page.get_by_test_id("search-results").get_by_role("link").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/residents/**")


def open_case(page: Page, kind: str) -> None:
    page.locator(f"input[name=kind][value={kind}]").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/cases/**")


def check(page: Page, selector: str) -> None:
    page.locator(selector).focus()
    page.keyboard.press("Space")


def submit(page: Page, selector: str) -> None:
    page.locator(selector).focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()


def test_p2_by_proxy_over_two_visits(page: Page) -> None:
    login(page, "clerk")
    find_resident(page, "ハクリンダイ")
    open_case(page, "P2")
    expect(page.get_by_test_id("checklist")).to_contain_text("代理人の本人確認書類")
    shot(page, "p2-visit1-checklist")
    check(page, "input[name=items][value=card]")
    check(page, "input[name=items][value=proxy_id]")
    check(page, "input[name=proxy_documents][value=driver_license]")
    type_into(page, "#proxy_name", "代理 花子")
    submit(page, "form[action$='/items'] button[type=submit]")
    expect(page.get_by_test_id("visit-complete")).to_be_visible()
    submit(page, "[data-testid=mail-letter]")
    letter = page.get_by_test_id("letter-number").locator("strong").inner_text()
    expect(page.get_by_test_id("case-state")).to_contain_text("照会書の持参待ち")
    shot(page, "p2-letter-mailed")
    # the second visit: the clerk scans the letter number on the first screen
    page.goto("/staff/")
    type_into(page, "#letter", letter)
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/cases/**")
    expect(page.get_by_test_id("checklist")).to_contain_text("照会書")
    for item in ("inquiry_letter", "power_of_attorney", "card", "proxy_id"):
        check(page, f"input[name=items][value={item}]")
    check(page, "input[name=proxy_documents][value=passport]")
    type_into(page, "#proxy_name", "代理 花子")
    submit(page, "form[action$='/items'] button[type=submit]")
    expect(page.locator("#letter_number")).to_have_value(letter)  # carried from the scan
    type_into(page, "#sign_password", "MADO2026")
    type_into(page, "#sign_password_confirm", "MADO2026")
    type_into(page, "#auth_pin", "4321")
    type_into(page, "#auth_pin_confirm", "4321")
    assert page.locator("#auth_pin").get_attribute("type") == "password"  # never shown
    shot(page, "p2-visit2-pins")
    submit(page, "[data-testid=issue]")
    expect(page.get_by_test_id("issued")).to_contain_text("電子証明書を発行しました")
    expect(page.get_by_test_id("expiry-sign")).to_contain_text("令和")
    assert "MADO2026" not in page.content()
    shot(page, "p2-issued")


def test_p3_inside_the_window(page: Page) -> None:
    login(page, "clerk")
    find_resident(page, "トカチ")
    expect(page.get_by_test_id("certificates").first).to_contain_text("更新できます")
    open_case(page, "P3")
    check(page, "input[name=items][value=card]")
    check(page, "input[name=items][value=holder_pin]")
    type_into(page, "#juki_pin", DEMO_JUKI_PIN)
    submit(page, "form[action$='/items'] button[type=submit]")
    expect(page.get_by_test_id("visit-complete")).to_be_visible()
    type_into(page, "#sign_password", "RENEW123")
    type_into(page, "#sign_password_confirm", "RENEW123")
    type_into(page, "#auth_pin", "2468")
    type_into(page, "#auth_pin_confirm", "2468")
    submit(page, "[data-testid=issue]")
    expiry = page.get_by_test_id("expiry-sign")
    expect(expiry).to_be_visible()
    size = expiry.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 40  # the date to write on the card's face is shown large
    shot(page, "p3-issued")


def test_refusal_at_a_branch_office(page: Page) -> None:
    login(page, "branch")
    expect(page.get_by_test_id("office-status")).to_contain_text("できません")
    expect(page.get_by_test_id("branch-refusal")).to_contain_text("本庁")
    find_resident(page, "オビヒロ")
    open_case_attempt = page.locator("input[name=kind][value=P1]")
    open_case_attempt.focus()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.get_by_role("alert")).to_contain_text("この窓口では電子証明書の手続きはできません")
    shot(page, "branch-refused")


def test_resident_uses_the_public_checklist(page: Page) -> None:
    page.goto("/checklist")
    check(page, "input[name=purpose][value=renewal]")
    check(page, "input[name=applicant][value=proxy]")
    notice = page.locator(
        "input[name=notice][value=yes], input[name=notice][value='1'], input[name=notice][value=true]"
    ).first
    notice.focus()
    page.keyboard.press("Space")
    page.locator("form button[type=submit]").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    result = page.get_by_test_id("checklist-result")
    expect(result).to_contain_text("照会書兼回答書")
    expect(result).to_contain_text("委任状")
    expect(result).to_contain_text("有効期限通知書")
    shot(page, "public-checklist-p4")


UNLABELED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
    .map(e => e.name)"""


def test_every_input_has_a_label(page: Page) -> None:
    """Accessible markup: every visible input of the staff and public pages has a label,
    and every page has one h1 and a lang attribute."""
    public = [
        "/",
        "/checklist",
        "/checklist?purpose=renewal&applicant=self&pin_known=yes",
        "/offices",
        "/fees",
        "/check",
        "/staff/login",
    ]
    for url in public:
        page.goto(url)
        assert page.evaluate(UNLABELED) == [], url
        assert page.locator("h1").count() == 1, url
        assert page.locator("html").get_attribute("lang") == "ja"
    login(page, "admin")
    find_resident(page, "ハクリンダイ")
    resident_url = page.url
    staff = [
        "/staff/",
        resident_url,
        "/staff/admin",
        "/staff/supervisor",
        "/staff/supervisor/notices",
        "/staff/notices/returned",
    ]
    open_case(page, "PIN_RESET".lower())
    staff.append(page.url)
    for url in staff:
        page.goto(url)
        assert page.evaluate(UNLABELED) == [], url
        assert page.locator("h1").count() == 1, url


def test_focus_is_visible_and_skip_link_works(page: Page) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.className")
    assert "skip" in focused
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_artifacts_exist() -> None:
    from tests.support.browser import ARTIFACTS

    assert Path(ARTIFACTS).is_dir()
