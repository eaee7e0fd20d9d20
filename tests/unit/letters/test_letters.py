"""The PDF letters, read back by independent tools (pdftotext, pdffonts, pdftoppm, zbarimg).

Every document is rendered from a realistic sample, its text checked for the content the
rules ask for, its fonts for embedding, its pages kept as PNGs under artifacts/letters/ and
its QR codes decoded from those PNGs.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from madoguchi.letters import (
    Addressee,
    CertificateCopyDoc,
    CertificateOnCard,
    CityContact,
    ExpiringItem,
    ExpiryNoticeDoc,
    InquiryLetterDoc,
    LettersError,
    ReceiptDoc,
    build,
    certificate_copy_pdf,
    expiry_notice_pdf,
    inquiry_letter_pdf,
    receipt_pdf,
    requirement_labels,
    write_notices_pdf,
)
from madoguchi.letters.fonts import find_font, locate_fonts
from madoguchi.rules.fees import fee_on
from madoguchi.rules.inquiry import format_letter_number, parse_letter_number
from madoguchi.rules.items import Item
from madoguchi.rules.offices import MAIN_OFFICE
from madoguchi.rules.pins import PinKind
from madoguchi.rules.procedures import PROCEDURES, ProcedureId, checklist
from madoguchi.rules.validity import CertKind
from madoguchi.services.domain import NoticeItem
from madoguchi.services.notice_dispatch import NoticeContent
from tests.support.pdf import (
    ARTIFACTS,
    decode_qr,
    page_count,
    pdf_fonts,
    pdf_text,
    render_pages,
    squash,
    word_boxes,
)

ISSUED = date(2026, 11, 24)
EXPIRES = date(2027, 2, 10)
CONTACT = CityContact.from_office("帯広市", MAIN_OFFICE, "土日祝日・年末年始を除く")
HOLDER = Addressee("帯広　花子", "北海道帯広市西5条南7丁目1番地", "080-0015")
RENEWAL_URL = (
    "https://madoguchi.example.jp/card-renewal/Y2FyZC03ZjNhfDIwMjctMDItMTA.q1w2e3r4t5y6u7i8"
)
PLACEHOLDERS = ("None", "{", "}", "TODO", "XXX", "nan")


def inquiry_doc(procedure: str = "P2", **changes: object) -> InquiryLetterDoc:
    doc = InquiryLetterDoc(
        number=format_letter_number(2026, 1),
        issued_on=ISSUED,
        addressee=HOLDER,
        procedure=procedure,
        proxy_visit_items=requirement_labels(procedure, "issue"),
        contact=CONTACT,
        case_id="C-2026-000123",
    )
    return replace(doc, **changes)  # type: ignore[arg-type]


def notice_doc(n: int = 4711, **changes: object) -> ExpiryNoticeDoc:
    doc = ExpiryNoticeDoc(
        number=f"N-2026-{n:06d}",
        issued_on=ISSUED,
        addressee=HOLDER,
        items=(
            ExpiringItem(CertKind.SIGN.label, EXPIRES),
            ExpiringItem(CertKind.AUTH.label, EXPIRES),
        ),
        in_person_items=requirement_labels("P3", "issue"),
        proxy_items=requirement_labels("P4", "issue"),
        contact=CONTACT,
        card_expires=EXPIRES,
        card_renewal_url=RENEWAL_URL,
    )
    return replace(doc, **changes)  # type: ignore[arg-type]


def copy_doc(**changes: object) -> CertificateCopyDoc:
    doc = CertificateCopyDoc(
        issued_on=ISSUED,
        holder_name="帯広　花子",
        birth=date(1985, 2, 10),
        gender_label="女",
        address="北海道帯広市西5条南7丁目1番地",
        card_id="card-7f3a",
        certificates=(
            CertificateOnCard(
                CertKind.SIGN.label,
                "3f2a9c0d11e4b5a6c7d8e9f001122334",
                ISSUED,
                date(2031, 2, 10),
                "署名用認証局（デモ用・地方公共団体情報システム機構ではありません）",
            ),
            CertificateOnCard(
                CertKind.AUTH.label,
                "0a1b2c3d4e5f6071",
                ISSUED,
                date(2031, 2, 10),
                "利用者証明用認証局（デモ用・地方公共団体情報システム機構ではありません）",
            ),
        ),
        contact=CONTACT,
    )
    return replace(doc, **changes)  # type: ignore[arg-type]


def receipt_doc(**changes: object) -> ReceiptDoc:
    fee = fee_on(ISSUED)
    doc = ReceiptDoc(
        receipt_no="R-2026-000042",
        issued_on=ISSUED,
        holder_name="帯広　花子",
        description="電子証明書の更新（署名用・利用者証明用）",
        standard_yen=fee.standard,
        due_yen=fee.due,
        waiver=fee.waiver,
        contact=CONTACT,
        case_id="C-2026-000123",
    )
    return replace(doc, **changes)  # type: ignore[arg-type]


def read(pdf: bytes) -> str:
    """The text in reading order, then laid out (where a window line reads left to right)."""
    return pdf_text(pdf) + "\f" + pdf_text(pdf, layout=True)


def assert_contains(text: str, *phrases: str) -> None:
    flat = squash(text)
    missing = [p for p in phrases if squash(p) not in flat]
    assert not missing, f"not in the PDF text: {missing}"


def assert_no_placeholder(text: str) -> None:
    found = [p for p in PLACEHOLDERS if p in text]
    assert not found, f"placeholder text in the PDF: {found}"


def assert_contact(text: str) -> None:
    assert_contact_phrases = (
        "戸籍住民課マイナンバーカード交付担当（市庁舎水道棟3階大会議室）",
        "0155-65-4234",
        "8時45分〜17時30分",
        "帯広市西5条南7丁目1番地",
    )
    assert_contains(text, *assert_contact_phrases)


# --- the inquiry letter -----------------------------------------------------------------


def test_inquiry_letter_text_r_proc_2() -> None:
    """R-PROC-2: the letter carries its number, is addressed to the registered address, is not
    forwarded, tells the holder what the proxy brings at the second visit and holds the
    answer and the power of attorney with signature and seal boxes."""
    doc = inquiry_doc()
    pdf = inquiry_letter_pdf(doc)
    text = read(pdf)
    assert page_count(pdf) == 2
    assert_contains(
        text,
        "照会書",
        doc.number,
        "転送不要",
        "〒080-0015",
        "北海道帯広市西5条南7丁目1番地",
        "帯広　花子　様",
        "令和8年11月24日",
        "帯広市長",
        "電子証明書の新規発行",
        "代理人の方から申請がありました",
        "回答欄",
        "氏名（自署）",
        "印",
        "委任状",
        "代理人の住所",
        "代理人の氏名",
        "委任者（ご本人）",
        "1回だけ使えます",
        "住民登録の内容が変わった場合、この照会書は無効です",
        PinKind.AUTH.label,
        PinKind.SIGN.label,
        "目隠しシール",
    )
    second_visit = checklist(PROCEDURES[ProcedureId.P2])[1].items
    assert_contains(text, *(item.label for item in second_visit), Item.PROXY_ID.note)
    assert_contact(text)
    assert_no_placeholder(text)
    assert "転送不要" in pdf_text(pdf).split("\f")[0]


def test_inquiry_letter_qr_carries_the_number_r_proc_2() -> None:
    """R-PROC-2: the clerk scans the letter number: the QR code holds exactly that number."""
    doc = inquiry_doc()
    pages = render_pages(inquiry_letter_pdf(doc), "inquiry-letter-p2")
    assert [p.parent for p in pages] == [ARTIFACTS] * 2
    codes = decode_qr(pages[0])
    assert codes == [doc.number]
    assert parse_letter_number(codes[0]) == doc.number
    assert decode_qr(pages[1]) == []


def test_inquiry_letter_for_a_renewal_r_proc_2() -> None:
    """R-PROC-2 (P5): the same letter for a renewal by proxy says 更新, and names its items."""
    doc = inquiry_doc("P5", number=format_letter_number(2026, 2))
    pdf = inquiry_letter_pdf(doc)
    text = read(pdf)
    assert doc.number.startswith("2026-000002-")
    assert_contains(text, "電子証明書の更新", doc.number)
    assert "新規発行" not in squash(text)
    render_pages(pdf, "inquiry-letter-p5")


def test_inquiry_letter_refuses_other_procedures_r_proc_2() -> None:
    """R-PROC-2: only P2 and P5 have a mailed inquiry letter; an empty number is refused."""
    with pytest.raises(LettersError) as err:
        inquiry_letter_pdf(inquiry_doc("P4"))
    assert err.value.code == "invalid_document"
    with pytest.raises(LettersError):
        inquiry_letter_pdf(inquiry_doc(number=" "))


def test_first_year_of_an_era_is_gannen_r_date_5() -> None:
    """R-DATE-5: letters write an era's first year as 元年 (令和元年5月10日)."""
    text = read(inquiry_letter_pdf(inquiry_doc(issued_on=date(2019, 5, 10))))
    assert_contains(text, "令和元年5月10日")


