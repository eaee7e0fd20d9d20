"""The letters mailed to the holder as PDF bytes — the inquiry letter and the expiry notice —
and the notices batch for the print vendor (the documents handed over at the counter are in
letters/render_counter.py).

One function per document; each draws on a :class:`~madoguchi.letters.layout.Sheet` so the
same drawing serves a single PDF and the multi-page batch of :func:`write_notices_pdf`.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date
from typing import Any, BinaryIO

from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]

from madoguchi.letters.documents import (
    Addressee,
    CityContact,
    ExpiryNoticeDoc,
    InquiryLetterDoc,
    item_note,
)
from madoguchi.letters.errors import LettersError
from madoguchi.letters.fonts import ensure_fonts
from madoguchi.letters.layout import (
    CONTENT_W,
    GREY,
    SHADE,
    Boxes,
    QrCode,
    S,
    blank_date,
    checklists,
    draw_address,
    draw_sender,
    era,
    era_western,
    esc,
    framed,
    grid_table,
    head,
    new_canvas,
    para,
    signature_table,
)
from madoguchi.letters.sheet import Sheet
from madoguchi.rules.pins import FOUR_DIGIT_PIN_TRIES, SIGN_PASSWORD_TRIES, PinKind
from madoguchi.rules.validity import renewal_window_opens

MARGIN_TOP_MM = 16.0  # documents handed over at the counter have no envelope window
PAGE_W_MM, PAGE_H_MM = 210.0, 297.0
BLACK, WHITE = colors.black, colors.white

#: R-PROC-2: the inquiry letter serves the proxy procedures with a second visit.
INQUIRY_KINDS = {"P2": "新規発行", "P5": "更新"}


def require(condition: bool, detail: str) -> None:
    if not condition:
        raise LettersError("invalid_document", detail)


def require_text(**fields: str) -> None:
    for name, value in fields.items():
        require(bool(value and value.strip()), f"{name} is empty")


def contact(sheet: Sheet, contact: CityContact, label: str = "お問い合わせ先") -> None:
    """The office, address, hours and phone in one framed block (R-PROC-0: the main office)."""
    place = " ".join(p for p in (contact.city, contact.office_name, contact.desk) if p)
    reach = "&#12288;".join(
        p
        for p in (esc(contact.address), f"電話 {esc(contact.phone)}" if contact.phone else "")
        if p
    )
    text = f"<b>{esc(label)}</b>&#12288;{esc(place)}" + (f"<br/>{reach}" if reach else "")
    if contact.hours:
        text += f"<br/>受付時間&#12288;{esc(contact.hours)}"
    sheet.gap(2 * mm)
    sheet.add(framed(para(text, S.cell)))


def _addressed_to_mayor(sheet: Sheet, city: str, on: date) -> None:
    """「帯広市長　様」 and a date line to fill in, on one line."""
    row = [[para(esc(f"{city}長　様"), S.body), para(esc(blank_date(on)), S.cell_right)]]
    sheet.add(grid_table(row, [CONTENT_W / 2] * 2, ruled=False))
    sheet.gap(1 * mm)


def _pin_section(sheet: Sheet, kinds: str) -> None:
    """PIN boxes the holder fills in and covers with a 目隠しシール (R-PROC-5, R-PIN-1)."""
    sheet.heading(f"暗証番号の記入欄（{kinds}）")
    sheet.text(
        "新しい電子証明書の暗証番号を、ご本人が1マスに1文字ずつ記入し、"
        "<b>点線の枠の上に目隠しシールを貼って</b>ください。窓口で職員がご本人に代わって設定します。",
        S.small,
    )
    rule = "英大文字（A〜Z）と数字（0〜9）をそれぞれ1文字以上"
    table = grid_table(
        [
            [head(PinKind.AUTH.label.replace("（", "\n（")), Boxes(4)],
            [
                head(PinKind.SIGN.label.replace("（", "\n（")),
                [Boxes(16, side=6.2 * mm), para(esc(rule), S.small)],
            ],
            [para("&#12288;目隠しシール貼付欄（この点線の枠内）", S.small), ""],
        ],
        [56 * mm, CONTENT_W - 56 * mm],
        head_col=True,
        dashed=True,
        extra=[
            ("SPAN", (0, 2), (1, 2)),
            ("BACKGROUND", (0, 2), (1, 2), WHITE),
            ("GRID", (0, 0), (-1, -1), 0.4, GREY),
            ("BOX", (0, 0), (-1, -1), 1.4, BLACK, None, (4, 2)),
            ("TOPPADDING", (0, 0), (-1, 1), 5),
            ("BOTTOMPADDING", (0, 0), (-1, 1), 5),
        ],
    )
    sheet.add(table)
    sheet.text(
        f"暗証番号を続けて間違えると、署名用は{SIGN_PASSWORD_TRIES}回、利用者証明用は"
        f"{FOUR_DIGIT_PIN_TRIES}回でロックされます。",
        S.small,
    )


def _power_of_attorney(sheet: Sheet, number: str, kind: str, holder: Addressee) -> None:
    """委任状: the holder names the proxy and delegates the application (R-PROC-2, §4 items)."""
    sheet.text("代理人（委任を受ける方）の欄も、ご本人が記入してください。", S.small)
    widths = [28 * mm, 57 * mm, 28 * mm, CONTENT_W - 113 * mm]
    blanks = [
        [head("代理人の住所"), "", "", ""],
        [head("代理人の氏名"), "", "", ""],
        [head("生年月日"), "", head("電話番号"), ""],
    ]
    spans = [
        ("SPAN", (1, 0), (3, 0)),
        ("SPAN", (1, 1), (3, 1)),
        ("BACKGROUND", (2, 2), (2, 2), SHADE),
    ]
    sheet.add(grid_table(blanks, widths, heights=[12 * mm] * 3, head_col=True, extra=spans))
    sheet.gap(2 * mm)
    sheet.text(
        "私は、上記の者を代理人と定め、マイナンバーカードの<b>電子証明書の"
        f"{esc(kind)}の申請、暗証番号の設定の依頼、及び電子証明書の写しの受け取り</b>に"
        f"関する権限を委任します（番号 {esc(number)}）。"
    )
    sheet.add(
        signature_table("委任者（ご本人）\n氏名（自署）", "委任者の住所", holder.address, CONTENT_W)
    )


def _draw_inquiry(c: Any, doc: InquiryLetterDoc, key: str) -> int:
    """R-PROC-2: the letter, bound to one holder and one case, mailed to the registered address."""
    require(doc.procedure in INQUIRY_KINDS, f"procedure must be P2 or P5, not {doc.procedure!r}")
    require_text(number=doc.number, name=doc.addressee.name, address=doc.addressee.address)
    require(bool(doc.proxy_visit_items), "the second visit's items are missing")
    kind = INQUIRY_KINDS[doc.procedure]
    what = f"電子証明書の{kind}"
    holder = doc.addressee
    footer = f"照会書　照会書番号 {doc.number}　受付番号 {doc.case_id}"
    sheet = Sheet(c, footer=footer, key=key)
    draw_address(c, holder.name, holder.address, holder.postal_code, forward_ban=True)
    lines = [("照会書番号", doc.number), ("", era(doc.issued_on)), ("", f"{doc.contact.city}長")]
    draw_sender(c, lines, doc.number, "照会書番号")
    sheet.text("照　会　書", S.title, after=0)
    sheet.text(esc(f"（{what}の代理人による申請について）"), S.subtitle, after=3 * mm)
    sheet.text(
        f"あなたのマイナンバーカードの<b>{esc(what)}</b>について、代理人の方から申請がありました。"
        "この申請がご本人の意思によるものであることを確認するため、"
        "住民登録をしている住所あてに、この照会書をお送りしています（転送不要）。"
    )
    sheet.text(
        "申請を代理人に依頼した場合は、下の<b>回答欄</b>と次のページの<b>委任状</b>に"
        "ご本人が記入・署名・押印し、この照会書を代理人にお渡しください。代理人は、この照会書と"
        "下記の持ち物を持って、もう一度窓口にお越しください。"
    )
    sheet.text(
        "<b>申請に心当たりがない場合は</b>、この照会書を誰にも渡さず、"
        "下記のお問い合わせ先までご連絡ください。"
    )
    sheet.text(
        "・この照会書は、この申請1件について1回だけ使えます。<br/>"
        "・送付後に住所・氏名などの住民登録の内容が変わった場合、この照会書は無効です。"
        "代理人による申請からやり直してください。",
        S.small,
    )
    sheet.heading("回答欄（ご本人が記入してください）")
    sheet.text(f"私は、上記の{esc(what)}の申請を、代理人に依頼しました。")
    sheet.text(esc(blank_date(doc.issued_on)), S.cell_right, after=1 * mm)
    sheet.add(signature_table("氏名（自署）", "住所", holder.address, CONTENT_W))
    sheet.heading("代理人が2回目に来庁するときの持ち物")
    sheet.bullets(doc.proxy_visit_items, item_note)
    contact(sheet, doc.contact)
    sheet.new_page()
    sheet.text("委　任　状", S.title, after=3 * mm)
    _addressed_to_mayor(sheet, doc.contact.city, doc.issued_on)
    _power_of_attorney(sheet, doc.number, kind, holder)
    _pin_section(sheet, "署名用・利用者証明用")
    return sheet.finish()


def _expiry_table(doc: ExpiryNoticeDoc) -> Any:
    """One row per certificate, and the card once (never a certificate row for it)."""
    rows: list[list[Any]] = [[head("種類"), head("有効期限"), head("更新の手続きができる日")]]
    for item in doc.items:
        opens = renewal_window_opens(item.expires)
        rows.append([item.label, era_western(item.expires), f"{era(opens)}から"])
    if doc.card_expires is not None:
        card = era_western(doc.card_expires)
        how = "QRコードから申請（無料）" if doc.card_renewal_url else "カードの更新の申請が必要"
        rows.append(["マイナンバーカード本体", card, how])
    return grid_table(rows, [52 * mm, 66 * mm, CONTENT_W - 118 * mm], head_row=True)


def notice_title(doc: ExpiryNoticeDoc) -> str:
    """What the notice is about: the certificates, the card, or both (R-NOTICE-2)."""
    if not doc.items:
        return "マイナンバーカードの有効期限のお知らせ"
    if doc.card_expires is not None:
        return "電子証明書とマイナンバーカードの有効期限のお知らせ"
    return "電子証明書の有効期限のお知らせ"


def _card_explained(sheet: Sheet, doc: ExpiryNoticeDoc) -> None:
    """R-NOTICE-2: the card itself ends; what its renewal is and that it is free."""
    assert doc.card_expires is not None
    on = esc(era(doc.card_expires))
    text = (
        f"<b>マイナンバーカード本体の有効期限は{on}です。</b>"
        "期限が過ぎると、カードの電子証明書も使えなくなります。新しいカードを申請してください"
        "（カードの更新）。"
    )
    text += "新しいカードを受け取るときに、電子証明書も窓口で発行できます。"
    sheet.text(text, S.small, after=0)


def _card_renewal(sheet: Sheet, url: str) -> None:
    """R-NOTICE-2: the card itself expires; its renewal application is free, even after expiry."""
    text = [
        para("<b>マイナンバーカードの更新の申請（QRコード）</b>", S.cell),
        para(
            "カード本体の期限が過ぎると、カードの電子証明書も使えなくなります。"
            "右のQRコードをスマートフォンで読み取ると、新しいカードを申請できます（カードの更新）。"
            "<b>申請は無料です。カードの有効期限が過ぎた後でも、このQRコードから無料で申請できます。</b>"
            "新しいカードを受け取るときに、電子証明書も窓口で発行できます。",
            S.cell,
        ),
        para(esc(url), S.small),
    ]
    box = grid_table(
        [[text, QrCode(url, 30 * mm)]],
        [CONTENT_W - 36 * mm, 36 * mm],
        ruled=False,
        extra=[("BOX", (0, 0), (-1, -1), 1.2, BLACK)],
    )
    sheet.gap(2.5 * mm)
    sheet.add(box)


def _draw_notice(c: Any, doc: ExpiryNoticeDoc, key: str) -> int:
    """R-NOTICE-1, R-NOTICE-2: what expires when, what to bring, where; the proxy's forms."""
    require_text(number=doc.number, name=doc.addressee.name, address=doc.addressee.address)
    require(bool(doc.items) or doc.card_expires is not None, "nothing expires")
    require(bool(doc.in_person_items and doc.proxy_items), "the checklists are missing")
    holder = doc.addressee
    sheet = Sheet(c, footer=f"有効期限通知書　通知書番号 {doc.number}", key=key)
    draw_address(c, holder.name, holder.address, holder.postal_code, forward_ban=True)
    sender = doc.sender or (f"{doc.contact.city}長",)
    lines = [("通知書番号", doc.number), ("", era(doc.issued_on)), *(("", s) for s in sender)]
    draw_sender(c, lines, doc.number, "通知書番号")
    sheet.text(notice_title(doc), S.title, after=0)
    sheet.text("（有効期限通知書）", S.subtitle, after=3 * mm)
    if doc.items:
        subject = "電子証明書" + ("とカード本体" if doc.card_expires else "")
        sheet.text(
            f"あなたのマイナンバーカードの{subject}の有効期限が近づいています。"
            "有効期限を過ぎると、電子証明書を使う手続き（コンビニ交付、マイナポータル、e-Taxなど）が"
            "できなくなります。引き続き利用する場合は、窓口で更新の手続きをしてください"
            "（有効期限を過ぎた後でもできます）。すでに手続きがお済みの場合は、行き違いですので"
            "ご容赦ください。"
        )
    else:
        sheet.text(
            "あなたのマイナンバーカード本体の有効期限が近づいています。"
            "すでに手続きがお済みの場合は、行き違いですのでご容赦ください。"
        )
    if doc.paused_note:
        sheet.add(framed(para(esc(doc.paused_note), S.small), weight=0.6, shade=SHADE))
        sheet.gap(1.5 * mm)
    sheet.add(_expiry_table(doc))
    if doc.card_expires is not None and not doc.card_renewal_url:
        sheet.gap(1 * mm)
        _card_explained(sheet, doc)
    if doc.card_renewal_url:
        _card_renewal(sheet, doc.card_renewal_url)
    if not doc.items:  # the card alone: no certificate to renew, no reply form
        contact(sheet, doc.contact, "お問い合わせ先")
        return sheet.finish()
    sheet.heading("電子証明書の更新の手続きに必要なもの")
    columns = [
        ("ご本人が来庁する場合", doc.in_person_items),
        ("代理人が来庁する場合", doc.proxy_items),
    ]
    sheet.add(checklists(columns))
    sheet.text(
        "代理人が来庁する場合は、次のページの照会書兼回答書と委任状にご本人が記入・押印し、"
        "この通知書ごと代理人にお渡しください。本人確認書類は、顔写真つきのもの1点、"
        "または資格確認書など顔写真のないもの（ご本人は1点、代理人は2点）です。健康保険証は使えません。",
        S.small,
    )
    contact(sheet, doc.contact, "手続きの場所・お問い合わせ先")
    sheet.new_page()
    sheet.text("照会書兼回答書", S.title, after=0)
    sheet.text("（代理人が来庁する場合に、ご本人が記入してください）", S.subtitle, after=3 * mm)
    _addressed_to_mayor(sheet, doc.contact.city, doc.issued_on)
    sheet.heading("回答", before=0)
    sheet.text(
        f"私は、電子証明書の更新の申請（通知書番号 {esc(doc.number)}）を代理人に依頼しました。"
        "下記の暗証番号を設定してください。"
    )
    sheet.add(signature_table("氏名（自署）", "住所", holder.address, CONTENT_W))
    _pin_section(sheet, "更新する電子証明書の分")
    sheet.heading("委任状")
    _power_of_attorney(sheet, doc.number, "更新", holder)
    return sheet.finish()


