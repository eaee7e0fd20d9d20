"""The public pages (no login): home, the checklist of P1–P5 (SPEC.md §4), offices and the
R-PROC-0 notice, fees (R-PROC-4), the certificate check without any lookup by person
(R-PROC-7) and the card renewal application of the expiry notice's QR code (R-NOTICE-2)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from madoguchi.bootstrap import Container
from madoguchi.pki.records import CertRecord
from madoguchi.rules.dates import JST, format_japanese_with_western, jst_date
from madoguchi.rules.fees import FeeEntry
from madoguchi.rules.items import Item
from madoguchi.rules.revocation import RevocationReason
from madoguchi.rules.validity import CertKind
from madoguchi.services.audit import Actor
from madoguchi.services.domain import Card
from tests.support.web import Browser, browser, csrf_of

ADMIN = Actor("admin", "main", "T-test")
MAIN_DESK = "戸籍住民課 マイナンバーカード交付担当（市庁舎水道棟3階 大会議室）"
WAIVER = "国の規程の経過措置により無料"


# --- helpers --------------------------------------------------------------------------------


def section(html: str, testid: str) -> str:
    """The element carrying ``data-testid`` up to its closing tag (no nesting of the same tag)."""
    m = re.search(rf'<(\w+)[^>]*data-testid="{re.escape(testid)}"[^>]*>', html)
    assert m, f"no element with data-testid={testid!r}"
    tag = m.group(1)
    depth, pos = 1, m.end()
    for t in re.finditer(rf"<(/?){tag}\b[^>]*>", html[pos:]):
        depth += -1 if t.group(1) else 1
        if depth == 0:
            return html[m.start() : pos + t.end()]
    raise AssertionError(f"unclosed {tag} for {testid}")


def has_testid(html: str, testid: str) -> bool:
    return f'data-testid="{testid}"' in html


def items_of(html: str, visit: int) -> list[str]:
    return re.findall(r'data-item="(\w+)"', section(html, f"items-{visit}"))


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))


class PageShape(HTMLParser):
    """Form controls, their labels and the heading levels of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.headings: list[int] = []
        self.radios_outside_fieldset: list[str] = []
        self._fieldsets = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "fieldset":
            self._fieldsets += 1
        elif tag in ("input", "select", "textarea"):
            if a.get("type") not in ("hidden", "submit"):
                self.controls.append(a)
            if a.get("type") == "radio" and not self._fieldsets:
                self.radios_outside_fieldset.append(str(a.get("name")))
        elif tag == "label" and a.get("for"):
            self.label_for.add(str(a["for"]))
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "fieldset":
            self._fieldsets -= 1


def assert_accessible(html: str) -> None:
    shape = PageShape()
    shape.feed(html)
    unlabelled = [c for c in shape.controls if c.get("id") not in shape.label_for]
    assert not unlabelled, f"controls without a <label for>: {unlabelled}"
    assert not shape.radios_outside_fieldset
    assert shape.headings and shape.headings[0] == 1
    assert shape.headings.count(1) == 1
    for before, after in zip(shape.headings, shape.headings[1:], strict=False):
        assert after <= before + 1, f"heading levels jump: {shape.headings}"


def cards_and_certs(c: Container, name: str) -> tuple[Card, list[CertRecord]]:
    with c.uow() as uow:
        (resident,) = uow.counter.find_residents(name=name)
        (card,) = uow.counter.cards_of(resident.id)
        certs = uow.pki.certificates_of_card(card.id)
    return card, certs


def cert_of(c: Container, name: str, kind: CertKind) -> CertRecord:
    _, certs = cards_and_certs(c, name)
    return next(r for r in certs if r.kind is kind)


def pem_of(record: CertRecord) -> bytes:
    return x509.load_der_x509_certificate(record.der).public_bytes(Encoding.PEM)


def upload(b: Browser, data: bytes, filename: str = "cert.pem", **fields: str):  # type: ignore[no-untyped-def]
    return b.post_form("/check", "/check", dict(fields), files={"certificate": (filename, data)})


def set_jst(c: Container, moment: datetime) -> None:
    c.clock.now = moment.astimezone(UTC)  # type: ignore[attr-defined]


