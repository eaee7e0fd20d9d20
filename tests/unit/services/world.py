"""The services wired as bootstrap.py wires them, on the in-memory store (tests/support/
fakes.py) instead of a database: a real CA (keys made once per test module), real virtual
cards in a vault under tmp_path, a clock moved by hand."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from madoguchi.card.virtual import CardVault
from madoguchi.pki.authority import Authority
from madoguchi.pki.keystore import FileKeyStore
from madoguchi.pki.profiles import CaNames
from madoguchi.rules.cases import CaseKind
from madoguchi.rules.dates import jst_date
from madoguchi.rules.items import Item
from madoguchi.rules.offices import Office
from madoguchi.rules.validity import CertKind
from madoguchi.services.audit import Actor, verify_chain
from madoguchi.services.ca import CaService
from madoguchi.services.ca_local import InProcessCa
from madoguchi.services.ca_setup import CaPolicy, initialise_authorities, load_authorities
from madoguchi.services.card_renewal import CardRenewalService
from madoguchi.services.cardside import CardSide
from madoguchi.services.counter import CounterService, Issued
from madoguchi.services.domain import AuditEntry, Resident, ResidentStatus
from madoguchi.services.notice_dispatch import NoticeContent
from madoguchi.services.notices import NoticeService
from madoguchi.services.ocsp_service import OcspResponder
from madoguchi.services.registry import RegistryService, new_resident_id
from madoguchi.services.siteconfig import SiteConfigService
from tests.support.clock import FakeClock
from tests.support.fakes import FakeState, FakeStore, FakeUowFactory

MAIN = Actor("clerk01", "main", "T1")
BRANCH = Actor("clerk09", "kawanishi", "K1")
JUKI, KENMEN, SIGN_PW, AUTH_PIN = "1111", "2222", "ABC123", "3333"
ADDRESS = "北海道帯広市西5条南7丁目1番地"

POLICY = CaPolicy(
    names=CaNames(
        organization="madoguchi TEST CA - not J-LIS",
        prefecture="北海道",
        city="帯広市",
        sign_policy="2.25.94305137284622301648927355740818473921.1",
        auth_policy="2.25.94305137284622301648927355740818473921.2",
    ),
    base_url="http://madoguchi.test",
    partition_size=1000,
    ocsp_validity=timedelta(hours=24),
    crl_validity=timedelta(hours=48),
    responder_days=30,
    responder_renew_before=timedelta(days=7),
)


def make_authorities(keys_dir: Path, born: datetime) -> dict[CertKind, Authority]:
    """Both CAs, created as ``madoguchi ca init`` does (through the fake store) and loaded."""
    uow = FakeUowFactory()
    keys = FileKeyStore(keys_dir, b"test passphrase")
    initialise_authorities(uow, keys, POLICY, born)
    return load_authorities(uow, keys, POLICY, born)


@dataclass
class RecordingPrinter:
    """The notice printer: one line per notice, and the notices it was given, per batch."""

    batches: list[list[NoticeContent]] = field(default_factory=list)

    def __call__(self, contents: Iterable[NoticeContent], out: BinaryIO) -> int:
        batch = list(contents)
        self.batches.append(batch)
        for c in batch:
            out.write(f"{c.number} {c.name} {c.address}\n".encode())
        return len(batch)


@dataclass
class World:
    clock: FakeClock
    uow: FakeUowFactory
    ca: CaService
    registry: RegistryService
    cards: CardSide
    site: SiteConfigService
    counter: CounterService
    notices: NoticeService
    card_renewal: CardRenewalService
    printer: RecordingPrinter
    out_dir: Path  # the notices' batch files
    vault_dir: Path  # the virtual cards


@dataclass(frozen=True)
class Snapshot:
    """A world's committed store and its card vault, to start other worlds from (a module
    sets its people up once; each test goes on from a copy)."""

    state: FakeState
    cards: Path


def snapshot(w: World) -> Snapshot:
    return Snapshot(w.uow.store.committed, w.vault_dir)


def build_world(
    authorities: dict[CertKind, Authority],
    tmp_path: Path,
    now: datetime,
    start: Snapshot | None = None,
) -> World:
    """As bootstrap.Container wires the services, with the fake store and a fake clock;
    from a copy of ``start`` when given."""
    if start is not None:
        shutil.copytree(start.cards, tmp_path / "cards")
    clock = FakeClock(now)
    uow = FakeUowFactory(FakeStore(start.state.copy() if start else None))
    ocsp = OcspResponder(uow, authorities, POLICY, clock)
    ca = CaService(uow, authorities, POLICY, clock, ocsp)
    port = InProcessCa(ca, "012076")
    registry = RegistryService(uow, clock, port)
    vault = CardVault(tmp_path / "cards", bytes(range(32)))
    cards = CardSide(clock, port, vault, bytes(range(32, 64)), uow)
    site = SiteConfigService(uow, clock)
    counter = CounterService(uow, clock, ca=port, registry=registry, cards=cards, site=site)
    card_renewal = CardRenewalService(uow, clock, bytes(range(64, 96)))
    printer = RecordingPrinter()

    def office() -> Office:
        return next(o for o in site.offices() if o.handles_certificates)

    def link(card_id: str, expires: date) -> str:
        return card_renewal.link(POLICY.base_url, card_id, expires)

    notices = NoticeService(uow, clock, printer, tmp_path / "notices", link, office)
    return World(
        clock,
        uow,
        ca,
        registry,
        cards,
        site,
        counter,
        notices,
        card_renewal,
        printer,
        tmp_path / "notices",
        tmp_path / "cards",
    )


def register(
    w: World,
    *,
    name: str = "帯広 太郎",
    birth: date = date(1980, 7, 1),
    created: date | None = None,
) -> Resident:
    """A resident with a new card (its 住基 and 券面 PINs set), as the registry sends them."""
    r = Resident(
        new_resident_id(),
        name,
        "オビヒロ タロウ",
        birth,
        "1",
        ADDRESS,
        ResidentStatus.RESIDENT,
        False,
        None,
        w.clock(),
    )
    with w.uow() as uow:
        r = w.registry.register(uow, r, MAIN)
        w.cards.new_card(uow, r, created or jst_date(w.clock()), juki_pin=JUKI, kenmen_pin=KENMEN)
        uow.commit()
    return r


def p1(w: World, r: Resident, actor: Actor = MAIN) -> Issued:
    """P1: open, the holder's card and 住基 PIN, issue."""
    case = w.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=actor)
    w.counter.record_visit(
        case.id, visit=1, items=[Item.CARD, Item.HOLDER_PIN], actor=actor, juki_pin=JUKI
    )
    return w.counter.issue(case.id, sign_password=SIGN_PW, auth_pin=AUTH_PIN, actor=actor)


def audit_log(w: World) -> list[AuditEntry]:
    """The committed audit log, after checking its hash chain."""
    with w.uow.read_only() as uow:
        entries = list(uow.counter.audit_entries())
    report = verify_chain(entries)
    assert report.ok, report
    return entries
