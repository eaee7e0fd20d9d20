"""The documents handed over at the counter as PDF bytes: the certificate copy and the
receipt."""

from __future__ import annotations

import re
from typing import Any

from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]

from madoguchi.letters.documents import CertificateCopyDoc, ReceiptDoc
from madoguchi.letters.fonts import GOTHIC
from madoguchi.letters.layout import (
    CONTENT_W,
    S,
    era,
    era_western,
    esc,
    framed,
    grid_table,
    head,
    para,
    y_mm,
    yen,
)
from madoguchi.letters.render import (
    BLACK,
    MARGIN_TOP_MM,
    PAGE_H_MM,
    PAGE_W_MM,
    contact,
    require,
    require_text,
    single_pdf,
)
from madoguchi.letters.sheet import Sheet

#: serials wrap only between their groups of four (no CJK wrapping inside a group)
SERIAL = ParagraphStyle("serial", fontName=GOTHIC, fontSize=8.5, leading=12.5)


def grouped_serial(serial_hex: str) -> str:
    """The serial in groups of four, upper case, as a person reads it out: 127B 5C83 A9C8 …"""
    text = serial_hex.upper()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def desk_name(desk: str) -> str:
    """The desk without the room in parentheses: a receipt names who received, not where."""
    return re.sub(r"（[^（）]*）$", "", desk).strip()


def _draw_copy(c: Any, doc: CertificateCopyDoc, key: str) -> int:
    """R-PROC-5: the certificates on the card and the expiry date for the card's face."""
    require_text(name=doc.holder_name, card_id=doc.card_id)
    require(bool(doc.certificates), "no certificate to print")
    footer = f"電子証明書の写し　{doc.holder_name}　様"
    sheet = Sheet(c, footer=footer, key=key, top_mm=MARGIN_TOP_MM, folds=False)
    sheet.text(esc(f"{era(doc.issued_on)}　{doc.contact.city}長"), S.cell_right, after=2 * mm)
    sheet.text("電子証明書の写し", S.title, after=4 * mm)
    sheet.text(esc(f"{doc.holder_name}　様"), S.heading)
    sheet.text(
        "あなたのマイナンバーカードに、次の電子証明書を記録しました。この写しは大切に保管してください。"
    )
    face = doc.face_expiry
    if face is not None:
        western = f"（{face.year}年{face.month}月{face.day}日）"
        lines = [
            para("カードの表面の「電子証明書の有効期限」欄に記入する日付", S.subtitle),
            para(esc(era(face)), S.big),
            para(esc(western), S.subtitle),
        ]
        sheet.add(framed(lines, weight=1.5))
    sheet.heading("記録した電子証明書")
    rows: list[list[Any]] = [[head("種類"), head("シリアル番号"), head("有効期間")]]
    for cert in doc.certificates:
        period = f"{esc(era(cert.not_before))}から<br/>{esc(era(cert.not_after))}まで"
        serial = para(esc(grouped_serial(cert.serial_hex)), SERIAL)
        # the kind on two lines at the word's seam: 利用者証明用 / 電子証明書, never 電子証明/書
        kind = esc(cert.kind_label).replace("電子証明書", "<br/>電子証明書")
        rows.append([para(kind, S.cell), serial, para(period, S.cell)])
    widths = [30 * mm, 90 * mm, CONTENT_W - 120 * mm]
    sheet.add(grid_table(rows, widths, head_row=True))
    issuers = [
        [
            para(esc(f"発行者（{cert.kind_label.removesuffix('電子証明書')}）"), S.small),
            para(esc(cert.issuer), S.small),
        ]
        for cert in doc.certificates
    ]
    sheet.gap(1.5 * mm)
    sheet.add(grid_table(issuers, [40 * mm, CONTENT_W - 40 * mm], head_col=True))
    sheet.heading("署名用電子証明書に記録された事項")
    if doc.birth is not None and doc.gender_label and doc.address:
        facts = [
            [head("氏名"), doc.holder_name],
            [head("生年月日"), era_western(doc.birth)],
            [head("性別"), doc.gender_label],
            [head("住所"), doc.address],
        ]
        sheet.add(grid_table(facts, [32 * mm, CONTENT_W - 32 * mm], head_col=True))
        sheet.gap(1 * mm)
        sheet.text(
            "氏名・住所などが変わると、署名用電子証明書は失効します。窓口で新しく発行してください。",
            S.small,
        )
    else:
        sheet.text("署名用電子証明書は記録されていません。")
    sheet.text(
        f"・カード識別番号 {esc(doc.card_id)}<br/>"
        "・暗証番号は他人に教えないでください。職員が電話などで暗証番号を尋ねることはありません。<br/>"
        "・有効期限が近づくと、有効期限通知書を住民登録地あてにお送りします（転送不要）。",
        S.small,
    )
    contact(sheet, doc.contact)
    return sheet.finish()


