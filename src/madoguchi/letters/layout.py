"""Shared drawing for the letters: the A4 page, the window-envelope address, text flow, boxes, QR.

Coordinates are reportlab points from the bottom-left corner; the constants are in mm from
the top-left corner of the sheet, as a designer measures them. Text is set with reportlab
Paragraphs in ``wordWrap="CJK"`` mode, so Japanese breaks between any two characters and never
runs past the margins; every value from a document is XML-escaped before it enters markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, cast
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle  # type: ignore[import-untyped]

from madoguchi.letters.fonts import GOTHIC, MINCHO
from madoguchi.rules.dates import era_of, format_japanese

PAGE_W, PAGE_H = cast(tuple[float, float], A4)  # 210 × 297 mm
MARGIN_X = 20 * mm
MARGIN_TOP = 16 * mm
MARGIN_BOTTOM = 20 * mm  # the footer sits inside it
CONTENT_W = PAGE_W - 2 * MARGIN_X  # 170 mm

# 長形3号 window envelope (120 × 235 mm) holding the A4 sheet folded in three (panels of
# 99 mm). The usual window is 90 × 45 mm, 23 mm from the left and 13 mm from the top edge of
# the envelope; taking off the play of the folded sheet (about 2 mm each way) leaves the
# address area below, measured on the sheet: 25 mm from the left, 17 mm from the top,
# 82 × 38 mm. Nothing else is printed there, and 転送不要 sits inside it so it shows.
WINDOW_LEFT_MM = 25.0
WINDOW_TOP_MM = 17.0
WINDOW_W_MM = 82.0
WINDOW_H_MM = 38.0
FOLD_MM = (99.0, 198.0)  # 三つ折り: fold marks on the left edge
BODY_TOP_MM = 58.0  # the flowing text starts below the address and sender blocks

QR_QUIET_MODULES = 4  # the quiet zone the QR standard asks for, kept white
GREY = colors.Color(0.45, 0.45, 0.45)
SHADE = colors.Color(0.92, 0.92, 0.92)


def y_mm(top_mm: float) -> float:
    """The reportlab y of a point ``top_mm`` below the top edge."""
    return cast(float, PAGE_H - top_mm * mm)


def esc(text: str) -> str:
    """Escape data for Paragraph markup; keep full-width spaces (帯広　花子), which reportlab
    would otherwise collapse like ASCII whitespace."""
    return escape(text).replace("\u3000", "&#12288;")


def era(day: date) -> str:
    """令和8年11月24日 (R-DATE-5; 元年 for an era's first year, as letters write it)."""
    return format_japanese(day, gannen=True)


def era_western(day: date) -> str:
    """令和9年2月10日（2027年2月10日）: the era date with the Western date in parentheses."""
    return f"{era(day)}（{day.year}年{day.month}月{day.day}日）"


def blank_date(near: date) -> str:
    """A date line to fill in by hand, in the era of ``near``: 令和　　年　　月　　日."""
    return f"{era_of(near).name}　　　年　　　月　　　日"


def yen(amount: int) -> str:
    return f"{amount:,}円"


def _style(name: str, font: str, size: float, leading: float, **kw: Any) -> Any:
    """A CJK-wrapped style. Left-aligned text keeps one em free on the right: reportlab hangs
    a closing mark (。、）) that cannot start a line into the margin (ぶら下げ), and the em
    keeps that mark inside the frame and off table rules."""
    if kw.get("alignment", TA_LEFT) == TA_LEFT:
        kw.setdefault("rightIndent", size)
    return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, wordWrap="CJK", **kw)


class S:
    """The paragraph styles: Mincho for text, Gothic for titles, headings and labels."""

    body: Any = _style("body", MINCHO, 10.5, 16.5)
    bullet: Any = _style("bullet", MINCHO, 10.5, 16.5, leftIndent=25, firstLineIndent=-13.5)
    small: Any = _style("small", MINCHO, 8.5, 12.5)
    note: Any = _style("note", MINCHO, 9, 13.5, leftIndent=25, textColor=GREY)
    title: Any = _style("title", GOTHIC, 17, 24, alignment=TA_CENTER)
    subtitle: Any = _style("subtitle", GOTHIC, 10, 14, alignment=TA_CENTER)
    heading: Any = _style("heading", GOTHIC, 11.5, 16)
    cell: Any = _style("cell", MINCHO, 10, 14)
    check: Any = _style("check", MINCHO, 10, 14, leftIndent=13, firstLineIndent=-13)
    cell_head: Any = _style("cell_head", GOTHIC, 9.5, 13.5)
    cell_right: Any = _style("cell_right", MINCHO, 10, 14, alignment=TA_RIGHT)
    big: Any = _style("big", GOTHIC, 20, 27, alignment=TA_CENTER)