# --- home -----------------------------------------------------------------------------------


def test_home_links_every_public_page_and_names_the_only_certificate_office(web: Browser) -> None:
    """R-PROC-0: only the main office handles certificates; the branches are named as not."""
    r = web.get("/")
    assert r.status_code == 200
    for href in ("/checklist", "/offices", "/fees", "/check"):
        assert f'href="{href}"' in r.text
    notice = text_of(section(r.text, "office-notice"))
    assert f"電子証明書の手続きができるのは、本庁の{MAIN_DESK}だけです" in notice
    assert "川西支所、大正支所では電子証明書の手続きはできません" in notice
    assert "8時45分〜17時30分" in notice
    assert "〒080-8670 帯広市西5条南7丁目1番地" in notice


# --- the checklist (SPEC.md §4) --------------------------------------------------------------

P = {
    "new-self-pin": "purpose=new&applicant=self&pin=yes",
    "new-self-nopin": "purpose=new&applicant=self&pin=no",
    "new-proxy": "purpose=new&applicant=proxy",
    "renew-self-notice-pin": "purpose=renewal&applicant=self&notice=yes&pin=yes",
    "renew-self-nonotice-nopin": "purpose=renewal&applicant=self&notice=no&pin=no",
    "renew-self-notice-nopin": "purpose=renewal&applicant=self&notice=yes&pin=no",
    "renew-proxy-notice": "purpose=renewal&applicant=proxy&notice=yes",
    "renew-proxy-nonotice": "purpose=renewal&applicant=proxy&notice=no&pin=yes",
}
SECOND_VISIT = ["inquiry_letter", "power_of_attorney", "card", "proxy_id"]


@pytest.mark.parametrize(
    ("answers", "procedure", "title", "visits"),
    [
        (P["new-self-pin"], "P1", "新規発行（本人）", [["card", "holder_pin"]]),
        (P["new-self-nopin"], "P1", "新規発行（本人）", [["card", "holder_id"]]),
        (P["new-proxy"], "P2", "新規発行（代理人）", [["card", "proxy_id"], SECOND_VISIT]),
        (
            P["renew-self-notice-pin"],
            "P3",
            "更新（本人）",
            [["card", "holder_pin", "expiry_notice"]],
        ),
        (P["renew-self-nonotice-nopin"], "P3", "更新（本人）", [["card", "holder_id"]]),
        (
            P["renew-self-notice-nopin"],
            "P3",
            "更新（本人）",
            [["card", "holder_id", "expiry_notice"]],
        ),
        (
            P["renew-proxy-notice"],
            "P4",
            "更新（代理人・有効期限通知書あり）",
            [["card", "expiry_notice", "inquiry_reply", "power_of_attorney", "proxy_id"]],
        ),
        (
            P["renew-proxy-nonotice"],
            "P5",
            "更新（代理人・有効期限通知書なし）",
            [["card", "holder_id", "proxy_id"], SECOND_VISIT],
        ),
    ],
    ids=list(P),
)
def test_checklist_shows_the_exact_items_of_each_visit(
    web: Browser, answers: str, procedure: str, title: str, visits: list[list[str]]
) -> None:
    """SPEC.md §4 table of P1–P5: the procedure and, per visit, exactly its items."""
    r = web.get(f"/checklist?{answers}")
    assert r.status_code == 200
    result = section(r.text, "checklist-result")
    assert f'data-procedure="{procedure}"' in result
    assert title in result
    for number, expected in enumerate(visits, start=1):
        assert items_of(result, number) == expected
        block = section(result, f"items-{number}")
        for code in expected:
            item = Item(code)
            assert item.label in block
            assert item.note in block
    assert not has_testid(result, f"visit-{len(visits) + 1}")
    issued = "電子証明書を発行し、電子証明書の写しをお渡しします。"
    assert issued in text_of(section(result, f"outcome-{len(visits)}"))
    if len(visits) == 2:
        assert "本人の住民登録地あてに照会書を郵送します（転送不要）" in section(
            result, "outcome-1"
        )
        mail = text_of(section(result, "mail-note"))
        assert "転送不要" in mail
        assert "2回目の来庁" in mail
        assert "窓口に2回来ていただく必要があります" in result
    else:
        assert not has_testid(result, "mail-note")
        assert "1回の来庁で手続きが終わります" in result