def single_pdf(draw: Any, doc: Any, title: str, author: str) -> bytes:
    """One document as a PDF of its own."""
    ensure_fonts()
    buf = io.BytesIO()
    c = new_canvas(buf, title, author)
    draw(c, doc, "1")
    c.save()
    return buf.getvalue()


def inquiry_letter_pdf(doc: InquiryLetterDoc) -> bytes:
    """R-PROC-2: 照会書 and 委任状 for the holder, 2 pages."""
    return single_pdf(_draw_inquiry, doc, f"照会書 {doc.number}", doc.contact.city)


def expiry_notice_pdf(doc: ExpiryNoticeDoc) -> bytes:
    """R-NOTICE-1, R-NOTICE-2: 有効期限通知書 with 照会書兼回答書 and 委任状, 2 pages (1 page
    for a notice about the card alone)."""
    return single_pdf(_draw_notice, doc, f"有効期限通知書 {doc.number}", doc.contact.city)


def write_notices_pdf(docs: Iterable[ExpiryNoticeDoc], out: BinaryIO) -> int:
    """Write every notice of ``docs`` into one PDF on ``out``; return the page count.

    Each notice starts on a new page and takes two (one when it is about the card alone). The iterable is consumed one notice at a
    time and no notice is kept. reportlab cannot stream a PDF: it holds the compressed pages
    (about 10 kB per notice) until the file is written at the end, so a campaign of tens of
    thousands is best split into files of a few thousand notices. Nothing is written when a
    notice is invalid (LettersError) or when the batch is empty ('empty_batch').
    """
    ensure_fonts()
    c = new_canvas(out, "有効期限通知書", "madoguchi")
    pages = 0
    for index, doc in enumerate(docs):
        pages += _draw_notice(c, doc, str(index))
    if pages == 0:
        raise LettersError("empty_batch", "no notice to write")
    c.save()
    return pages


__all__ = [
    "expiry_notice_pdf",
    "inquiry_letter_pdf",
    "write_notices_pdf",
]
