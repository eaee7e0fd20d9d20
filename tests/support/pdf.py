"""Looking at PDFs with Debian's own tools: pdftotext, pdftoppm, pdffonts (poppler-utils) and
zbarimg (zbar-tools), so the letters are checked by independent readers, not by reportlab.

PNG pages are kept under artifacts/letters/ (the directory from MADOGUCHI_ARTIFACTS, default
"artifacts") for people to look at. Never skips: a missing tool fails the test and says how
to install it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

ARTIFACTS = Path(os.environ.get("MADOGUCHI_ARTIFACTS", "artifacts")) / "letters"
TIMEOUT = 60


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is missing; `make sysdeps` or `apt-get install {package}`", pytrace=False
        )
    return path


def _run(args: list[str], data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(args, input=data, capture_output=True, timeout=TIMEOUT, check=False)


def pdf_text(pdf: bytes, *, layout: bool = False) -> str:
    """The text of every page, as pdftotext reads it (reading order; ``layout`` keeps columns)."""
    args = [_tool("pdftotext", "poppler-utils"), "-enc", "UTF-8"]
    if layout:
        args.append("-layout")
    done = _run([*args, "-", "-"], pdf)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout.decode("utf-8")


def squash(text: str) -> str:
    """NFKC without any whitespace: phrases compare across line breaks and space widths."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@dataclass(frozen=True, slots=True)
class Word:
    page: int
    text: str
    x_min: float  # points from the left edge
    y_min: float  # points from the top edge
    x_max: float
    y_max: float


_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)


def word_boxes(pdf: bytes) -> tuple[tuple[float, float], list[Word]]:
    """Page size and every word's box, from ``pdftotext -bbox`` (points, origin top-left)."""
    done = _run([_tool("pdftotext", "poppler-utils"), "-bbox", "-enc", "UTF-8", "-", "-"], pdf)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    html = done.stdout.decode("utf-8")
    size = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', html)
    assert size, "pdftotext -bbox printed no page"
    words = []
    for number, page in enumerate(html.split("<page ")[1:], start=1):
        for m in _WORD.finditer(page):
            x0, y0, x1, y1 = (float(m[i]) for i in range(1, 5))
            words.append(Word(number, m[5], x0, y0, x1, y1))
    return (float(size[1]), float(size[2])), words


def page_count(pdf: bytes) -> int:
    """The number of pages, from pdftotext's form feeds (one after each page)."""
    return pdf_text(pdf).count("\f")


def render_pages(pdf: bytes, name: str, *, dpi: int = 150) -> list[Path]:
    """Render every page to artifacts/letters/<name>-<n>.png and return the paths in order."""
    tool = _tool("pdftoppm", "poppler-utils")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9_-]+", "-", name.lower())
    for old in ARTIFACTS.glob(f"{slug}-*.png"):
        old.unlink()
    done = _run([tool, "-r", str(dpi), "-png", "-", str(ARTIFACTS / slug)], pdf)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    pages = sorted(ARTIFACTS.glob(f"{slug}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    assert pages, f"pdftoppm wrote no page for {name}"
    assert all(p.stat().st_size > 1000 for p in pages)
    return pages


def decode_qr(png: Path) -> list[str]:
    """The payloads of the QR codes zbarimg finds on one page image (other symbologies off)."""
    tool = _tool("zbarimg", "zbar-tools")
    done = _run([tool, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)])
    if done.returncode == 4:  # zbarimg: no symbol found
        return []
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return [line for line in done.stdout.decode("utf-8").splitlines() if line]


@dataclass(frozen=True, slots=True)
class PdfFont:
    name: str
    type: str
    embedded: bool
    subset: bool
    unicode: bool


def pdf_fonts(pdf: bytes, tmp_dir: Path) -> list[PdfFont]:
    """The fonts pdffonts lists (it reads a file, not stdin)."""
    tool = _tool("pdffonts", "poppler-utils")
    path = tmp_dir / "fonts-check.pdf"
    path.write_bytes(pdf)
    done = _run([tool, str(path)])
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    lines = done.stdout.decode("utf-8").splitlines()
    # name type encoding emb sub uni object ID; the dashes line gives the column widths
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", lines[1])]
    fonts = []
    for line in lines[2:]:
        cols = [
            line[a:b].strip() if i < len(spans) - 1 else line[a:].strip()
            for i, (a, b) in enumerate(spans)
        ]
        fonts.append(
            PdfFont(cols[0], cols[1], cols[3] == "yes", cols[4] == "yes", cols[5] == "yes")
        )
    return fonts