def test_checklist_tells_where_and_when_and_the_fee(web: Browser) -> None:
    """R-PROC-0 and R-PROC-4: the certificate office with desk, address, hours and today's
    status; the branches cannot; the fee is 0 yen under the named waiver (200 yen otherwise)."""
    result = section(web.get(f"/checklist?{P['new-self-pin']}").text, "checklist-result")
    where = text_of(section(result, "where"))
    assert "本庁" in where
    assert MAIN_DESK in where
    assert "〒080-8670 帯広市西5条南7丁目1番地" in where
    assert "8時45分〜17時30分" in where
    assert "開庁中" in where  # Tuesday 10:00
    assert "本日 17:30 まで受け付けています" in where
    assert "川西支所、大正支所では電子証明書の手続きはできません" in where
    fee = text_of(section(result, "fee"))
    assert "0円" in fee
    assert "通常は200円" in fee
    assert WAIVER in fee


def test_checklist_gives_the_next_opening_when_the_office_is_closed(fresh: Container) -> None:
    """R-PROC-0: on Friday evening the next open moment is Monday 8:45."""
    set_jst(fresh, datetime(2026, 11, 27, 18, 0, tzinfo=JST))
    where = text_of(section(browser(fresh).get(f"/checklist?{P['new-proxy']}").text, "where"))
    assert "閉庁中" in where
    assert f"次の受付開始: {format_japanese_with_western(date(2026, 11, 30))} 8時45分から" in where


def test_checklist_says_today_when_the_office_opens_later_today(fresh: Container) -> None:
    """Issue 15: before the doors open the page says 「本日8時45分から」, not a date."""
    set_jst(fresh, datetime(2026, 11, 30, 7, 30, tzinfo=JST))
    where = text_of(section(browser(fresh).get(f"/checklist?{P['new-proxy']}").text, "where"))
    assert "閉庁中" in where
    assert "本日8時45分から受け付けます。" in where
    assert "次の受付開始" not in where


def test_checklist_without_answers_shows_only_the_form(web: Browser) -> None:
    r = web.get("/checklist")
    assert r.status_code == 200
    assert has_testid(r.text, "checklist-form")
    assert not has_testid(r.text, "checklist-result")
    assert not has_testid(r.text, "checklist-errors")
    assert_accessible(r.text)
    for name in ("purpose", "applicant", "notice", "pin"):
        assert f'id="q-{name}"' in r.text  # each question is a fieldset with a legend


@pytest.mark.parametrize(
    ("query", "messages"),
    [
        ("purpose=new", ["本人が来るか、代理人が来るかを選んでください。"]),
        ("applicant=self&pin=yes", ["新規か更新かを選んでください。"]),
        (
            "purpose=bogus&applicant=nobody",
            ["新規か更新かを選んでください。", "本人が来るか、代理人が来るかを選んでください。"],
        ),
        (
            "purpose=renewal&applicant=proxy",
            ["更新の方は、有効期限通知書が手元にあるかどうかを選んでください。"],
        ),
        (
            "purpose=new&applicant=self",
            ["本人が来る方は、本人が暗証番号を覚えているかどうかを選んでください。"],
        ),
        (
            "purpose=renewal&applicant=self&notice=maybe&pin=",
            [
                "更新の方は、有効期限通知書が手元にあるかどうかを選んでください。",
                "本人が来る方は、本人が暗証番号を覚えているかどうかを選んでください。",
            ],
        ),
    ],
)
def test_missing_or_invalid_answers_show_the_form_with_a_message(
    web: Browser, query: str, messages: list[str]
) -> None:
    r = web.get(f"/checklist?{query}")
    assert r.status_code == 422
    assert not has_testid(r.text, "checklist-result")
    errors = text_of(section(r.text, "checklist-errors"))
    for text in messages:
        assert text in errors
    assert has_testid(r.text, "checklist-form")
    assert_accessible(r.text)


