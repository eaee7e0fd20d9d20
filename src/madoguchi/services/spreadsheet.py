"""CSV that a spreadsheet opens as data, never as formulas (issue 14, item 9).

The print vendor opens the notice batches' manifests (services/notices.py) in a spreadsheet.
A cell that begins with ``=``, ``+``, ``-`` or ``@`` — or with a tab or a carriage return,
after which a spreadsheet may look again — is taken for a formula (``=HYPERLINK(…)``,
``=cmd|…``, DDE). Names and addresses come from the registry and the counter, so such a cell
is neutralised the way OWASP's "CSV Injection" page recommends: a single quote before it,
which spreadsheets read as "this cell is text" and do not show; the cell is quoted by the
csv module as RFC 4180 says when it holds a comma, a quote or a line break.

Decided (docs/decisions.md): only these ASCII characters (and NUL, which ASVS 1.2.10 adds)
trigger; the look-alikes a Japanese name or address may begin with — ``－`` (U+FF0D),
``−`` (U+2212), ``‐`` (U+2010), ``ー`` (U+30FC), ``＝`` (U+FF1D), ``＋`` (U+FF0B), ``＠``
(U+FF20) — are not formulas to any spreadsheet and are written unchanged, so no legitimate
address changes. A cell is also neutralised when spaces precede a trigger (a spreadsheet
that trims spaces on import would otherwise see the formula). The vendor's software that
reads the manifest as plain text sees the quote, and gets the original back exactly by
removing one leading ``'`` from every cell that begins with one: a cell that itself begins
with ``'`` is given a second, so the rule loses nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")


def neutralise(cell: object) -> str:
    """The cell as text, with a leading ``'`` when a spreadsheet would take it for a formula."""
    text = "" if cell is None else str(cell)
    if text.lstrip(" ").startswith(FORMULA_TRIGGERS) or text.startswith("'"):
        return "'" + text
    return text


class _Writer(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


class SpreadsheetSafeWriter:
    """``csv.writer`` whose every cell goes through :func:`neutralise`."""

    def __init__(self, stream: Any, **fmtparams: Any) -> None:
        self._writer: _Writer = csv.writer(stream, **fmtparams)

    def writerow(self, row: Iterable[object]) -> Any:
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)