def _receipt_half(sheet: Sheet, doc: ReceiptDoc, copy_label: str) -> None:
    top = esc(f"{era(doc.issued_on)}　領収番号 {doc.receipt_no}")
    sheet.text(top, S.cell_right, after=1 * mm)
    suffix = f"<font size=10>（{esc(copy_label)}）</font>" if copy_label else ""
    sheet.text("領　収　書" + suffix, S.title, after=3 * mm)
    sheet.text(esc(f"{doc.holder_name}　様"), S.heading, after=1 * mm)
    amount = grid_table(
        [[para(esc(f"金 {yen(doc.due_yen)}"), S.big)]],
        [90 * mm],
        ruled=False,
        extra=[("LINEBELOW", (0, 0), (-1, -1), 1.2, BLACK)],
    )
    sheet.add(amount, x=(PAGE_W_MM - 90) / 2 * mm, width=90 * mm)
    sheet.gap(3 * mm)
    waived = yen(doc.standard_yen - doc.due_yen)
    rows = [
        [head("内容"), doc.description, para("領収印", S.small)],
        *([[head("交付の理由"), doc.reason, ""]] if doc.reason else []),
        [head("手数料（規定額）"), yen(doc.standard_yen), ""],
        [head("減免"), f"{waived}（{doc.waiver}）" if doc.waiver else "なし", ""],
        [head("お支払い額"), yen(doc.due_yen), ""],
        [head("受付番号"), doc.case_id, ""],
    ]
    stamp = [("SPAN", (2, 0), (2, -1)), ("VALIGN", (2, 0), (2, 0), "TOP")]
    sheet.add(grid_table(rows, [34 * mm, CONTENT_W - 64 * mm, 30 * mm], head_col=True, extra=stamp))
    sheet.gap(2 * mm)
    note = (
        "上記のとおり領収しました。" + (f"（{esc(doc.note)}）" if doc.note else "")
        if doc.due_yen
        else f"手数料は{esc(doc.waiver or '')}のため、お支払いはありません。"
    )
    sheet.text(note, S.small)
    # the issuer as a receipt names it: the city and the desk that received, where to ask
    who = esc(f"{doc.contact.city}　{desk_name(doc.contact.desk)}")
    where = esc(f"{doc.contact.address}　電話 {doc.contact.phone}".strip())
    sheet.text(f"{who}<br/>{where}", S.cell_right)


def _draw_receipt(c: Any, doc: ReceiptDoc, key: str) -> int:
    """R-PROC-4: the fee of the schedule, what is due, and the measure that waives it."""
    require_text(receipt_no=doc.receipt_no, name=doc.holder_name, description=doc.description)
    require(0 <= doc.due_yen <= doc.standard_yen, "the amount due is outside 0..standard")
    require(
        doc.due_yen == doc.standard_yen or bool(doc.waiver), "a reduced fee must name its waiver"
    )
    footer = f"領収書　領収番号 {doc.receipt_no}"
    sheet = Sheet(c, footer=footer, key=key, top_mm=MARGIN_TOP_MM, folds=False)
    _receipt_half(sheet, doc, "")
    cut_mm = PAGE_H_MM / 2
    c.saveState()
    c.setDash(3, 3)
    c.setLineWidth(0.5)
    c.line(10 * mm, y_mm(cut_mm), (PAGE_W_MM - 10) * mm, y_mm(cut_mm))
    c.setFont(GOTHIC, 7)
    c.drawCentredString(PAGE_W_MM / 2 * mm, y_mm(cut_mm) + 1.5 * mm, "切り取り線")
    c.restoreState()
    sheet.y = y_mm(cut_mm + MARGIN_TOP_MM)
    _receipt_half(sheet, doc, "控")
    return sheet.finish()


def certificate_copy_pdf(doc: CertificateCopyDoc) -> bytes:
    """R-PROC-5: 電子証明書の写し, 1 page."""
    return single_pdf(_draw_copy, doc, "電子証明書の写し", doc.contact.city)


def receipt_pdf(doc: ReceiptDoc) -> bytes:
    """R-PROC-4: 領収書 with the city's copy below the cut line, 1 page."""
    return single_pdf(_draw_receipt, doc, f"領収書 {doc.receipt_no}", doc.contact.city)


__all__ = ["certificate_copy_pdf", "receipt_pdf"]