def test_checklist_keeps_the_answers_in_the_form(web: Browser) -> None:
    r = web.get(f"/checklist?{P['renew-proxy-notice']}")
    assert re.search(r'id="purpose-renewal"[^>]*checked', r.text)
    assert re.search(r'id="applicant-proxy"[^>]*checked', r.text)
    assert re.search(r'id="notice-yes"[^>]*checked', r.text)
    assert not re.search(r'id="purpose-new"[^>]*checked', r.text)


# --- offices (R-PROC-0) ----------------------------------------------------------------------


def test_offices_page_lists_offices_and_sends_branch_visitors_to_the_main_office(
    web: Browser,
) -> None:
    """R-PROC-0: the main office handles certificates; each branch says it cannot and names
    the main office's desk and hours."""
    r = web.get("/offices")
    assert r.status_code == 200
    main = text_of(section(r.text, "office-main"))
    assert MAIN_DESK in main
    assert "開庁中" in main
    assert "0155-65-4234" in main
    for code, name in (("kawanishi", "川西支所"), ("taisho", "大正支所")):
        branch = section(r.text, f"office-{code}")
        refusal = text_of(section(branch, "branch-refusal"))
        assert f"{name}では電子証明書の手続きはできません" in refusal
        assert f"本庁の{MAIN_DESK}までお越しください（8時45分〜17時30分）" in refusal
    assert_accessible(r.text)


def calendar_rows(html: str) -> dict[str, tuple[str, str]]:
    table = section(html, "calendar")
    rows = re.findall(r'<tr data-date="([\d-]+)" data-open="(\w+)">(.*?)</tr>', table, re.S)
    return {d: (is_open, text_of(body)) for d, is_open, body in rows}


def test_offices_page_lists_the_next_30_days_weekends(web: Browser) -> None:
    """The next 30 days from Tuesday 2026-11-24: only weekends close (no holiday until 29 Dec)."""
    rows = calendar_rows(web.get("/offices").text)
    expected = {
        "2026-11-28",
        "2026-11-29",
        "2026-12-05",
        "2026-12-06",
        "2026-12-12",
        "2026-12-13",
        "2026-12-19",
        "2026-12-20",
    }
    assert set(rows) == expected
    assert rows["2026-11-28"] == ("no", rows["2026-11-28"][1])
    assert "土曜日" in rows["2026-11-28"][1]
    assert "日曜日" in rows["2026-11-29"][1]


def test_offices_page_shows_year_end_holidays_and_configured_days(fresh: Container) -> None:
    """Default closures (29 Dec–3 Jan, national holidays) and the admin's closures and openings."""
    fresh.site.save_calendar({date(2026, 12, 24)}, {date(2026, 12, 27)}, ADMIN)
    set_jst(fresh, datetime(2026, 12, 20, 9, 0, tzinfo=JST))  # Sunday
    rows = calendar_rows(browser(fresh).get("/offices").text)
    assert min(rows) == "2026-12-20"
    assert max(rows) <= "2027-01-18"
    assert rows["2026-12-24"][0] == "no" and "臨時閉庁日" in rows["2026-12-24"][1]
    assert rows["2026-12-27"][0] == "yes" and "臨時開庁日" in rows["2026-12-27"][1]
    for day in ("2026-12-29", "2026-12-30", "2026-12-31", "2027-01-01", "2027-01-02"):
        assert "年末年始" in rows[day][1], day
    assert "成人の日" in rows["2027-01-11"][1]
    assert "2026-12-25" not in rows and "2027-01-04" not in rows  # ordinary weekdays


def test_offices_page_lists_the_whole_year_end_closure(fresh: Container) -> None:
    """Issue 15: thirty days from 2 December end on 31 December, inside the closure; the list
    goes on to its last day (3 January) and says so in its heading."""
    set_jst(fresh, datetime(2026, 12, 2, 9, 0, tzinfo=JST))
    page = browser(fresh).get("/offices").text
    rows = calendar_rows(page)
    for day in ("2026-12-29", "2026-12-31", "2027-01-01", "2027-01-02", "2027-01-03"):
        assert rows[day][0] == "no", day
    assert max(rows) == "2027-01-03"
    assert format_japanese_with_western(date(2027, 1, 3)) in page