def test_markup_characters_in_data_are_printed_literally_r_proc_2() -> None:
    """R-PROC-2: the registered address is printed exactly, even with markup characters."""
    holder = Addressee("佐藤　A&B", "北海道帯広市西5条南7丁目1番地 <ビル&館> 2F", "080-0015")
    text = read(inquiry_letter_pdf(inquiry_doc(addressee=holder)))
    assert_contains(text, "佐藤　A&B　様", "<ビル&館>2F")


# --- the expiry notice ------------------------------------------------------------------


def test_expiry_notice_text_r_notice_1_r_notice_2() -> None:
    """R-NOTICE-1, R-NOTICE-2: which certificates and the card expire when (era date with the
    Western date), what to bring in person (P3) and by proxy (P4), where and when, the reply
    form with its PIN boxes and power of attorney, not forwarded; R-NOTICE-4: its number."""
    doc = notice_doc()
    pdf = expiry_notice_pdf(doc)
    text = read(pdf)
    assert page_count(pdf) == 2
    assert_contains(
        text,
        "電子証明書とマイナンバーカードの有効期限のお知らせ",  # the card expires too
        "有効期限通知書",
        "N-2026-004711",
        "転送不要",
        "帯広　花子　様",
        "〒080-0015",
        "令和8年11月24日",
        "署名用電子証明書",
        "利用者証明用電子証明書",
        "令和9年2月10日（2027年2月10日）",
        "マイナンバーカード本体",
        "令和8年11月11日から",  # R-VAL-3: the renewal window opens the day after 3 months before
        "ご本人が来庁する場合",
        "代理人が来庁する場合",
        "照会書兼回答書",
        "目隠しシール",
        PinKind.AUTH.label,
        PinKind.SIGN.label,
        "委任状",
        "委任者（ご本人）",
        "氏名（自署）",
    )
    assert_contains(text, *requirement_labels("P3", "issue"), *requirement_labels("P4", "issue"))
    assert_contact(text)
    assert_no_placeholder(text)
    assert "転送不要" in text.split("\f")[0]


