"""A document's pages on a shared canvas (:class:`Sheet`): a text cursor, page breaks, the
fold marks and the footer with "page n / total"."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]

from madoguchi.letters.errors import LettersError
from madoguchi.letters.fonts import GOTHIC
from madoguchi.letters.layout import (
    BODY_TOP_MM,
    CONTENT_W,
    FOLD_MM,
    GREY,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    PAGE_H,
    PAGE_W,
    S,
    esc,
    grid_table,
    para,
    y_mm,
)


class Sheet:
    """One document's pages on a shared canvas: a text cursor, page breaks and the footer.

    The footer shows the document's name and number and "page n / total"; the total is a
    PDF form filled in when the document ends, so documents stream into one batch PDF.
    """

    def __init__(
        self, c: Any, *, footer: str, key: str, top_mm: float = BODY_TOP_MM, folds: bool = True
    ) -> None:
        self.c = c
        self.folds = folds
        self.footer = footer
        self.form = f"pages_{key}"
        self.page = 1
        self.y = y_mm(top_mm)
        self._decorate()

    def _decorate(self) -> None:
        if not self.folds:
            return
        self.c.saveState()
        self.c.setStrokeColor(GREY)
        self.c.setLineWidth(0.4)
        for fold in FOLD_MM:
            self.c.line(0, y_mm(fold), 5 * mm, y_mm(fold))
        self.c.restoreState()

    def _footer(self) -> None:
        c = self.c
        c.saveState()
        c.setStrokeColor(GREY)
        c.setLineWidth(0.5)
        c.line(MARGIN_X, 14 * mm, PAGE_W - MARGIN_X, 14 * mm)
        c.setFont(GOTHIC, 8)
        c.setFillColor(GREY)
        c.drawString(MARGIN_X, 10 * mm, self.footer)
        c.drawRightString(PAGE_W - MARGIN_X - 10 * mm, 10 * mm, f"{self.page} / ")
        c.doForm(self.form)
        c.restoreState()

    @property
    def room(self) -> float:
        return cast(float, self.y - MARGIN_BOTTOM)

    def new_page(self, top_mm: float = MARGIN_TOP / mm) -> None:
        self._footer()
        self.c.showPage()
        self.page += 1
        self.y = y_mm(top_mm)
        self._decorate()

    def gap(self, height: float) -> None:
        self.y -= min(height, self.room)

    def add(
        self, flowable: Any, *, x: float = MARGIN_X, width: float = CONTENT_W, keep: float = 0
    ) -> None:
        """Place ``flowable`` at the cursor; at a page break a tall one is split, a short one moved.

        ``keep`` asks for that much room below it too (a heading stays with its text).
        """
        pending = [flowable]
        fresh = False
        while pending:
            f = pending.pop(0)
            _, h = f.wrapOn(self.c, width, self.room)
            if h + keep <= self.room or (fresh and h <= self.room):
                f.drawOn(self.c, x, self.y - h)
                self.y -= h
                fresh = False
                continue
            # a block moves whole to the next page; only one taller than a page is split
            parts = f.split(width, self.room) if h > PAGE_H - MARGIN_TOP - MARGIN_BOTTOM else []
            if len(parts) >= 2:
                first, *rest = parts
                _, fh = first.wrapOn(self.c, width, self.room)
                first.drawOn(self.c, x, self.y - fh)
                pending[:0] = rest
            elif fresh:
                raise LettersError("invalid_document", "a block is taller than a page")
            else:
                pending.insert(0, f)
            self.new_page()
            fresh = True

    def text(self, markup: str, style: Any = S.body, *, after: float = 1.5 * mm) -> None:
        self.add(para(markup, style))
        self.gap(after)

    def heading(self, text: str, *, before: float = 3 * mm) -> None:
        """A section heading with a bar, kept with at least 25 mm of what follows."""
        self.gap(before)
        bar = grid_table(
            [[para(esc(text), S.heading)]],
            [CONTENT_W],
            ruled=False,
            extra=[
                ("LINEBEFORE", (0, 0), (0, 0), 3.5, colors.black),
                ("LINEBELOW", (0, 0), (-1, -1), 0.6, colors.black),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ],
        )
        self.add(bar, keep=25 * mm)
        self.gap(2 * mm)

    def bullets(self, labels: Sequence[str], note: Callable[[str], str] | None = None) -> None:
        """A checklist: a square to tick, the label, and the item's note below in grey."""
        for label in labels:
            self.add(para("□&#12288;" + esc(label), S.bullet))
            extra = note(label) if note else ""
            if extra:
                self.add(para(esc(extra), S.note))
            self.gap(0.8 * mm)

    def finish(self) -> int:
        """End the document: footer, page break, and the page total for every footer."""
        self._footer()
        self.c.showPage()
        self.c.beginForm(self.form)
        self.c.setFont(GOTHIC, 8)
        self.c.setFillColor(GREY)
        self.c.drawString(PAGE_W - MARGIN_X - 10 * mm, 10 * mm, str(self.page))
        self.c.endForm()
        return self.page