def test_offices_page_in_english_names_holidays_in_english(fresh: Container) -> None:
    """Issue 15: English pages hold no Japanese: holiday and weekday names are translated."""
    set_jst(fresh, datetime(2027, 1, 5, 9, 0, tzinfo=JST))
    rows = calendar_rows(browser(fresh).get("/offices?lang=en").text)
    assert "Coming of Age Day" in rows["2027-01-11"][1]
    assert "Saturday" in rows["2027-01-09"][1]
    assert not re.search(r"[\u3000-\u30ff\u4e00-\u9fff]", " ".join(v for _, v in rows.values()))


def test_main_office_closed_at_night_shows_the_next_opening(fresh: Container) -> None:
    set_jst(fresh, datetime(2026, 12, 28, 20, 0, tzinfo=JST))  # the year-end closure follows
    main = text_of(section(browser(fresh).get("/offices").text, "office-main"))
    assert "閉庁中" in main
    assert f"{format_japanese_with_western(date(2027, 1, 4))} 8時45分から" in main


# --- fees (R-PROC-4) -------------------------------------------------------------------------


def test_fees_page_shows_the_schedule_and_todays_waived_fee(web: Browser) -> None:
    """R-PROC-4: 200 yen per issuance or renewal, 0 yen due under the transitional measure."""
    r = web.get("/fees")
    assert r.status_code == 200
    today = text_of(section(r.text, "fee-today"))
    assert "0円" in today
    assert "通常は200円" in today
    assert WAIVER in today
    schedule = text_of(section(r.text, "fee-schedule"))
    assert format_japanese_with_western(date(2016, 1, 1)) in schedule
    assert "200円" in schedule
    assert WAIVER in schedule
    assert "（現在）" in schedule


def test_fees_follow_the_configured_schedule(fresh: Container) -> None:
    """R-PROC-4: a new schedule line from its effective date; the old line stays listed."""
    fresh.site.add_fee_entry(FeeEntry(date(2026, 12, 1), 200, False), ADMIN)
    b = browser(fresh)
    assert WAIVER in text_of(section(b.get("/fees").text, "fee-today"))
    set_jst(fresh, datetime(2026, 12, 1, 9, 0, tzinfo=JST))
    r = b.get("/fees")
    today = text_of(section(r.text, "fee-today"))
    assert "200円" in today
    assert WAIVER not in today
    schedule = text_of(section(r.text, "fee-schedule"))
    assert format_japanese_with_western(date(2016, 1, 1)) in schedule
    assert format_japanese_with_western(date(2026, 12, 1)) in schedule
    fee = text_of(section(b.get(f"/checklist?{P['new-proxy']}").text, "fee"))
    assert fee.split() == ["発行・更新1回につき", "200円"]


# --- the certificate check (R-PROC-7) ---------------------------------------------------------


def test_check_form_offers_no_lookup_by_person(web: Browser) -> None:
    """R-PROC-7: the only inputs are the certificate file or the copy's kind and serial."""
    r = web.get("/check")
    assert r.status_code == 200
    names = set(re.findall(r'<(?:input|select|textarea)[^>]*name="(\w+)"', r.text))
    assert names == {"csrf_token", "certificate", "kind", "serial"}
    notice = text_of(section(r.text, "no-lookup"))
    assert "氏名、マイナンバー（個人番号）、電話番号などでは確認できません" in notice
    assert "電話ではお答えしていません" in notice
    assert 'enctype="multipart/form-data"' in r.text
    assert_accessible(r.text)


def test_uploaded_sign_certificate_shows_status_expiry_and_holder_facts(
    demo: Container, web: Browser
) -> None:
    """R-PROC-7: the certificate itself is the key; its own four facts are shown back."""
    record = cert_of(demo, "帯広", CertKind.SIGN)
    r = upload(web, pem_of(record))
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    result = section(r.text, "check-result")
    assert 'data-status="good"' in section(result, "status")
    assert "有効" in text_of(section(result, "status"))
    assert "署名用電子証明書" in section(result, "kind")
    assert record.serial_hex in section(result, "serial")
    expiry = format_japanese_with_western(jst_date(record.not_after))
    assert expiry in section(result, "not-after")
    assert "帯広　太郎" in section(result, "holder")
    holder = text_of(section(result, "holder"))
    assert "北海道帯広市西5条南7丁目1番地" in holder
    assert format_japanese_with_western(date(1980, 7, 1)) in holder
    assert "男" in holder