def test_expiry_notice_card_renewal_qr_r_notice_2() -> None:
    """R-NOTICE-2: when the card expires the notice carries the renewal QR code, and says that
    applying through it is free even after the card's expiry."""
    doc = notice_doc()
    pdf = expiry_notice_pdf(doc)
    assert_contains(
        read(pdf), "申請は無料です", "カードの有効期限が過ぎた後でも", "QRコードから無料で申請"
    )
    pages = render_pages(pdf, "expiry-notice-with-card")
    assert sorted(decode_qr(pages[0])) == sorted([RENEWAL_URL, doc.number])
    assert decode_qr(pages[1]) == []


def test_expiry_notice_without_card_renewal_r_notice_2() -> None:
    """R-NOTICE-2: no card-renewal QR code (nor its text) when no URL is given."""
    doc = notice_doc(card_expires=None, card_renewal_url=None)
    pdf = expiry_notice_pdf(doc)
    text = read(pdf)
    assert "無料" not in text and "マイナンバーカード本体" not in squash(text)
    assert_no_placeholder(text)
    pages = render_pages(pdf, "expiry-notice-certificates-only")
    assert decode_qr(pages[0]) == [doc.number]


def test_expiry_notice_about_the_card_alone_lists_it_once_r_notice_2() -> None:
    """R-NOTICE-2 (issue 15): certificates already expired, the card expiring — the notice is
    about the card, lists it once, explains its renewal and has no reply form."""
    pdf = expiry_notice_pdf(notice_doc(items=()))
    text = read(pdf)
    flat = squash(pdf_text(pdf))
    assert page_count(pdf) == 1
    assert_contains(
        text, "マイナンバーカードの有効期限のお知らせ", "〒080-0015", "マイナンバーカード本体"
    )
    assert "電子証明書の有効期限のお知らせ" not in flat
    assert flat.count(squash("令和9年2月10日（2027年2月10日）")) == 1  # one row: the card
    assert_contains(text, "カードの電子証明書も使えなくなります", "申請は無料です")
    assert_contains(text, "電子証明書も窓口で発行できます")
    assert "照会書兼回答書" not in flat and "委任状" not in flat
    render_pages(pdf, "expiry-notice-card-only")