def para(text: str, style: Any) -> Any:
    """A Paragraph of markup (callers escape data with :func:`esc`)."""
    return Paragraph(text, style)


class QrCode(Flowable):  # type: ignore[misc]
    """A QR code (error correction M, no micro QR) drawn as vector rectangles from segno's matrix.

    ``size`` is the side including the 4-module quiet zone, which stays white.
    """

    def __init__(self, payload: str, size: float) -> None:
        super().__init__()
        self.qr = segno.make(payload, error="m", micro=False, boost_error=False)
        self.size = size
        self.width = self.height = size

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        """White square (quiet zone included), then each run of dark modules as one rectangle."""
        c, rows = self.canv, self.qr.matrix
        n = len(rows)
        module = self.size / (n + 2 * QR_QUIET_MODULES)
        c.saveState()
        c.setFillColor(colors.white)
        c.rect(0, 0, self.size, self.size, stroke=0, fill=1)
        c.setFillColor(colors.black)
        path = c.beginPath()
        for r, row in enumerate(rows):
            top = self.size - (QR_QUIET_MODULES + r + 1) * module
            col = 0
            while col < n:
                start = col
                while col < n and row[col]:
                    col += 1
                if col > start:
                    x = (QR_QUIET_MODULES + start) * module
                    path.rect(x, top, (col - start) * module, module)
                col += 1
        c.drawPath(path, stroke=0, fill=1)
        c.restoreState()


class Boxes(Flowable):  # type: ignore[misc]
    """``count`` empty squares in a row, one character each (PIN boxes)."""

    def __init__(self, count: int, side: float = 7.5 * mm, per_row: int = 16) -> None:
        super().__init__()
        self.count, self.side, self.per_row = count, side, per_row
        self.rows = (count + per_row - 1) // per_row

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return min(self.count, self.per_row) * self.side, self.rows * self.side

    def draw(self) -> None:
        self.canv.setLineWidth(0.8)
        for i in range(self.count):
            row, col = divmod(i, self.per_row)
            y = (self.rows - row - 1) * self.side
            self.canv.rect(col * self.side, y, self.side, self.side, stroke=1, fill=0)


def grid_table(
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    *,
    heights: Sequence[float | None] | None = None,
    head_col: bool = False,
    head_row: bool = False,
    dashed: bool = False,
    ruled: bool = True,
    extra: Sequence[tuple[Any, ...]] = (),
) -> Any:
    """A ruled table; plain strings become Paragraphs so they wrap inside their cell."""
    data = [[para(esc(v), S.cell) if isinstance(v, str) else v for v in row] for row in rows]
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), MINCHO, 10),  # else the table sets Helvetica (not embedded)
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]
    if ruled:
        style.append(("GRID", (0, 0), (-1, -1), 0.6, colors.black))
    if head_col:
        style.append(("BACKGROUND", (0, 0), (0, -1), SHADE))
    if head_row:
        style.append(("BACKGROUND", (0, 0), (-1, 0), SHADE))
    if dashed:
        style.append(("BOX", (0, 0), (-1, -1), 1.2, colors.black, None, (4, 2)))
    style.extend(extra)
    table = Table(data, colWidths=list(widths), rowHeights=list(heights) if heights else None)
    table.setStyle(TableStyle(style))
    return table


def framed(content: Any, *, weight: float = 1.2, shade: Any = None) -> Any:
    """One framed block across the text width (a flowable, or a list of them)."""
    extra: list[tuple[Any, ...]] = [("BOX", (0, 0), (-1, -1), weight, colors.black)]
    if shade is not None:
        extra.append(("BACKGROUND", (0, 0), (-1, -1), shade))
    return grid_table([[content]], [CONTENT_W], ruled=False, extra=extra)


