"""Every page of the application, checked in Debian's Chromium (issue 15).

Against `madoguchi serve` on the demo data, each page — public, staff, supervisor, admin and
the error pages, logged in as the role that sees it — is opened in Japanese and in English
and checked with axe-core (no serious or critical violation); every public page is also
opened at 390 px and may not scroll sideways, and the English public pages hold no Japanese
outside data marked ``lang="ja"``. The pages are reached the way people reach them, with the
keyboard, and a screenshot of each is kept under artifacts/browser/pages/.

A new GET route that serves a page must be added to the walk: the last test compares the
walk with the application's route table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from madoguchi.bootstrap import Container
from madoguchi.config import Settings
from tests.integration.web.test_authz_matrix import ROUTES
from tests.support.axe import PHONE, japanese_outside_lang_ja, overflow, serious
from tests.support.browser import ARTIFACTS, chromium
from tests.support.processes import madoguchi, serving

PASSWORDS = {
    "clerk": "clerk-demo-2026",
    "supervisor": "supervisor-demo-2026",
    "admin": "admin-demo-2026",
}
SHOTS = ARTIFACTS / "pages"
#: the routes that are no page for a person (files, JSON, redirects, POST targets)
NOT_PAGES = re.compile(
    r"^/(api|ocsp|crl|ca|static|healthz|readyz|metrics)(/|$)|\.(pdf|csv|der|crl|\{ext\})$"
    r"|/logout$"
    r"|^/staff/login$"
)
CHECKED: set[str] = set()  # the route templates the walk opened


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pages") / "data"
    madoguchi("demo-data", "--data-dir", str(path))
    return path


@pytest.fixture(scope="module")
def site(data: Path) -> Iterator[str]:
    with serving(data) as base:
        yield base


@pytest.fixture(scope="module")
def links(data: Path) -> dict[str, str]:
    """Addresses that need the store: a resident, a card-renewal link (the notice's QR)."""
    c = Container(Settings(data_dir=data), lambda: datetime.now(UTC))
    c.start()
    resident = c.views.find_residents(name="トカチ", birth=None)[0]
    card = c.views.resident(resident.id).cards[0]
    other = c.views.find_residents(name="一郎", birth=None)[0]
    other_card = c.views.resident(other.id).cards[0]
    return {
        "resident": f"/staff/residents/{resident.id}",
        "renewal": "/card-renewal/" + c.card_renewal.reference(card.id, card.expires),
        "renewal2": "/card-renewal/" + c.card_renewal.reference(other_card.id, other_card.expires),
    }


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def context(browser: Browser, site: str, *, phone: bool = False) -> BrowserContext:
    return browser.new_context(
        base_url=site,
        locale="ja-JP",
        viewport=PHONE if phone else {"width": 1280, "height": 900},
        bypass_csp=True,  # axe-core is injected as a script the pages' CSP would refuse
    )


def route_of(page: Page) -> str:
    """The route template of the page's path (ids replaced), to compare with the app's."""
    path = re.sub(r"\?.*$", "", page.url.split("//", 1)[1].split("/", 1)[1])
    path = "/" + path
    path = re.sub(r"^/staff/residents/[^/]+", "/staff/residents/{resident_id}", path)
    path = re.sub(r"^/staff/cases/[^/]+", "/staff/cases/{case_id}", path)
    path = re.sub(r"^/card-renewal/[^/]+", "/card-renewal/{ref}", path)
    path = re.sub(
        r"^/staff/supervisor/notices/[^/]+/dispatch",
        "/staff/supervisor/notices/{campaign}/dispatch",
        path,
    )
    return path


def checked(page: Page, name: str, *, phone: bool = False, english: bool = False) -> None:
    """axe-core finds nothing serious; a phone page does not scroll sideways; an English
    public page holds no Japanese outside data marked lang="ja"; a screenshot is kept."""
    page.wait_for_load_state()
    CHECKED.add(route_of(page))
    problems = serious(page)
    assert problems == [], f"{name} ({page.url}): " + "\n".join(problems)
    if phone:
        wide = overflow(page)
        assert wide["scroll"] <= wide["width"], (
            f"{name} is {wide['scroll']} px wide: {wide['wide']}"
        )
    if english:
        assert page.locator("html").get_attribute("lang") == "en"
        leaks = japanese_outside_lang_ja(page)
        assert leaks == [], f"{name}: Japanese on the English page: {leaks[:8]}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def key_in(page: Page, selector: str, text: str) -> None:
    page.locator(selector).focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def press(page: Page, selector: str, key: str = "Enter") -> None:
    """Focus and press; Enter submits or follows a link, and the next page is waited for."""
    page.locator(selector).first.focus()
    if key == "Enter":
        with page.expect_navigation():
            page.keyboard.press(key)
    else:
        page.keyboard.press(key)
    page.wait_for_load_state()


def login(page: Page, who: str) -> None:
    page.goto("/staff/login")
    key_in(page, "#login", who)
    key_in(page, "#password", PASSWORDS[who])
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/")


PUBLIC = [
    ("home", "/"),
    ("checklist", "/checklist"),
    ("checklist-p1", "/checklist?purpose=new&applicant=self&pin=yes"),
    ("checklist-p2", "/checklist?purpose=new&applicant=proxy"),
    ("checklist-p3", "/checklist?purpose=renewal&applicant=self&notice=yes&pin=no"),
    ("checklist-p4", "/checklist?purpose=renewal&applicant=proxy&notice=yes"),
    ("checklist-p5", "/checklist?purpose=renewal&applicant=proxy&notice=no"),
    ("checklist-missing", "/checklist?purpose=renewal"),
    ("offices", "/offices"),
    ("fees", "/fees"),
    ("check", "/check"),
    ("verify", "/verify"),
    ("staff-login", "/staff/login"),
    ("not-found", "/no-such-page"),
    ("bad-renewal-link", "/card-renewal/forged.link"),
]


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_public_page(
    browser: Browser, site: str, links: dict[str, str], lang: str, phone: bool
) -> None:
    ctx = context(browser, site, phone=phone)
    page = ctx.new_page()
    page.goto(f"/?lang={lang}")  # the language is remembered in a cookie
    suffix = f"{lang}-{'390' if phone else 'desktop'}"
    for name, url in [*PUBLIC, ("card-renewal", links["renewal"])]:
        page.goto(url)
        checked(page, f"public-{name}-{suffix}", phone=phone, english=lang == "en")
    # the certificate check, by the copy's kind and serial (a result and an error)
    page.goto("/check")
    page.locator("#kind").select_option("sign")
    key_in(page, "#serial", "1234 ABCD")
    press(page, "form[data-testid=check-form] button[type=submit]")
    expect(page.get_by_test_id("check-result")).to_be_visible()
    checked(page, f"public-check-result-{suffix}", phone=phone, english=lang == "en")
    page.goto("/check")
    press(page, "form[data-testid=check-form] button[type=submit]")
    checked(page, f"public-check-error-{suffix}", phone=phone, english=lang == "en")
    # the card renewal: an incomplete form, then (once per card) the receipt and the repeat
    page.goto(links["renewal2"])
    press(page, "#consent", "Space")
    page.locator("#contact").evaluate("e => e.removeAttribute('required')")
    press(page, "form[data-testid=renewal-form] button[type=submit]")
    checked(page, f"public-renewal-error-{suffix}", phone=phone, english=lang == "en")
    ctx.close()


def test_card_renewal_receipt_and_repeat(
    browser: Browser, site: str, links: dict[str, str]
) -> None:
    """On a phone, from the notice's QR code: the application and its receipt; the same link
    again shows the application already received (also in English)."""
    ctx = context(browser, site, phone=True)
    page = ctx.new_page()
    page.goto(links["renewal2"])
    key_in(page, "#contact", "0155-00-1234")
    press(page, "#consent", "Space")
    press(page, "form[data-testid=renewal-form] button[type=submit]")
    expect(page.get_by_test_id("application-number")).to_be_visible()
    checked(page, "public-renewal-done-390", phone=True)
    page.goto(links["renewal2"])
    expect(page.get_by_test_id("existing-application")).to_be_visible()
    checked(page, "public-renewal-existing-390", phone=True)
    page.goto(links["renewal2"] + "?lang=en")
    checked(page, "public-renewal-existing-en-390", phone=True, english=True)
    ctx.close()


def test_staff_pages_of_each_role(browser: Browser, site: str, links: dict[str, str]) -> None:
    """The clerk's, the supervisor's and the admin's pages, in Japanese and English."""
    for lang in ("ja", "en"):
        ctx = context(browser, site)
        page = ctx.new_page()
        page.goto(f"/staff/login?lang={lang}")
        checked(page, f"staff-login-{lang}")
        login(page, "clerk")
        checked(page, f"clerk-home-{lang}")
        key_in(page, "#name", "トカチ")
        press(page, "#name")
        checked(page, f"clerk-search-{lang}")
        page.goto(links["resident"])
        checked(page, f"clerk-resident-{lang}")
        page.goto(links["resident"])
        page.locator("input[name=kind][value=P3]").focus()
        page.keyboard.press("Space")
        page.keyboard.press("Enter")
        page.wait_for_url("**/staff/cases/**")
        checked(page, f"clerk-case-{lang}")
        page.goto("/staff/notices/returned")
        checked(page, f"clerk-returned-{lang}")
        page.goto("/staff/admin")  # a clerk may not: the error page
        checked(page, f"clerk-forbidden-{lang}")
        ctx.close()

        ctx = context(browser, site)
        page = ctx.new_page()
        page.goto(f"/?lang={lang}")
        login(page, "supervisor")
        page.goto("/staff/supervisor")
        checked(page, f"supervisor-day-{lang}")
        page.goto("/staff/supervisor?actions=staff")
        checked(page, f"supervisor-day-filtered-{lang}")
        page.goto("/staff/supervisor/notices")
        checked(page, f"supervisor-notices-{lang}")
        ctx.close()

        ctx = context(browser, site)
        page = ctx.new_page()
        page.goto(f"/?lang={lang}")
        login(page, "admin")
        page.goto("/staff/admin")
        checked(page, f"admin-{lang}")
        key_in(page, "#opens-main", "8.30")
        press(page, "#opens-main")
        expect(page.get_by_test_id("refused")).to_be_visible()
        checked(page, f"admin-refused-{lang}")
        ctx.close()


def test_supervisor_walks_a_mailing_with_the_keyboard(browser: Browser, site: str) -> None:
    """Plan (a window that is too far is explained), dispatch after the confirmation page,
    record the hand-over, follow a notice; the audit table one line per entry."""
    ctx = context(browser, site)
    page = ctx.new_page()
    login(page, "supervisor")
    page.goto("/staff/supervisor/notices")
    key_in(page, "#from", "2026-01-01")
    press(page, "form[action$='/plan'] button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("両方")
    checked(page, "notices-window-refused")
    page.locator("#from").fill("")
    page.locator("#to").fill("")
    press(page, "form[action$='/plan'] button[type=submit]")
    expect(page.get_by_test_id("outcome")).to_contain_text("通計画しました")
    assert "処理しました" not in page.content()
    heading = page.locator("section.campaign h2").first.inner_text()
    assert "有効期限が" in heading and "令和" in heading  # named by its dates
    checked(page, "notices-planned")
    press(page, "[data-testid=dispatch]")
    expect(page.get_by_test_id("confirm-dispatch")).to_be_visible()
    checked(page, "notices-confirm-dispatch")
    press(page, "[data-testid=confirm]")
    outcome = page.get_by_test_id("outcome")
    expect(outcome).to_be_visible()
    checked(page, "notices-dispatched")
    batches = page.locator("[data-testid=batches] tr[data-batch]")
    if batches.count():
        first = batches.first
        assert first.get_attribute("data-state") == "done"
        expect(first).to_contain_text("印刷データ作成済み")
        press(page, f"#ho-{first.get_attribute('data-batch')}", "Space")
        press(page, f"tr[data-batch='{first.get_attribute('data-batch')}'] button[type=submit]")
        expect(page.get_by_test_id("outcome")).to_contain_text("印刷業者に引き渡した")
        checked(page, "notices-handed-over")
    page.goto("/staff/supervisor")
    rows = page.locator("[data-testid=audit] tbody tr")
    assert rows.count() > 5
    tallest = max(rows.nth(i).bounding_box()["height"] for i in range(rows.count()))  # type: ignore[index]
    assert tallest < 60, tallest  # one line per entry (a row was 254 px tall)
    times = page.locator("[data-testid=audit] td.time").all_inner_texts()
    assert all(re.fullmatch(r"\d\d:\d\d", t) for t in times), times[:5]
    assert "notices." not in page.locator("[data-testid=audit]").inner_text()  # no codes
    checked(page, "supervisor-day-after-mailing")
    ctx.close()


def test_the_walk_covers_every_page_route() -> None:
    """Every GET route that serves an HTML page was opened by the walk above."""
    pages = {path for method, path in ROUTES if method == "GET" and not NOT_PAGES.search(path)}
    assert CHECKED, "run with the walks above"
    assert pages - CHECKED == set(), f"pages no walk checked: {sorted(pages - CHECKED)}"