def test_notice_built_from_a_card_item_shows_the_card_once_r_notice_2() -> None:
    """R-NOTICE-2: the campaign's card item becomes the card row, never also a certificate row
    (it used to print two rows for one card), and the postal code reaches the address."""
    content = NoticeContent(
        number="2027-02-0000001",
        issued_on=ISSUED,
        name="帯広　花子",
        address=HOLDER.address,
        items=(NoticeItem("card", None, EXPIRES),),
        card_expires=EXPIRES,
        card_renewal_url=RENEWAL_URL,
        office=MAIN_OFFICE,
        postal_code="080-0015",
    )
    doc = build.notice_doc(content, "帯広市")
    assert doc.items == () and doc.card_expires == EXPIRES
    assert doc.addressee.postal_code == "080-0015"
    flat = squash(pdf_text(expiry_notice_pdf(doc)))
    assert "〒080-0015" in flat
    assert flat.count(squash("令和9年2月10日（2027年2月10日）")) == 1


def test_expiry_notice_prints_the_pause_apology_r_notice_3() -> None:
    """R-NOTICE-3: a notice deferred by a pause carries the city's note."""
    note = "感染症の影響により送付を一時停止していたため、お届けが遅くなりました。"
    pdf = expiry_notice_pdf(notice_doc(paused_note=note))
    assert_contains(read(pdf), note)
    assert page_count(pdf) == 2


def test_expiry_notice_long_address_stays_inside_the_margins_r_notice_1() -> None:
    """R-NOTICE-1: a long registered address still fits the window; no text leaves the margins
    (20 mm each side) and a busy notice keeps to two pages."""
    holder = Addressee(
        "長谷川　左衛門三郎太",
        "北海道帯広市西19条南35丁目12番地の3　グランドパレス帯広第二サンシャインマンション南棟1205号室",
        "080-0869",
    )
    doc = notice_doc(
        addressee=holder, paused_note="送付を一時停止していたため、お届けが遅くなりました。" * 2
    )
    pdf = expiry_notice_pdf(doc)
    (width, height), words = word_boxes(pdf)
    margin = 20 / 25.4 * 72
    outside = [w for w in words if w.x_min < margin - 1 or w.x_max > width - margin + 1]
    assert not outside, outside[:5]
    assert all(w.y_min > 0 and w.y_max < height for w in words)
    window = [w for w in words if w.page == 1 and w.text in ("長谷川", "南棟1205号室")]
    assert window and all(w.y_max < 55 / 25.4 * 72 for w in window)  # inside the window area
    assert page_count(pdf) == 2
    render_pages(pdf, "expiry-notice-long-address")


def test_every_document_stays_inside_the_margins_r_proc_5() -> None:
    """R-PROC-2, R-PROC-4, R-PROC-5: no word of any document runs past the 20 mm margins."""
    margin = 20 / 25.4 * 72
    for pdf in (
        inquiry_letter_pdf(inquiry_doc()),
        certificate_copy_pdf(copy_doc()),
        receipt_pdf(receipt_doc()),
    ):
        (width, _), words = word_boxes(pdf)
        outside = [w for w in words if w.x_min < margin - 1 or w.x_max > width - margin + 1]
        assert not outside, outside[:5]