def checklists(columns: Sequence[tuple[str, Sequence[str]]]) -> Any:
    """Checklists side by side under their headings, a square to tick before each item."""
    width = CONTENT_W / len(columns)
    heads = [head(title) for title, _ in columns]
    lists = [[para("□&#12288;" + esc(label), S.check) for label in items] for _, items in columns]
    return grid_table(
        [heads, lists],
        [width] * len(columns),
        head_row=True,
        extra=[("VALIGN", (0, 1), (-1, 1), "TOP")],
    )


def head(text: str) -> Any:
    """A label cell; a newline in ``text`` breaks the line."""
    return para("<br/>".join(esc(line) for line in text.split("\n")), S.cell_head)


def seal_cell() -> Any:
    """The 印 cell: a light 印 in the middle of the square the holder stamps."""
    return para(
        '<font color="#999999">印</font>', _style("seal", MINCHO, 12, 14, alignment=TA_CENTER)
    )


def signature_table(label: str, prefilled_label: str, prefilled: str, width: float) -> Any:
    """Prefilled line (住所) then 氏名（自署） with a large blank and the 印 square (R-PROC-2)."""
    seal = 20 * mm
    lab = 32 * mm
    return grid_table(
        [[head(prefilled_label), prefilled, ""], [head(label), "", seal_cell()]],
        [lab, width - lab - seal, seal],
        heights=[None, seal],
        head_col=True,
        extra=[("SPAN", (1, 0), (2, 0))],
    )


def draw_forward_ban(c: Any, right: float, top: float) -> None:
    """「転送不要」in a heavy frame, right-aligned at ``right``, its top at ``top`` (R-NOTICE-1)."""
    w, h = 25 * mm, 7.5 * mm
    c.saveState()
    c.setLineWidth(1.6)
    c.rect(right - w, top - h, w, h, stroke=1, fill=0)
    c.setFont(GOTHIC, 13)
    c.drawCentredString(right - w / 2, top - h + 2.2 * mm, "転送不要")
    c.restoreState()


def draw_address(c: Any, name: str, address: str, postal_code: str, *, forward_ban: bool) -> None:
    """The addressee in the envelope window; the type shrinks until a long address fits."""
    left, top = WINDOW_LEFT_MM * mm, y_mm(WINDOW_TOP_MM)
    width, bottom = WINDOW_W_MM * mm, y_mm(WINDOW_TOP_MM + WINDOW_H_MM)
    if forward_ban:
        draw_forward_ban(c, left + width, top)
    y = top - 5 * mm
    if postal_code:
        c.setFont(GOTHIC, 11)
        c.drawString(left, y, f"〒{postal_code}")
    y = top - 10 * mm  # below the 転送不要 box
    for size in (11.0, 10.0, 9.0, 8.0):
        addr = para(esc(address), _style("addr", MINCHO, size, size * 1.4))
        person = para(esc(name + "　様"), _style("name", MINCHO, size + 4, (size + 4) * 1.35))
        _, ah = addr.wrap(width, 1000)
        _, nh = person.wrap(width, 1000)
        if y - ah - 2 * mm - nh >= bottom:
            break
    addr.drawOn(c, left, y - ah)
    person.drawOn(c, left, y - ah - 2 * mm - nh)


def draw_sender(
    c: Any, lines: Sequence[tuple[str, str]], qr_payload: str | None, qr_caption: str
) -> None:
    """The sender column at the top right: (label, value) lines and the number's QR code."""
    right = PAGE_W - MARGIN_X
    text_right = right
    if qr_payload is not None:
        size = 24 * mm
        QrCode(qr_payload, size).drawOn(c, right - size, y_mm(12) - size)
        c.setFont(GOTHIC, 7)
        c.drawCentredString(right - size / 2, y_mm(12) - size - 3 * mm, qr_caption)
        text_right = right - size - 3 * mm
    y = y_mm(WINDOW_TOP_MM + 4)
    for label, value in lines:
        if label:
            c.setFont(GOTHIC, 9)
            c.drawRightString(text_right, y, label)
            y -= 5.5 * mm
        c.setFont(GOTHIC if label else MINCHO, 12 if label else 10.5)
        c.drawRightString(text_right, y, value)
        y -= 7 * mm


def new_canvas(out: Any, title: str, author: str) -> Any:
    """A compressed A4 canvas writing to ``out`` (a path or a binary file object) on save."""
    c = Canvas(out, pagesize=A4, pageCompression=1, lang="ja-JP", initialFontName=MINCHO)
    c.setTitle(title)
    c.setAuthor(author)
    c.setSubject(title)
    c.setCreator("madoguchi")
    return c