def test_uploaded_auth_certificate_in_der_has_no_holder_facts(
    demo: Container, web: Browser
) -> None:
    record = cert_of(demo, "帯広", CertKind.AUTH)
    result = section(upload(web, record.der, "auth.cer").text, "check-result")
    assert 'data-status="good"' in result
    assert "利用者証明用電子証明書" in section(result, "kind")
    assert not has_testid(result, "holder")


@pytest.mark.parametrize(
    ("name", "kind", "status", "label"),
    [
        ("帯広", CertKind.SIGN, "good", "有効"),
        ("南", CertKind.AUTH, "held", "一時保留"),
        ("東", CertKind.SIGN, "revoked", "失効"),
        ("一郎", CertKind.SIGN, "expired", "期限切れ"),
    ],
)
def test_copy_data_gives_the_status_without_personal_data(
    demo: Container, web: Browser, name: str, kind: CertKind, status: str, label: str
) -> None:
    """R-PROC-7: the copy's kind and serial (hex, any case, colons allowed) give the status and
    expiry, never the holder's facts."""
    record = cert_of(demo, name, kind)
    serial = ":".join(re.findall("..?", record.serial_hex.upper()))
    r = web.post_form("/check", "/check", {"kind": kind.value, "serial": serial})
    assert r.status_code == 200
    result = section(r.text, "check-result")
    assert f'data-status="{status}"' in result
    assert label in text_of(section(result, "status"))
    assert record.serial_hex in section(result, "serial")
    expiry = format_japanese_with_western(jst_date(record.not_after))
    assert expiry in section(result, "not-after")
    assert not has_testid(result, "holder")
    assert name not in text_of(result)


def test_revoked_certificate_shows_revoked_with_the_moment(fresh: Container) -> None:
    """R-REV-4: a revocation shows at once on the check page."""
    record = cert_of(fresh, "帯広", CertKind.AUTH)
    b = browser(fresh)
    assert 'data-status="good"' in upload(b, pem_of(record)).text
    fresh.ca.revoke(CertKind.AUTH, record.serial, RevocationReason.KEY_COMPROMISE)
    result = section(upload(b, pem_of(record)).text, "check-result")
    assert 'data-status="revoked"' in result
    assert "失効" in text_of(section(result, "status"))
    assert "失効した日時" in result


def test_unknown_serial_and_foreign_certificate_are_unknown(web: Browser) -> None:
    r = web.post_form("/check", "/check", {"kind": "sign", "serial": "0x1234abcd"})
    result = section(r.text, "check-result")
    assert 'data-status="unknown"' in result
    assert "この認証局が発行したものではありません" in text_of(result)

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not ours")])
    now = datetime.now(UTC)
    foreign = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    result = section(upload(web, foreign.public_bytes(Encoding.PEM)).text, "check-result")
    assert 'data-status="unknown"' in result
    assert "マイナンバーカードの電子証明書ではありません" in result


@pytest.mark.parametrize(
    ("fields", "file", "code", "message"),
    [
        ({}, b"this is not a certificate", "not_a_certificate", "PEM または DER 形式"),
        (
            {},
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "not_a_certificate",
            "読み取れません",
        ),
        ({"kind": "sign", "serial": "xyz"}, None, "bad_serial", "16進数で入力してください"),
        ({"kind": "auth", "serial": "12 34 g"}, None, "bad_serial", "16進数で入力してください"),
        ({"kind": "", "serial": "1234"}, None, "unknown_kind", "種類を選んでください"),
        ({"kind": "both", "serial": "1234"}, None, "unknown_kind", "種類を選んでください"),
        ({"kind": "sign", "serial": "  "}, None, "no_input", "ファイルを選ぶか"),
        ({}, None, "no_input", "ファイルを選ぶか"),
    ],
)
def test_check_errors_show_the_form_again(
    web: Browser, fields: dict[str, str], file: bytes | None, code: str, message: str
) -> None:
    if file is None:
        r = web.post_form("/check", "/check", fields)
    else:
        r = upload(web, file, "x.pem", **fields)
    assert r.status_code == 422
    assert f'data-code="{code}"' in r.text
    assert message in r.text
    assert not has_testid(r.text, "check-result")
    assert has_testid(r.text, "check-form")