def test_japanese_line_breaks_follow_kinsoku_r_proc_2() -> None:
    """R-PROC-2, R-NOTICE-2: no line starts with a closing mark (、。）」) nor ends with an
    opening one (（「), in any document (JIS X 4051 line-breaking rules, 行頭・行末禁則)."""
    bad = []
    for pdf in (
        inquiry_letter_pdf(inquiry_doc()),
        expiry_notice_pdf(notice_doc(paused_note="送付を一時停止していました。" * 3)),
        certificate_copy_pdf(copy_doc()),
        receipt_pdf(receipt_doc()),
    ):
        for line in pdf_text(pdf).splitlines():
            text = line.strip()
            if text and (text[0] in "、。）」』" or text[-1] in "（「『"):
                bad.append(text)
    assert not bad


# --- the certificate copy and the receipt ----------------------------------------------


def test_certificate_copy_r_proc_5() -> None:
    """R-PROC-5: the copy lists the certificates with serials and validity, the signing
    certificate's four facts, and the expiry date the clerk writes on the card's face."""
    doc = copy_doc()
    pdf = certificate_copy_pdf(doc)
    text = read(pdf)
    assert page_count(pdf) == 1
    assert doc.face_expiry == date(2031, 2, 10)
    assert_contains(
        text,
        "電子証明書の写し",
        "電子証明書の有効期限",
        "令和13年2月10日",
        "（2031年2月10日）",
        "3F2A 9C0D 11E4 B5A6 C7D8 E9F0 0112 2334",  # in groups of four (issue 15)
        "0A1B 2C3D 4E5F 6071",
        "令和8年11月24日から",
        "令和13年2月10日まで",
        "署名用認証局（デモ用・地方公共団体情報システム機構ではありません）",
        "昭和60年2月10日（1985年2月10日）",
        "女",
        "北海道帯広市西5条南7丁目1番地",
        "帯広　花子　様",
        "card-7f3a",
    )
    assert_contact(text)
    assert_no_placeholder(text)
    layout = pdf_text(pdf, layout=True)
    # the kind breaks at the seam of its words (利用者証明用 / 電子証明書), never inside one
    assert not re.search(r"電子証明\s*$", layout, re.M), layout
    assert re.search(r"^利用者証明用\s", layout, re.M) and re.search(r"^電子証明書\s", layout, re.M)
    assert "証明書の発行/者" not in layout and not re.search(r"認証\s*$", layout, re.M)
    # a serial is printed in groups of four and breaks only between them
    assert "3F2A 9C0D" in layout and "3F2A9C0D" not in layout
    render_pages(pdf, "certificate-copy")


def test_certificate_copy_without_signing_certificate_r_proc_5() -> None:
    """R-PROC-5 with R-ELIG-1: a child under 15 has no signing certificate and no facts."""
    doc = copy_doc(
        birth=None, gender_label=None, address=None, certificates=copy_doc().certificates[1:]
    )
    text = read(certificate_copy_pdf(doc))
    assert_contains(text, "署名用電子証明書は記録されていません", "令和13年2月10日")
    assert_no_placeholder(text)


def test_receipt_r_proc_4() -> None:
    """R-PROC-4: the receipt prints the fee of the schedule (200 yen), what is due (0 yen) and
    names the measure that waives it, with the receipt number."""
    doc = receipt_doc()
    assert (doc.standard_yen, doc.due_yen) == (200, 0)
    pdf = receipt_pdf(doc)
    text = read(pdf)
    assert page_count(pdf) == 1
    assert_contains(
        text,
        "領収書",
        "R-2026-000042",
        "令和8年11月24日",
        "帯広　花子　様",
        "金0円",
        "手数料（規定額）200円",
        "国の規程の経過措置により無料",
        "電子証明書の更新（署名用・利用者証明用）",
        # the issuer as a receipt names it: the city and the desk, its address and phone
        "帯広市　戸籍住民課 マイナンバーカード交付担当",
        "〒080-8670 帯広市西5条南7丁目1番地",
    )
    assert "帯広市長　本庁" not in squash(pdf_text(pdf))
    assert_no_placeholder(text)
    render_pages(pdf, "receipt")


def test_receipt_refuses_an_unexplained_reduction_r_proc_4() -> None:
    """R-PROC-4: a fee below the schedule must name its waiver; a full fee prints 200円."""
    with pytest.raises(LettersError) as err:
        receipt_pdf(receipt_doc(waiver=None))
    assert err.value.code == "invalid_document"
    text = read(receipt_pdf(receipt_doc(due_yen=200, waiver=None)))
    assert_contains(text, "金200円", "上記のとおり領収しました")


