"""Expiry notices written per second, one process (one core).

Timed: the campaign's printer (``letters.build.notice_printer``: ``notice_doc`` then
``write_notices_pdf``) writing N notices into one PDF in memory, as a dispatch batch does:
two A4 pages each (the notice, then the proxy's reply form with its power of attorney),
IPAex Mincho and Gothic embedded as subsets, compressed; one in ten with the card-renewal
QR code (the card expires too), one in ten with the apology of a deferred notice.

No peer (report only). The floor: reportlab writing the same number of pages of one line of
text each, with the same canvas settings and font — what a page costs before any layout.

Run: ``.venv/bin/python -m bench.letters_bench [--quick]``.
"""

from __future__ import annotations

import io
import random
import sys
from datetime import date, timedelta

from bench import report
from madoguchi.letters.build import notice_printer
from madoguchi.letters.fonts import MINCHO, ensure_fonts
from madoguchi.letters.layout import new_canvas
from madoguchi.rules.offices import MAIN_OFFICE
from madoguchi.services.domain import NoticeItem
from madoguchi.services.notice_dispatch import NoticeContent

CITY = "帯広市"
ISSUED = date(2026, 11, 24)
FAMILY = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"]
GIVEN = ["花子", "太郎", "美咲", "健一", "陽菜", "翔太", "さくら", "大輔", "結衣", "蓮"]


def contents(n: int) -> list[NoticeContent]:
    rng = random.Random(7)
    out = []
    for i in range(n):
        expires = date(2027, 2, 1) + timedelta(days=rng.randrange(28))
        items = [
            NoticeItem("auth", f"{rng.getrandbits(159):x}", expires),
            NoticeItem("sign", f"{rng.getrandbits(159):x}", expires),
        ]
        card = i % 10 == 3
        card_expires = expires if card else expires + timedelta(days=rng.randrange(400, 1800))
        if card:
            items.append(NoticeItem("card", None, card_expires))
        out.append(
            NoticeContent(
                number=f"2027-01-{i + 1:07d}",
                issued_on=ISSUED,
                name=f"{rng.choice(FAMILY)}　{rng.choice(GIVEN)}",
                address=f"北海道帯広市西{rng.randrange(1, 28)}条南{rng.randrange(1, 40)}丁目"
                f"{rng.randrange(1, 30)}番地{rng.randrange(1, 20)}　帯広ハイツ{rng.randrange(101, 999)}号室",
                items=tuple(items),
                card_expires=card_expires,
                card_renewal_url=(
                    f"https://madoguchi.example.jp/card-renewal/{rng.getrandbits(128):032x}"
                    if card
                    else None
                ),
                office=MAIN_OFFICE,
                deferred=i % 10 == 7,
            )
        )
    return out


def write_notices(batch: list[NoticeContent]) -> tuple[int, int]:
    """(pages, bytes) of one PDF of the batch."""
    out = io.BytesIO()
    pages = notice_printer(CITY)(batch, out)
    return pages, len(out.getvalue())


def floor(pages: int) -> int:
    """reportlab's cost of ``pages`` pages of one line of text, same canvas and font."""
    out = io.BytesIO()
    c = new_canvas(out, "floor", "madoguchi")
    for i in range(pages):
        c.setFont(MINCHO, 10.5)
        c.drawString(72, 760, f"有効期限通知書 {i}")
        c.showPage()
    c.save()
    return len(out.getvalue())


def run(quick: bool) -> report.Result:
    n = 20 if quick else 200
    ensure_fonts()
    batch = contents(n)
    write_notices(batch[:5])  # warm-up: fonts parsed, caches filled
    pages, size = write_notices(batch)
    ours = report.median(report.timed(lambda: write_notices(batch)))
    floor_s = report.median(report.timed(lambda: floor(pages)))
    floor_bytes = floor(pages)
    notices_s = n / ours
    pages_s = pages / ours
    figures = [
        report.figure(
            "expiry notices written to one PDF",
            notices_s,
            "notices/s",
            notes=f"{pages // n} pages each; one process",
        ),
        report.figure(
            "pages of those notices",
            pages_s,
            "pages/s",
            peer=pages / floor_s,
            peer_name="reportlab, one line of text a page, same canvas and font",
            notes="the floor's pages are a lower bound of a page's cost",
        ),
    ]
    notes = [
        f"{n} notices ({pages} pages), median of {report.RUNS} runs after a warm-up: "
        f"{1000 * ours / n:.1f} ms a notice, {1000 * ours / pages:.1f} ms a page; the PDF "
        f"holds {size / n / 1024:.1f} KiB a notice (fonts embedded once per file). The "
        f"floor: {1000 * floor_s / pages:.2f} ms a page ({floor_bytes / 1024:.0f} KiB for "
        f"{pages} pages).",
        "What a notice costs beyond the floor is reportlab's layout in pure Python: in a "
        "cProfile of 50 notices, the line breaking of Japanese paragraphs (`cjkFragSplit`, "
        "`makeCJKParaLine`) is about a quarter, reportlab's pure-Python fallbacks of its C "
        "accelerator (`fp_str`, `asciiBase85Encode`, `stringWidth`) about another, the QR "
        "codes (segno) a few per cent. Installing the accelerator (`rl-accel`, not a "
        "dependency) made no measurable difference here (62 against 58 notices/s). One process "
        "uses one core, so a campaign on this 2-core machine writes about twice as many with "
        "two processes (dispatch batches are independent files).",
        f"At {notices_s:,.0f} notices/s, a month's campaign of 4,221 notices (benchmark 4's "
        f"window) is written in {4221 / notices_s:.0f} s on one core.",
    ]
    return report.result(
        "letters",
        "Expiry notices (letters) per second, one core",
        figures,
        notes,
        {"notices": n, "pages": pages, "runs": report.RUNS},
    )


if __name__ == "__main__":
    res = run("--quick" in sys.argv[1:])
    report.print_table([res])
    for note in res["notes"]:
        print("-", note)