def test_empty_file_field_falls_back_to_the_copy_data(demo: Container, web: Browser) -> None:
    """A browser sends an empty file part when no file is chosen: the copy's data is used."""
    record = cert_of(demo, "帯広", CertKind.SIGN)
    r = web.post_form(
        "/check",
        "/check",
        {"kind": "sign", "serial": record.serial_hex},
        files={"certificate": ("", b"")},
    )
    assert r.status_code == 200
    assert 'data-status="good"' in r.text


@pytest.mark.parametrize("size", [64 * 1024 + 1, 2 * 1024 * 1024])
def test_oversize_upload_is_refused(web: Browser, size: int) -> None:
    r = upload(web, b"0" * size)
    assert r.status_code == 413
    assert 'data-code="upload_too_large"' in r.text
    assert "ファイルが大きすぎます" in r.text


def test_check_post_needs_the_csrf_token(web: Browser) -> None:
    r = web.client.post("/check", data={"kind": "sign", "serial": "12"})
    assert r.status_code == 403


# --- card renewal from the expiry notice's QR code (R-NOTICE-2) -------------------------------


def renewal_ref(c: Container, name: str = "帯広") -> tuple[Card, str]:
    card, _ = cards_and_certs(c, name)
    return card, c.card_renewal.reference(card.id, card.expires)


def test_card_renewal_page_shows_expiry_free_and_a_labelled_form(
    demo: Container, web: Browser
) -> None:
    """R-NOTICE-2: the card's expiry, free of charge even after expiry, the card is received at
    a certificate office only (R-PROC-0)."""
    card, ref = renewal_ref(demo, "十勝")
    r = web.get(f"/card-renewal/{ref}")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    assert format_japanese_with_western(card.expires) in section(r.text, "card-expiry")
    assert "有効期限が過ぎた後でも、無料で申請できます" in section(r.text, "free")
    form = section(r.text, "renewal-form")
    assert re.findall(r'<option value="(\w+)"', form) == ["main"]
    assert "consent" in form and "contact" in form
    assert_accessible(r.text)


def test_card_renewal_application_gives_a_receipt_and_only_once(fresh: Container) -> None:
    """R-NOTICE-2: one application per card and expiry; a second one shows the first."""
    card, ref = renewal_ref(fresh)
    b = browser(fresh)
    page = f"/card-renewal/{ref}"
    r = b.post_form(page, page, {"contact": "0155-11-2222", "receive_at": "main", "consent": "yes"})
    assert r.status_code == 200, r.text
    existing = fresh.card_renewal.existing(fresh.card_renewal.target(ref))
    assert existing is not None
    assert existing.contact == "0155-11-2222"
    assert existing.receive_at == "main"
    receipt = text_of(section(r.text, "receipt"))
    assert existing.id in section(r.text, "application-number")
    assert format_japanese_with_western(card.expires) in receipt
    assert "0円" in receipt
    assert "本庁" in receipt

    again = b.get(page)
    assert again.status_code == 200
    assert existing.id in section(again.text, "application-number")
    assert not has_testid(again.text, "renewal-form")
    assert format_japanese_with_western(jst_date(existing.submitted_at)) in section(
        again.text, "existing-application"
    )

    twice = b.client.post(
        page,
        data={
            "csrf_token": csrf_of(b.get("/check").text),
            "contact": "x@example.jp",
            "receive_at": "main",
            "consent": "yes",
        },
    )
    assert twice.status_code == 409
    assert existing.id in section(twice.text, "application-number")
    with fresh.uow() as uow:
        assert len(uow.staff.applications_of_card(card.id)) == 1


