"""Browser tests of issue 16 (Debian's Chromium, headless, `madoguchi serve` on the demo data,
driven as a clerk would): a move abroad with continued use and the 国外転出者向け signing
certificate (R-ABROAD-1, R-ABROAD-3), a face-authentication switch and back (R-FACE-1,
R-FACE-2), and a validity change with its renewal (R-CARD-3). Screenshots go to
artifacts/browser/."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import Page, expect

from madoguchi.services.demo import DEMO_JUKI_PIN
from tests.e2e.test_browser import check, find_resident, login, submit, type_into
from tests.support.browser import shot


def issue_renewal(page: Page, password: str, pin: str) -> None:
    check(page, "input[name=items][value=card]")
    check(page, "input[name=items][value=holder_pin]")
    type_into(page, "#juki_pin", DEMO_JUKI_PIN)
    submit(page, "form[action$='/items'] button[type=submit]")
    expect(page.get_by_test_id("visit-complete")).to_be_visible()
    type_into(page, "#sign_password", password)
    type_into(page, "#sign_password_confirm", password)
    type_into(page, "#auth_pin", pin)
    type_into(page, "#auth_pin_confirm", pin)
    submit(page, "[data-testid=issue]")
    expect(page.get_by_test_id("issued")).to_contain_text("電子証明書を発行しました")


def test_r_abroad_move_abroad_with_continued_use_and_the_abroad_certificate(page: Page) -> None:
    login(page, "clerk")
    find_resident(page, "ニシ")
    form = page.get_by_test_id("move-abroad-notice")
    page.fill("#move_out", (date.today() + timedelta(days=20)).isoformat())
    type_into(page, "#destination", "カナダ")
    check(page, "input[name=continued]")
    submit(page, "[data-testid=move-abroad-notice] button[type=submit]")
    expect(page.locator("p.alert.ok")).to_contain_text("国外転出届を受け付けました")
    expect(form).to_have_count(0)
    shot(page, "abroad-notice")
    # R-ABROAD-3 before the move-out: the holder in person
    check(page, "input[name=applicant][value=self]")
    submit(page, "[data-testid=abroad-sign] button[type=submit]")
    page.wait_for_url("**/staff/cases/**")
    issue_renewal(page, "ABROAD26", "2580")
    shot(page, "abroad-sign-issued")
    # after the move-out (the demo's 海外 悠真): a proxy is refused with the reason
    page.goto("/staff/")
    find_resident(page, "カイガイ")
    check(page, "input[name=applicant][value=household]")
    submit(page, "[data-testid=abroad-sign] button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("本人が来庁して申請してください")
    shot(page, "abroad-proxy-refused")


def test_r_face_switch_to_face_auth_and_back(page: Page) -> None:
    login(page, "clerk")
    find_resident(page, "カワニシ")
    submit(page, "[data-testid=face-auth-switch] button[type=submit]")
    expect(page.locator("p.alert.ok")).to_contain_text("顔認証マイナンバーカードに切り替えました")
    expect(page.get_by_test_id("remarks")).to_contain_text("顔認証")
    shot(page, "face-auth-on")
    type_into(page, "#juki_pin", "1357")
    type_into(page, "#kenmen_pin", "2468")
    type_into(page, "#auth_pin", "3579")
    submit(page, "[data-testid=face-auth-back] button[type=submit]")
    expect(page.locator("p.alert.ok")).to_contain_text("通常のカードに戻し")
    expect(page.get_by_test_id("face-auth-switch")).to_be_visible()
    assert "3579" not in page.content()
    shot(page, "face-auth-off")


def test_r_card_3_validity_change_with_its_renewal(page: Page) -> None:
    login(page, "clerk")
    find_resident(page, "グエン")
    expect(page.get_by_test_id("limited-by-stay")).to_be_visible()
    new_stay = date.today() + timedelta(days=3 * 365)
    page.fill("#new_stay_until", new_stay.isoformat())
    check(page, "input[name=applicant][value=holder]")
    submit(page, "[data-testid=validity-change] button[type=submit]")
    page.wait_for_url("**/staff/cases/**")
    shot(page, "validity-change-case")
    issue_renewal(page, "STAY2029", "1470")
    expect(page.get_by_test_id("expiry-sign")).to_contain_text("令和")
    shot(page, "validity-change-renewed")