# --- fonts and the batch -----------------------------------------------------------------


def test_fonts_are_embedded_r_proc_5(tmp_path: Path) -> None:
    """R-PROC-2, R-PROC-4, R-PROC-5, R-NOTICE-2: every document embeds (subsets of) IPAex Mincho
    and IPAex Gothic and no other font, so the vendor prints exactly what was checked."""
    for pdf in (
        inquiry_letter_pdf(inquiry_doc()),
        expiry_notice_pdf(notice_doc()),
        certificate_copy_pdf(copy_doc()),
        receipt_pdf(receipt_doc()),
    ):
        fonts = pdf_fonts(pdf, tmp_path)
        names = {f.name.split("+", 1)[-1] for f in fonts}
        assert names == {"IPAexMincho", "IPAexGothic"}
        assert all(f.embedded and f.subset and f.unicode for f in fonts), fonts


def test_missing_font_is_a_clear_error() -> None:
    """A missing font is LettersError('font_missing') that says how to install it."""
    with pytest.raises(LettersError) as err:
        find_font([Path("/nonexistent/ipaexm.ttf")], "IPAex Mincho")
    assert err.value.code == "font_missing"
    assert "fonts-ipaexfont" in err.value.detail
    assert locate_fonts().mincho.name == "ipaexm.ttf"


def test_batch_writes_every_notice_r_notice_1(tmp_path: Path) -> None:
    """R-NOTICE-1, R-NOTICE-4: the vendor's batch holds every notice, each from a new page
    (two pages each), read from a generator one notice at a time; the speed is measured."""
    count = 60
    yielded: list[int] = []

    def notices() -> Iterator[ExpiryNoticeDoc]:
        for n in range(1, count + 1):
            yielded.append(n)
            card = n % 3 == 0
            yield notice_doc(
                n,
                card_expires=EXPIRES if card else None,
                card_renewal_url=f"{RENEWAL_URL}{n}" if card else None,
            )

    out = io.BytesIO()
    started = time.perf_counter()
    pages = write_notices_pdf(notices(), out)
    elapsed = time.perf_counter() - started
    pdf = out.getvalue()
    assert yielded == list(range(1, count + 1))
    assert pages == 2 * count == page_count(pdf)
    texts = pdf_text(pdf).split("\f")
    for n in range(1, count + 1):
        assert f"N-2026-{n:06d}" in texts[2 * (n - 1)]  # each notice starts on its own page
        assert "照会書兼回答書" in texts[2 * (n - 1) + 1]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    rate = count / elapsed
    (ARTIFACTS / "batch-timing.txt").write_text(
        f"{count} notices, {pages} pages, {len(pdf)} bytes in {elapsed:.2f} s: {rate:.1f} notices/s\n",
        encoding="utf-8",
    )
    print(f"batch: {count} notices in {elapsed:.2f} s ({rate:.1f}/s, {len(pdf) // 1024} KiB)")


def test_empty_batch_writes_nothing_r_notice_4() -> None:
    """R-NOTICE-4: an empty batch is an error, not a PDF without pages."""
    out = io.BytesIO()
    with pytest.raises(LettersError) as err:
        write_notices_pdf(iter(()), out)
    assert err.value.code == "empty_batch"
    assert out.getvalue() == b""


def test_checklists_follow_the_procedure_table_r_proc_2() -> None:
    """R-PROC-2: the letter's lists are the procedure table's: P2's second visit, P3, P4."""
    assert requirement_labels("P2", "issue") == (
        Item.INQUIRY_LETTER.label,
        Item.POWER_OF_ATTORNEY.label,
        Item.CARD.label,
        Item.PROXY_ID.label,
    )
    p3 = requirement_labels("P3", "issue")
    assert p3[1] == f"{Item.HOLDER_PIN.label}、または{Item.HOLDER_ID.label}"
    assert p3[2] == f"{Item.EXPIRY_NOTICE.label}（お持ちの場合）"
    assert Item.INQUIRY_REPLY.label in requirement_labels("P4", "issue")
