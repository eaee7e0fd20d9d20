"""The two Japanese fonts of every letter, embedded (subset) in the PDF.

IPAex Mincho sets the body text, IPAex Gothic the headings, labels and boxes — the usual
pairing of municipal letters. Both come from Debian's ``fonts-ipaexfont``; reportlab's
:class:`TTFont` embeds only the glyphs a document uses. A missing font is a
:class:`LettersError` (``font_missing``) that says how to install it, never a silent
fallback to a Latin-only font that would print empty boxes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from threading import Lock

from reportlab.lib.fonts import addMapping  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFError, TTFont  # type: ignore[import-untyped]

from madoguchi.letters.errors import LettersError

#: Names the fonts are registered under; they appear (with a subset prefix) in the PDF.
MINCHO = "IPAexMincho"
GOTHIC = "IPAexGothic"

#: Where Debian (fonts-ipaexfont) and a few other layouts put the files, first match wins.
MINCHO_CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf"),
    Path("/usr/share/fonts/truetype/ipaexfont-mincho/ipaexm.ttf"),
    Path("/usr/share/fonts/ipa-ex-mincho/ipaexm.ttf"),
    Path("/usr/share/fonts/ipaex/ipaexm.ttf"),
)
GOTHIC_CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"),
    Path("/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf"),
    Path("/usr/share/fonts/ipa-ex-gothic/ipaexg.ttf"),
    Path("/usr/share/fonts/ipaex/ipaexg.ttf"),
)

INSTALL_HINT = (
    "install Debian's fonts-ipaexfont (`make sysdeps` or `apt-get install fonts-ipaexfont`)"
)


@dataclass(frozen=True, slots=True)
class FontFiles:
    mincho: Path
    gothic: Path


_lock = Lock()
_loaded: FontFiles | None = None


def find_font(candidates: Sequence[Path], what: str) -> Path:
    """The first existing file of ``candidates``; LettersError('font_missing') otherwise."""
    for path in candidates:
        if path.is_file():
            return path
    tried = ", ".join(str(p) for p in candidates) or "no path given"
    raise LettersError("font_missing", f"{what} not found (tried {tried}); {INSTALL_HINT}")


def locate_fonts(
    mincho: Sequence[Path] = MINCHO_CANDIDATES, gothic: Sequence[Path] = GOTHIC_CANDIDATES
) -> FontFiles:
    """The font files to use, checked to exist."""
    return FontFiles(find_font(mincho, "IPAex Mincho"), find_font(gothic, "IPAex Gothic"))


def _register(name: str, path: Path) -> None:
    try:
        # subfontIndex 0; reportlab subsets TrueType fonts on embedding by default.
        pdfmetrics.registerFont(TTFont(name, str(path)))
    except (TTFError, OSError) as exc:
        raise LettersError("font_unreadable", f"cannot read {path}: {exc}; {INSTALL_HINT}") from exc


def ensure_fonts(files: FontFiles | None = None) -> FontFiles:
    """Register both fonts once per process (thread-safe) and return their files.

    In Paragraph markup ``<b>`` maps to Gothic, so a bold phrase in a Mincho paragraph is
    set in Gothic, as Japanese documents do (there is no bold Mincho).
    """
    global _loaded
    with _lock:
        if _loaded is not None:
            return _loaded
        chosen = files or locate_fonts()
        _register(MINCHO, chosen.mincho)
        _register(GOTHIC, chosen.gothic)
        addMapping(MINCHO, 0, 0, MINCHO)
        addMapping(MINCHO, 1, 0, GOTHIC)
        addMapping(MINCHO, 0, 1, MINCHO)
        addMapping(MINCHO, 1, 1, GOTHIC)
        addMapping(GOTHIC, 0, 0, GOTHIC)
        addMapping(GOTHIC, 1, 0, GOTHIC)
        addMapping(GOTHIC, 0, 1, GOTHIC)
        addMapping(GOTHIC, 1, 1, GOTHIC)
        _loaded = chosen
        return chosen
