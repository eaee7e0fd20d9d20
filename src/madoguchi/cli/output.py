"""Printing results: one JSON object with --json, a readable Japanese table otherwise."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from rich.console import Console
from rich.table import Table


def _default(value: object) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, default=_default)


def emit(
    data: dict[str, Any],
    *,
    json_mode: bool,
    title: str,
    rows: Iterable[tuple[str, str]],
    notes: Iterable[str] = (),
) -> None:
    """Print ``data`` as JSON, or ``rows`` (label, value) under ``title`` for people."""
    if json_mode:
        print(to_json(data))
        return
    console = Console(highlight=False)
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in rows:
        table.add_row(label, value)
    console.print(title, style="bold", markup=False)
    console.print(table)
    for note in notes:
        console.print(note)