def test_card_renewal_after_the_card_expired_is_still_accepted(fresh: Container) -> None:
    """R-NOTICE-2: applying through the QR code is free even after the card's expiry."""
    card, ref = renewal_ref(fresh, "一郎")
    set_jst(fresh, datetime.combine(card.expires + timedelta(days=10), datetime.min.time(), JST))
    b = browser(fresh)
    page = f"/card-renewal/{ref}"
    assert "有効期限が過ぎています" in section(b.get(page).text, "card-expiry")
    r = b.post_form(page, page, {"contact": "a@example.jp", "receive_at": "main", "consent": "yes"})
    assert r.status_code == 200
    assert has_testid(r.text, "receipt")


@pytest.mark.parametrize(
    ("data", "status", "marker"),
    [
        ({"contact": " ", "receive_at": "main", "consent": "yes"}, 422, "contact_required"),
        ({"contact": "0155-11-2222", "receive_at": "main"}, 422, "consent_required"),
        (
            {"contact": "0155-11-2222", "receive_at": "kawanishi", "consent": "yes"},
            422,
            "bad_receive_office",
        ),
        ({"contact": "0155-11-2222", "consent": "yes"}, 422, "bad_receive_office"),
    ],
)
def test_card_renewal_form_errors_keep_the_form(
    demo: Container, web: Browser, data: dict[str, str], status: int, marker: str
) -> None:
    _, ref = renewal_ref(demo, "川西")
    page = f"/card-renewal/{ref}"
    r = web.post_form(page, page, data)
    assert r.status_code == status
    assert f'data-code="{marker}"' in r.text
    assert has_testid(r.text, "renewal-form")
    assert demo.card_renewal.existing(demo.card_renewal.target(ref)) is None


@pytest.mark.parametrize(
    "forge",
    [
        lambda ref: ref[:-2] + ("AA" if not ref.endswith("AA") else "BB"),
        lambda ref: ref.split(".")[0],
        lambda ref: "bm90LWEtY2FyZHwyMDMwLTAxLTAx.AAAAAAAAAAAAAAAA",
        lambda ref: "garbage",
        lambda ref: "x" * 300 + "." + "y",
    ],
)
def test_forged_or_garbled_renewal_link_is_404(demo: Container, web: Browser, forge) -> None:  # type: ignore[no-untyped-def]
    """R-NOTICE-2 / R-PROC-7: only the sealed reference of the QR code opens the page."""
    _, ref = renewal_ref(demo)
    bad = forge(ref)
    r = web.get(f"/card-renewal/{bad}")
    assert r.status_code == 404
    assert 'data-code="bad_renewal_link"' in r.text
    assert "このQRコードのリンクは正しくないか" in r.text
    posted = web.post_form(
        "/check",
        f"/card-renewal/{bad}",
        {"contact": "0155-11-2222", "receive_at": "main", "consent": "yes"},
    )
    assert posted.status_code == 404


# --- language, accessibility ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/", f"/checklist?{P['renew-proxy-nonotice']}", "/offices", "/fees", "/check"],
)
def test_english_pages_render(web: Browser, url: str) -> None:
    sep = "&" if "?" in url else "?"
    r = web.get(f"{url}{sep}lang=en")
    assert r.status_code == 200
    assert '<html lang="en">' in r.text
    assert "lang=en" in r.headers.get("set-cookie", "")


def test_english_dates_and_money(web: Browser) -> None:
    r = web.get("/fees?lang=en")
    today = text_of(section(r.text, "fee-today"))
    assert "¥0" in today
    assert "November 24, 2026" in today


@pytest.mark.parametrize(
    "url", ["/", f"/checklist?{P['new-proxy']}", "/offices", "/fees", "/check"]
)
def test_public_pages_are_labelled_and_headed_in_order(web: Browser, url: str) -> None:
    r = web.get(url)
    assert r.status_code == 200
    assert '<html lang="ja">' in r.text
    assert_accessible(r.text)


def test_public_pages_need_no_login(web: Browser) -> None:
    for url in ("/", "/checklist", "/offices", "/fees", "/check"):
        assert web.get(url, follow_redirects=False).status_code == 200
