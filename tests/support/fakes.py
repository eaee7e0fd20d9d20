"""An in-memory store behind the service layer's ports (services/ports/): the cosmicpython
``FakeUnitOfWork``, so the services are tested without a database.

It follows the SQL store (store/*_repository.py, store/uow.py) where a service could tell
the difference: optimistic version checks raise ConcurrentUpdate; counters are shared by
the CA, the counter and the notices; the audit log is a hash chain computed with
:func:`madoguchi.services.domain.entry_hash`; datetimes are refused naive and kept in UTC;
JSON columns come back as fresh dicts; unique keys are refused (:class:`DuplicateKey`).

A writing unit of work takes a copy of the committed state when it opens and publishes it on
``commit`` (leaving without commit rolls back); one writer at a time (the SQLite writer
gate). A read-only one reads the committed state as it was when it opened, never waits and
refuses every write (:class:`ReadOnlyViolation`). Both enter the guard of
:func:`madoguchi.services.ports.open_unit_of_work`, like store/uow.py: a unit of work opened
inside another raises NestedUnitOfWork naming both call sites (this file is skipped when
the call sites are named, so they are the services' and the tests' lines).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from madoguchi.pki.records import CertRecord, serial_hex
from madoguchi.rules.dates import JST
from madoguchi.rules.notices import BatchState, NoticeState
from madoguchi.rules.revocation import CertStatus, RevocationReason
from madoguchi.rules.validity import CertKind
from madoguchi.services.domain import (
    GENESIS,
    ApiToken,
    AuditEntry,
    Batch,
    CachedOcsp,
    Campaign,
    Candidate,
    Card,
    CardRenewalApplication,
    CardStatus,
    Case,
    ConcurrentUpdate,
    InquiryLetter,
    Notice,
    NoticeItem,
    NoticeTrace,
    Resident,
    ResidentStatus,
    StaffAccount,
    StaffSession,
    StoredAuthority,
    StoredCheckpoint,
    StoredResponder,
    entry_hash,
)
from madoguchi.services.ports import (
    CardResidence,
    CheckpointReader,
    CounterReader,
    MunicipalityCounter,
    NoticeReader,
    PkiReader,
    StaffReader,
    close_unit_of_work,
    open_unit_of_work,
)
from madoguchi.services.ports.ca import AnsweredOrder, NetworkCa, RaCredential

AUDIT_SEQ = "audit-seq"  # the counter the SQL store numbers audit entries with
WRITER_WAIT = 10.0  # seconds a writer waits for the gate before giving up (a test never hangs)


class DuplicateKey(Exception):
    """A row the SQL store's primary key or unique constraint would refuse."""


class ReadOnlyViolation(RuntimeError):
    """Something tried to write (or lock a row) in a read-only unit of work."""


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    return at.astimezone(UTC)


def _utc_or_none(at: datetime | None) -> datetime | None:
    return None if at is None else _utc(at)


def _json(value: Any) -> Any:
    """A JSON column's round trip: what was written comes back as a new object."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


# -- rows that are not domain objects --------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Cert:
    record: CertRecord
    crl_entry: bytes | None = None


@dataclass(frozen=True, slots=True)
class _Crl:
    kind: CertKind
    partition: int
    number: int
    this_update: datetime
    next_update: datetime
    entries: int
    sha256: str


@dataclass(frozen=True, slots=True)
class _Ocsp:
    der: bytes
    produced_at: datetime
    next_update: datetime
    stale: bool = False


@dataclass(frozen=True, slots=True)
class _Token:
    staff_id: str
    label: str
    created_at: datetime
    expires_at: datetime
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class _History:
    case_id: str
    at: datetime
    event: str
    from_state: str
    to_state: str
    clerk: str


@dataclass
class FakeState:
    """Every table, as containers of immutable values (so a copy of the containers is a
    snapshot). Dicts keep insertion order: the SQL store's row ids."""

    counters: dict[str, int] = field(default_factory=dict)
    authorities: dict[CertKind, tuple[str, StoredAuthority]] = field(default_factory=dict)
    responders: list[StoredResponder] = field(default_factory=list)
    certificates: dict[tuple[str, str], _Cert] = field(default_factory=dict)
    crls: list[_Crl] = field(default_factory=list)
    ocsp: dict[tuple[str, str], _Ocsp] = field(default_factory=dict)
    residents: dict[str, Resident] = field(default_factory=dict)
    cards: dict[str, Card] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)
    history: list[_History] = field(default_factory=list)
    letters: dict[str, InquiryLetter] = field(default_factory=dict)
    audit: list[tuple[AuditEntry, str]] = field(default_factory=list)  # entry, detail JSON
    accounts: dict[str, StaffAccount] = field(default_factory=dict)
    sessions: dict[str, StaffSession] = field(default_factory=dict)
    tokens: dict[str, _Token] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)  # key → JSON text
    applications: dict[str, CardRenewalApplication] = field(default_factory=dict)
    checkpoints: dict[int, StoredCheckpoint] = field(default_factory=dict)
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    notices: dict[str, Notice] = field(default_factory=dict)
    notice_events: list[tuple[str, NoticeTrace]] = field(default_factory=list)
    batches: dict[str, Batch] = field(default_factory=dict)
    orders: dict[str, AnsweredOrder] = field(default_factory=dict)
    ra_credentials: dict[int, RaCredential] = field(default_factory=dict)
    network_cas: dict[str, NetworkCa] = field(default_factory=dict)
    network_crls: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    residences: dict[str, CardResidence] = field(default_factory=dict)
    municipalities: dict[str, MunicipalityCounter] = field(default_factory=dict)

    def copy(self) -> FakeState:
        return FakeState(
            **{
                name: type(value)(value)  # a new dict or list of the same immutable values
                for name, value in vars(self).items()
            }
        )


class _Tx:
    """What a repository works on: the unit of work's state while it is open."""

    def __init__(self, state: FakeState, *, writable: bool) -> None:
        self.state = state
        self.writable = writable
        self.open = True

    def read(self) -> FakeState:
        if not self.open:
            raise RuntimeError("the unit of work is closed: read inside `with uow:`")
        return self.state

    def write(self) -> FakeState:
        state = self.read()
        if not self.writable:
            raise ReadOnlyViolation("a read-only unit of work does not write")
        return state

    def lock(self, for_update: bool) -> FakeState:
        """A read; ``for_update`` (a row lock) needs a writing unit of work."""
        return self.write() if for_update else self.read()


def _unique(table: Mapping[Any, object], key: object, what: str) -> None:
    if key in table:
        raise DuplicateKey(f"{what} {key!r} exists")


def _next_counter(s: FakeState, name: str, step: int = 1) -> int:
    s.counters[name] = s.counters.get(name, 0) + step
    return s.counters[name]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=JST)


# -- the CA's records ----------------------------------------------------------------------------
class FakePki:
    def __init__(self, tx: _Tx) -> None:
        self._tx = tx

    def authority(self, kind: CertKind) -> StoredAuthority | None:
        found = self._tx.read().authorities.get(kind)
        return found[1] if found else None

    def add_authority(
        self, kind: CertKind, subject: str, cert_der: bytes, key_ref: str, at: datetime
    ) -> None:
        s = self._tx.write()
        _unique(s.authorities, kind, "authority")
        _utc(at)
        s.authorities[kind] = (subject, StoredAuthority(kind, cert_der, key_ref))

    def responder(self, kind: CertKind) -> StoredResponder | None:
        mine = [(r.not_after, i, r) for i, r in enumerate(self._tx.read().responders)]
        return max((m for m in mine if m[2].kind is kind), default=(None, 0, None))[2]

    def add_responder(
        self,
        kind: CertKind,
        serial: int,
        cert_der: bytes,
        key_pem: bytes,
        not_before: datetime,
        not_after: datetime,
    ) -> None:
        s = self._tx.write()
        s.responders.append(
            StoredResponder(kind, cert_der, key_pem, _utc(not_before), _utc(not_after))
        )

    def counter(self, name: str) -> int:
        return self._tx.read().counters.get(name, 0)

    def next_value(self, name: str) -> int:
        return _next_counter(self._tx.write(), name)

    def next_values(self, counts: Mapping[str, int]) -> dict[str, range]:
        s = self._tx.write()
        out = {}
        for name, step in sorted(counts.items()):
            last = _next_counter(s, name, step)
            out[name] = range(last - step + 1, last + 1)
        return out

    def add_certificate(self, rec: CertRecord) -> None:
        self.add_certificates([rec])

    def add_certificates(self, recs: Sequence[CertRecord]) -> None:
        s = self._tx.write()
        for rec in recs:
            key = (rec.kind.value, rec.serial_hex)
            _unique(s.certificates, key, "certificate")
            stored = replace(
                rec,
                not_before=_utc(rec.not_before),
                not_after=_utc(rec.not_after),
                status_changed_at=None,
                reason=None,
            )
            s.certificates[key] = _Cert(stored)

    def certificate(
        self, kind: CertKind, serial: int, *, for_update: bool = False
    ) -> CertRecord | None:
        found = self._tx.lock(for_update).certificates.get((kind.value, serial_hex(serial)))
        return found.record if found else None

    def certificates_of_card(self, card_id: str) -> list[CertRecord]:
        return [
            c.record for c in self._tx.read().certificates.values() if c.record.card_id == card_id
        ]

    def answered_order(self, key: str) -> AnsweredOrder | None:
        return self._tx.read().orders.get(key)

    def add_answered_order(self, order: AnsweredOrder, at: datetime) -> None:
        s = self._tx.write()
        _unique(s.orders, order.key, "order")
        _utc(at)
        s.orders[order.key] = order

    def ra_credentials(self) -> list[RaCredential]:
        return list(self._tx.read().ra_credentials.values())

    def add_ra_credential(self, credential: RaCredential) -> None:
        s = self._tx.write()
        _unique(s.ra_credentials, credential.serial, "RA credential")
        s.ra_credentials[credential.serial] = credential

    def revoke_ra_credential(self, serial: int, at: datetime) -> RaCredential | None:
        s = self._tx.write()
        found = s.ra_credentials.get(serial)
        if found is not None and found.revoked_at is None:
            found = s.ra_credentials[serial] = replace(found, revoked_at=_utc(at))
        return found

    def ra_credential(self, serial: int) -> RaCredential | None:
        return self._tx.read().ra_credentials.get(serial)

    def network_ca(self, name: str) -> NetworkCa | None:
        return self._tx.read().network_cas.get(name)

    def add_network_ca(self, ca: NetworkCa, at: datetime) -> None:
        s = self._tx.write()
        _utc(at)
        if ca.name in s.network_cas:  # as the store: another process created it first
            raise ConcurrentUpdate(f"network CA {ca.name}")
        s.network_cas[ca.name] = ca

    def network_crl(self, name: str) -> tuple[int, bytes] | None:
        return self._tx.read().network_crls.get(name)

    def put_network_crl(self, name: str, number: int, pem: bytes) -> None:
        s = self._tx.write()
        if name not in s.network_cas:
            raise LookupError(name)
        current = s.network_crls.get(name)
        if current is None or number > current[0]:
            s.network_crls[name] = (number, pem)

    # -- the cards' moves and the municipalities' counters (R-NAT-2, R-NAT-3) --------------
    def card_residence(self, card_id: str, *, for_update: bool = False) -> CardResidence | None:
        return self._tx.read().residences.get(card_id)

    def residences_awaiting_move_in(self) -> list[CardResidence]:
        waiting = [
            r
            for r in self._tx.read().residences.values()
            if r.moved_out_from is not None and r.moved_in_at is None and r.lapsed_at is None
        ]
        return sorted(waiting, key=lambda r: (r.planned_move_out or date.min, r.card_id))

    def put_card_residence(self, residence: CardResidence) -> None:
        self._tx.write().residences[residence.card_id] = residence

    def municipality_counters(self) -> list[MunicipalityCounter]:
        found = self._tx.read().municipalities
        return [found[code] for code in sorted(found)]

    def put_municipality_counter(self, counter: MunicipalityCounter) -> None:
        self._tx.write().municipalities[counter.municipality] = counter

    def set_status(
        self,
        kind: CertKind,
        serial: int,
        status: CertStatus,
        at: datetime,
        reason: RevocationReason | None,
        crl_entry: bytes | None,
        municipality: str | None = None,
    ) -> None:
        s = self._tx.write()
        key = (kind.value, serial_hex(serial))
        if key in s.certificates:  # an UPDATE of no row changes nothing
            rec = replace(
                s.certificates[key].record,
                status=status,
                status_changed_at=_utc(at),
                reason=RevocationReason(reason) if reason is not None else None,
                status_municipality=municipality,
            )
            s.certificates[key] = _Cert(rec, crl_entry)

    def crl_entries(
        self, kind: CertKind, at: datetime, partition: int | None = None
    ) -> Iterator[bytes]:
        entries = [
            c.crl_entry
            for c in self._tx.read().certificates.values()
            if c.record.kind is kind
            and c.record.status is not CertStatus.GOOD
            and c.record.not_after >= at
            and (partition is None or c.record.partition == partition)
            and c.crl_entry is not None
        ]
        return iter(entries)

    def partitions(self, kind: CertKind) -> list[int]:
        certs = self._tx.read().certificates.values()
        return sorted({c.record.partition for c in certs if c.record.kind is kind})

    def highest_partition(self, kind: CertKind) -> int | None:
        return max(self.partitions(kind), default=None)

    def count(self, kind: CertKind) -> int:
        return sum(1 for c in self._tx.read().certificates.values() if c.record.kind is kind)

    def add_crl(
        self,
        kind: CertKind,
        partition: int,
        number: int,
        this_update: datetime,
        next_update: datetime,
        entries: int,
        sha256: str,
    ) -> None:
        s = self._tx.write()
        if any((c.kind, c.partition, c.number) == (kind, partition, number) for c in s.crls):
            raise DuplicateKey(f"CRL {kind.value}/{partition}/{number} exists")
        s.crls.append(
            _Crl(kind, partition, number, _utc(this_update), _utc(next_update), entries, sha256)
        )

    def cached_ocsp(self, kind: CertKind, serial: int) -> CachedOcsp | None:
        found = self._tx.read().ocsp.get((kind.value, serial_hex(serial)))
        if found is None or found.stale:
            return None
        return CachedOcsp(found.der, found.produced_at, found.next_update)

    def put_ocsp(
        self, kind: CertKind, serial: int, der: bytes, produced_at: datetime, next_update: datetime
    ) -> None:
        s = self._tx.write()
        s.ocsp[(kind.value, serial_hex(serial))] = _Ocsp(der, _utc(produced_at), _utc(next_update))


# -- the counter's records -----------------------------------------------------------------------
def _case_out(c: Case) -> Case:
    return replace(
        c,
        items=_json(c.items),
        documents=_json(c.documents),
        issuing=_json(c.issuing) if c.issuing is not None else None,
    )


def _audit_out(row: tuple[AuditEntry, str]) -> AuditEntry:
    return replace(row[0], detail=json.loads(row[1]))


class FakeCounter:
    def __init__(self, tx: _Tx) -> None:
        self._tx = tx

    # -- residents and cards
    def add_resident(self, r: Resident) -> None:
        s = self._tx.write()
        _unique(s.residents, r.id, "resident")
        s.residents[r.id] = replace(r, changed_at=_utc(r.changed_at))

    def resident(self, resident_id: str, *, for_update: bool = False) -> Resident | None:
        return self._tx.lock(for_update).residents.get(resident_id)

    def find_residents(
        self, *, name: str | None = None, birth: date | None = None, limit: int = 50
    ) -> list[Resident]:
        found = [
            r
            for r in self._tx.read().residents.values()
            if (not name or name in r.name or name in r.name_kana)
            and (not birth or r.birth == birth)
        ]
        return sorted(found, key=lambda r: r.name_kana)[:limit]

    def moved_out_by(self, day: date) -> list[Resident]:
        return [
            r
            for r in self._tx.read().residents.values()
            if r.status is ResidentStatus.MOVED_OUT
            and r.planned_move_out is not None
            and r.planned_move_out <= day
        ]

    def update_resident(self, r: Resident) -> Resident:
        s = self._tx.write()
        stored = s.residents.get(r.id)
        if stored is None or stored.version != r.version:
            raise ConcurrentUpdate("resident")
        s.residents[r.id] = replace(r, changed_at=_utc(r.changed_at), version=r.version + 1)
        return replace(r, version=r.version + 1)

    def add_card(self, c: Card) -> None:
        s = self._tx.write()
        _unique(s.cards, c.id, "card")
        s.cards[c.id] = c

    def card(self, card_id: str, *, for_update: bool = False) -> Card | None:
        return self._tx.lock(for_update).cards.get(card_id)

    def cards_of(self, resident_id: str) -> list[Card]:
        mine = [c for c in self._tx.read().cards.values() if c.resident_id == resident_id]
        return sorted(mine, key=lambda c: c.created)

    def update_card(self, c: Card) -> Card:
        s = self._tx.write()
        stored = s.cards.get(c.id)
        if stored is None or stored.version != c.version:
            raise ConcurrentUpdate("card")
        # the SQL store writes the status and the expiry only
        s.cards[c.id] = replace(stored, status=c.status, expires=c.expires, version=c.version + 1)
        return replace(c, version=c.version + 1)

    # -- cases
    def add_case(self, c: Case) -> None:
        s = self._tx.write()
        _unique(s.cases, c.id, "case")
        if c.idempotency_key is not None and self._by_key(s, c.idempotency_key):
            raise DuplicateKey(f"idempotency key {c.idempotency_key!r} exists")
        # what the SQL store writes of a new case: no outcome yet, version 1
        s.cases[c.id] = _case_out(
            replace(
                c,
                opened_at=_utc(c.opened_at),
                closed_at=None,
                refusal=None,
                issuing=None,
                fee_due=None,
                receipt_no=None,
                version=1,
            )
        )

    def case(self, case_id: str, *, for_update: bool = False) -> Case | None:
        found = self._tx.lock(for_update).cases.get(case_id)
        return _case_out(found) if found else None

    @staticmethod
    def _by_key(s: FakeState, key: str) -> Case | None:
        return next((c for c in s.cases.values() if c.idempotency_key == key), None)

    def case_by_key(self, key: str) -> Case | None:
        found = self._by_key(self._tx.read(), key)
        return _case_out(found) if found else None

    def update_case(self, c: Case) -> Case:
        s = self._tx.write()
        stored = s.cases.get(c.id)
        if stored is None or stored.version != c.version:
            raise ConcurrentUpdate("case")
        if c.receipt_no is not None and any(
            o.receipt_no == c.receipt_no and o.id != c.id for o in s.cases.values()
        ):
            raise DuplicateKey(f"receipt {c.receipt_no!r} exists")
        s.cases[c.id] = _case_out(
            replace(
                stored,
                state=c.state,
                card_id=c.card_id,
                closed_at=_utc_or_none(c.closed_at),
                refusal=c.refusal,
                items=c.items,
                documents=c.documents,
                issuing=c.issuing,
                fee_due=c.fee_due,
                receipt_no=c.receipt_no,
                version=c.version + 1,
            )
        )
        return replace(c, version=c.version + 1)

    def add_history(
        self, case_id: str, at: datetime, event: str, from_state: str, to_state: str, clerk: str
    ) -> None:
        self._tx.write().history.append(
            _History(case_id, _utc(at), event, from_state, to_state, clerk)
        )

    def history(self, case_id: str) -> list[tuple[str, str, str]]:
        return [
            (h.event, h.from_state, h.to_state)
            for h in self._tx.read().history
            if h.case_id == case_id
        ]

    def cases_of_resident(self, resident_id: str) -> list[Case]:
        mine = [c for c in self._tx.read().cases.values() if c.resident_id == resident_id]
        return [_case_out(c) for c in sorted(mine, key=lambda c: c.opened_at)]

    def cases_between(self, start: datetime, end: datetime) -> list[Case]:
        found = [c for c in self._tx.read().cases.values() if start <= c.opened_at < end]
        return [_case_out(c) for c in sorted(found, key=lambda c: c.opened_at)]

    # -- inquiry letters
    def add_letter(self, letter: InquiryLetter) -> None:
        s = self._tx.write()
        _unique(s.letters, letter.number, "inquiry letter")
        s.letters[letter.number] = replace(
            letter, mailed_at=_utc_or_none(letter.mailed_at), used_at=_utc_or_none(letter.used_at)
        )

    def letter(self, number: str, *, for_update: bool = False) -> InquiryLetter | None:
        return self._tx.lock(for_update).letters.get(number)

    def letters_of_case(self, case_id: str) -> list[InquiryLetter]:
        return [x for x in self._tx.read().letters.values() if x.case_id == case_id]

    def mark_letter_used(self, number: str, at: datetime) -> None:
        s = self._tx.write()
        if number in s.letters:
            s.letters[number] = replace(s.letters[number], used_at=_utc(at))

    # -- the audit log
    def append_audit(
        self,
        *,
        at: datetime,
        clerk: str,
        office: str,
        terminal: str,
        action: str,
        case_id: str | None = None,
        resident_id: str | None = None,
        certificate: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> AuditEntry:
        draft = {
            "at": at,
            "clerk": clerk,
            "office": office,
            "terminal": terminal,
            "action": action,
            "case_id": case_id,
            "resident_id": resident_id,
            "certificate": certificate,
            "detail": detail,
        }
        return self.append_audits([draft])[0]

    def append_audits(self, drafts: Sequence[Mapping[str, Any]]) -> list[AuditEntry]:
        """The chain as store/counter_repository.py makes it: numbers from the ``audit-seq``
        counter, each entry's hash over its fields and the previous entry's hash."""
        if not drafts:
            return []
        s = self._tx.write()
        last = _next_counter(s, AUDIT_SEQ, len(drafts))
        first = last - len(drafts) + 1
        prev = GENESIS
        if first > 1:
            before = next((e.hash for e, _ in reversed(s.audit) if e.seq == first - 1), None)
            if before is None:
                raise RuntimeError(f"audit entry {first - 1} is missing")
            prev = before
        entries = []
        for seq, d in enumerate(drafts, start=first):
            body = AuditEntry(
                seq,
                d["at"],
                d["clerk"],
                d["office"],
                d["terminal"],
                d["action"],
                d.get("case_id"),
                d.get("resident_id"),
                d.get("certificate"),
                d.get("detail") or {},
                prev,
            )
            entry = replace(body, hash=entry_hash(body))
            prev = entry.hash
            entries.append(entry)
            text = json.dumps(dict(entry.detail), ensure_ascii=False, sort_keys=True, default=str)
            s.audit.append((replace(entry, at=_utc(entry.at), detail={}), text))
        return entries

    def audit_between(
        self, start: datetime, end: datetime, *, limit: int = 1000
    ) -> list[AuditEntry]:
        found = [row for row in self._tx.read().audit if start <= row[0].at < end]
        return [_audit_out(row) for row in reversed(found)][:limit]

    def audit_of_case(self, case_id: str) -> list[AuditEntry]:
        return [_audit_out(row) for row in self._tx.read().audit if row[0].case_id == case_id]

    def audit_entries(self) -> Iterator[AuditEntry]:
        return iter([_audit_out(row) for row in self._tx.read().audit])


# -- staff, settings, applications, checkpoints ------------------------------------------------
class FakeStaff:
    def __init__(self, tx: _Tx) -> None:
        self._tx = tx

    def add_account(self, a: StaffAccount) -> None:
        s = self._tx.write()
        _unique(s.accounts, a.id, "staff account")
        s.accounts[a.id] = replace(
            a, created_at=_utc(a.created_at), locked_until=_utc_or_none(a.locked_until)
        )

    def account(self, staff_id: str, *, for_update: bool = False) -> StaffAccount | None:
        return self._tx.lock(for_update).accounts.get(staff_id)

    def accounts(self) -> list[StaffAccount]:
        return sorted(self._tx.read().accounts.values(), key=lambda a: a.id)

    def update_account(self, a: StaffAccount) -> StaffAccount:
        s = self._tx.write()
        stored = s.accounts.get(a.id)
        if stored is None or stored.version != a.version:
            raise ConcurrentUpdate("staff account")
        s.accounts[a.id] = replace(
            a,
            created_at=stored.created_at,
            locked_until=_utc_or_none(a.locked_until),
            version=a.version + 1,
        )
        return replace(a, version=a.version + 1)

    def add_session(self, x: StaffSession) -> None:
        s = self._tx.write()
        _unique(s.sessions, x.token_hash, "session")
        s.sessions[x.token_hash] = replace(
            x, created_at=_utc(x.created_at), last_seen=_utc(x.last_seen)
        )

    def staff_session(self, token_hash: str) -> StaffSession | None:
        return self._tx.read().sessions.get(token_hash)

    def touch_session(self, token_hash: str, at: datetime) -> None:
        s = self._tx.write()
        if token_hash in s.sessions:
            s.sessions[token_hash] = replace(s.sessions[token_hash], last_seen=_utc(at))

    def delete_session(self, token_hash: str) -> None:
        self._tx.write().sessions.pop(token_hash, None)

    def delete_sessions_of(self, staff_id: str) -> None:
        s = self._tx.write()
        for key in [k for k, x in s.sessions.items() if x.staff_id == staff_id]:
            del s.sessions[key]

    def add_token(
        self, token_hash: str, staff_id: str, label: str, at: datetime, expires_at: datetime
    ) -> None:
        s = self._tx.write()
        _unique(s.tokens, token_hash, "API token")
        s.tokens[token_hash] = _Token(staff_id, label, _utc(at), _utc(expires_at))

    def token_owner(self, token_hash: str, at: datetime) -> str | None:
        found = self._tx.read().tokens.get(token_hash)
        if found is None or found.revoked or found.expires_at <= _utc(at):
            return None
        return found.staff_id

    def revoke_token(self, staff_id: str, ref: str) -> bool:
        s = self._tx.write()
        hits = [h for h, t in s.tokens.items() if t.staff_id == staff_id and h.startswith(ref)]
        for h in hits:
            s.tokens[h] = replace(s.tokens[h], revoked=True)
        return bool(hits)

    def tokens_of(self, staff_id: str) -> list[ApiToken]:
        mine = [(h, t) for h, t in self._tx.read().tokens.items() if t.staff_id == staff_id]
        mine.sort(key=lambda ht: ht[1].created_at)
        return [ApiToken(h[:12], t.label, t.created_at, t.revoked, t.expires_at) for h, t in mine]

    def revoke_tokens_of(self, staff_id: str) -> None:
        s = self._tx.write()
        for h, t in list(s.tokens.items()):
            if t.staff_id == staff_id:
                s.tokens[h] = replace(t, revoked=True)

    def setting(self, key: str) -> Any | None:
        text = self._tx.read().settings.get(key)
        return json.loads(text) if text is not None else None

    def put_setting(self, key: str, value: Any, at: datetime, by: str) -> None:
        _utc(at)
        self._tx.write().settings[key] = json.dumps(value, ensure_ascii=False, sort_keys=True)

    def add_application(self, a: CardRenewalApplication) -> None:
        s = self._tx.write()
        _unique(s.applications, a.id, "application")
        s.applications[a.id] = replace(a, submitted_at=_utc(a.submitted_at))

    def applications_of_card(self, card_id: str) -> list[CardRenewalApplication]:
        mine = [a for a in self._tx.read().applications.values() if a.card_id == card_id]
        return sorted(mine, key=lambda a: a.submitted_at)

    def applications(self, limit: int = 200) -> list[CardRenewalApplication]:
        every = self._tx.read().applications.values()
        return sorted(every, key=lambda a: a.submitted_at, reverse=True)[:limit]


class FakeCheckpoints:
    def __init__(self, tx: _Tx) -> None:
        self._tx = tx

    def last_entry(self) -> tuple[int, str] | None:
        audit = self._tx.read().audit
        if not audit:
            return None
        last = max((e for e, _ in audit), key=lambda e: e.seq)
        return last.seq, last.hash

    def entry_hash(self, seq: int) -> str | None:
        return next((e.hash for e, _ in self._tx.read().audit if e.seq == seq), None)

    def exists(self, seq: int) -> bool:
        return seq in self._tx.read().checkpoints

    def add(self, seq: int, hash_: str, at: datetime, signature: bytes) -> None:
        s = self._tx.write()
        _unique(s.checkpoints, seq, "checkpoint")
        s.checkpoints[seq] = StoredCheckpoint(seq, hash_, _utc(at), signature)

    def all(self) -> list[StoredCheckpoint]:
        return [c for _, c in sorted(self._tx.read().checkpoints.items())]


# -- expiry notices --------------------------------------------------------------------------
def _expiry_order(n: Notice) -> tuple[date, str]:
    return n.first_expiry, n.number


class FakeNotices:
    def __init__(self, tx: _Tx) -> None:
        self._tx = tx

    def campaign(self, campaign_id: str, *, for_update: bool = False) -> Campaign | None:
        return self._tx.lock(for_update).campaigns.get(campaign_id)

    def campaigns(self) -> list[Campaign]:
        every = self._tx.read().campaigns.values()
        return sorted(every, key=lambda c: c.created_at, reverse=True)

    def add_campaign(self, c: Campaign) -> None:
        s = self._tx.write()
        _unique(s.campaigns, c.id, "campaign")
        s.campaigns[c.id] = replace(c, created_at=_utc(c.created_at))

    def update_campaign(self, c: Campaign) -> None:
        """State and window, as the SQL store writes them (no version check)."""
        s = self._tx.write()
        stored = s.campaigns.get(c.id)
        if stored is not None:
            s.campaigns[c.id] = replace(
                stored,
                state=c.state,
                window_from=c.window_from,
                window_to=c.window_to,
                version=c.version + 1,
            )

    def candidates(self, first: date, last: date) -> list[Candidate]:
        """As the SQL store selects them: good certificates on active cards of residents
        that expire in ``[first, last]`` (JST days), then the cards that expire then."""
        s = self._tx.read()
        start, end = _day_start(first), _day_start(last + timedelta(days=1))

        def holder(card_id: str | None) -> Card | None:
            card = s.cards.get(card_id) if card_id else None
            if card is None or card.status is not CardStatus.ACTIVE:
                return None
            resident = s.residents.get(card.resident_id)
            ok = resident is not None and resident.status is ResidentStatus.RESIDENT
            return card if ok else None

        found: dict[str, Candidate] = {}
        for cert in s.certificates.values():
            rec, card = cert.record, holder(cert.record.card_id)
            if card is None or rec.status is not CertStatus.GOOD:
                continue
            if not start <= rec.not_after < end:
                continue
            cand = found.get(
                card.id,
                Candidate(card.resident_id, card.id, card.expires, (), card.limited_by_stay),
            )
            item = NoticeItem(rec.kind.value, rec.serial_hex, rec.not_after.astimezone(JST).date())
            found[card.id] = replace(cand, items=(*cand.items, item))
        for card_id in s.cards:
            card = holder(card_id)
            if card is None or not first <= card.expires <= last:
                continue
            cand = found.get(
                card.id,
                Candidate(card.resident_id, card.id, card.expires, (), card.limited_by_stay),
            )
            item = NoticeItem("card", None, card.expires)
            found[card.id] = replace(cand, items=(*cand.items, item))
        return list(found.values())

    def noticed_cards(self, campaign_id: str, card_ids: Sequence[str]) -> set[str]:
        wanted = set(card_ids)
        return {
            n.card_id
            for n in self._tx.read().notices.values()
            if n.campaign_id == campaign_id and n.card_id in wanted
        }

    def reserve_numbers(self, name: str, n: int) -> int:
        return _next_counter(self._tx.write(), name, n) - n + 1

    def add_notices(self, notices: Iterable[Notice], actor: str) -> int:
        s = self._tx.write()
        added = 0
        for n in notices:
            _unique(s.notices, n.number, "notice")
            if any(
                (o.campaign_id, o.card_id) == (n.campaign_id, n.card_id) for o in s.notices.values()
            ):
                raise DuplicateKey(f"card {n.card_id} has a notice in {n.campaign_id}")
            stored = replace(
                n,
                reason=None,
                batch_id=None,
                planned_at=_utc(n.planned_at),
                changed_at=_utc(n.changed_at),
            )
            s.notices[n.number] = stored
            trace = NoticeTrace(stored.planned_at, "plan", None, n.state.value, None, actor)
            s.notice_events.append((n.number, trace))
            added += 1
        return added

    def notice(self, number: str, *, for_update: bool = False) -> Notice | None:
        return self._tx.lock(for_update).notices.get(number)

    def next_queued(self, campaign_id: str, limit: int, offset: int = 0) -> list[Notice]:
        queued = [
            n
            for n in self._tx.write().notices.values()  # locks them for this batch (PostgreSQL)
            if n.campaign_id == campaign_id
            and n.state is NoticeState.PLANNED
            and n.batch_id is None
        ]
        return sorted(queued, key=_expiry_order)[offset : offset + limit]

    def in_batch(self, batch_id: str) -> list[Notice]:
        mine = [n for n in self._tx.read().notices.values() if n.batch_id == batch_id]
        return sorted(mine, key=_expiry_order)

    def with_state(
        self, campaign_id: str | None, state: NoticeState, limit: int = 1000
    ) -> list[Notice]:
        found = [
            n
            for n in self._tx.read().notices.values()
            if n.state is state and (not campaign_id or n.campaign_id == campaign_id)
        ]
        return sorted(found, key=_expiry_order)[:limit]

    def notices_of_resident(self, resident_id: str) -> list[Notice]:
        return [n for n in self._tx.read().notices.values() if n.resident_id == resident_id]

    def set_state(
        self,
        numbers: Sequence[str],
        *,
        from_state: NoticeState,
        to_state: NoticeState,
        event: str,
        at: datetime,
        actor: str,
        reason: str | None = None,
        batch_id: str | None = None,
        clear_batch: bool = False,
    ) -> int:
        s = self._tx.write()
        at = _utc(at)
        moved = 0
        for number in dict.fromkeys(numbers):  # each once, in the order given
            n = s.notices.get(number)
            if n is None or n.state is not from_state:
                continue
            n = replace(n, state=to_state, changed_at=at)
            if reason is not None:
                n = replace(n, reason=reason)
            if batch_id is not None:
                n = replace(n, batch_id=batch_id)
            if clear_batch:
                n = replace(n, batch_id=None)
            s.notices[number] = n
            trace = NoticeTrace(
                at, event, from_state.value, to_state.value, reason or batch_id, actor
            )
            s.notice_events.append((number, trace))
            moved += 1
        return moved

    def assign_batch(self, numbers: Sequence[str], batch_id: str) -> None:
        s = self._tx.write()
        for number in numbers:
            if number in s.notices:
                s.notices[number] = replace(s.notices[number], batch_id=batch_id)

    def counts(self, campaign_id: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for n in self._tx.read().notices.values():
            if n.campaign_id == campaign_id:
                out[n.state.value] = out.get(n.state.value, 0) + 1
        return out

    def events(self, number: str) -> list[NoticeTrace]:
        return [t for n, t in self._tx.read().notice_events if n == number]

    def add_batch(self, b: Batch) -> None:
        s = self._tx.write()
        _unique(s.batches, b.id, "batch")
        s.batches[b.id] = replace(
            b, created_at=_utc(b.created_at), done_at=None, pdf_sha256=None, pages=None
        )

    def batch(self, batch_id: str) -> Batch | None:
        return self._tx.read().batches.get(batch_id)

    def batches(self, campaign_id: str) -> list[Batch]:
        mine = [b for b in self._tx.read().batches.values() if b.campaign_id == campaign_id]
        return sorted(mine, key=lambda b: b.seq)

    def open_batches(self, campaign_id: str) -> list[Batch]:
        return [b for b in self.batches(campaign_id) if b.state is BatchState.OPEN]

    def hand_over_batch(self, batch_id: str, *, at: datetime, by: str) -> None:
        s = self._tx.write()
        if batch_id in s.batches:
            s.batches[batch_id] = replace(
                s.batches[batch_id],
                state=BatchState.HANDED_OVER,
                handed_over_at=_utc(at),
                handed_over_by=by,
            )

    def finish_batch(
        self, batch_id: str, *, notices: int, at: datetime, sha256: str, pages: int
    ) -> None:
        s = self._tx.write()
        if batch_id in s.batches:
            s.batches[batch_id] = replace(
                s.batches[batch_id],
                state=BatchState.DONE,
                notices=notices,
                done_at=_utc(at),
                pdf_sha256=sha256,
                pages=pages,
            )


# -- units of work -------------------------------------------------------------------------------
class FakeStore:
    """The committed state, and the gate that lets one writer in at a time."""

    def __init__(self, state: FakeState | None = None) -> None:
        self.committed = state or FakeState()
        self.gate = threading.Lock()
        self.commits = 0


class _FakeUnit:
    def __init__(self, store: FakeStore, *, writable: bool) -> None:
        self._store = store
        self._writable = writable
        self._token: object | None = None
        self._tx = _Tx(store.committed, writable=writable)
        self._tx.open = False

    def _enter(self) -> None:
        if self._token is not None:
            raise RuntimeError("this unit of work is open already")
        self._token = open_unit_of_work()  # NestedUnitOfWork when another one is open here
        try:
            if self._writable and not self._store.gate.acquire(timeout=WRITER_WAIT):
                raise TimeoutError("another writing unit of work holds the store")
        except BaseException:
            close_unit_of_work(self._token)
            self._token = None
            raise
        # a writer works on a copy; a reader on the committed state, which no one changes
        # after it was published (every commit publishes a new one)
        committed = self._store.committed
        self._tx = _Tx(committed.copy() if self._writable else committed, writable=self._writable)

    def _exit(self) -> None:
        self._tx.open = False  # uncommitted changes are dropped with the working copy
        try:
            if self._writable:
                self._store.gate.release()
        finally:
            if self._token is not None:
                close_unit_of_work(self._token)
                self._token = None


class FakeUnitOfWork(_FakeUnit):
    """``with uow: …; uow.commit()`` — leaving without commit rolls back."""

    def __init__(self, store: FakeStore) -> None:
        super().__init__(store, writable=True)

    @property
    def pki(self) -> FakePki:
        return FakePki(self._tx)

    @property
    def counter(self) -> FakeCounter:
        return FakeCounter(self._tx)

    @property
    def staff(self) -> FakeStaff:
        return FakeStaff(self._tx)

    @property
    def notices(self) -> FakeNotices:
        return FakeNotices(self._tx)

    @property
    def checkpoints(self) -> FakeCheckpoints:
        return FakeCheckpoints(self._tx)

    def __enter__(self) -> Self:
        self._enter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._exit()

    def commit(self) -> None:
        """Publish the working copy; the unit of work goes on with a copy of it."""
        state = self._tx.write()
        self._store.committed = state
        self._store.commits += 1
        self._tx.state = state.copy()

    def rollback(self) -> None:
        self._tx.write()
        self._tx.state = self._store.committed.copy()


class FakeReadOnlyUnitOfWork(_FakeUnit):
    """A snapshot of the committed state: readers only, every write refused."""

    def __init__(self, store: FakeStore) -> None:
        super().__init__(store, writable=False)

    @property
    def pki(self) -> PkiReader:
        return FakePki(self._tx)

    @property
    def counter(self) -> CounterReader:
        return FakeCounter(self._tx)

    @property
    def staff(self) -> StaffReader:
        return FakeStaff(self._tx)

    @property
    def notices(self) -> NoticeReader:
        return FakeNotices(self._tx)

    @property
    def checkpoints(self) -> CheckpointReader:
        return FakeCheckpoints(self._tx)

    def __enter__(self) -> Self:
        self._enter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._exit()


class FakeUowFactory:
    """The tests' :class:`madoguchi.services.ports.UowFactory`: ``uow()`` may write,
    ``uow.read_only()`` reads a snapshot."""

    def __init__(self, store: FakeStore | None = None) -> None:
        self.store = store or FakeStore()

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store)

    def read_only(self) -> FakeReadOnlyUnitOfWork:
        return FakeReadOnlyUnitOfWork(self.store)


if TYPE_CHECKING:  # mypy proves the fakes fit the ports
    from madoguchi.services.ports import (
        CheckpointRepo,
        CounterRepo,
        NoticeRepo,
        PkiRepo,
        ReadOnlyUnitOfWork,
        StaffRepo,
        UnitOfWork,
        UowFactory,
    )

    def _fits(tx: _Tx, store: FakeStore) -> None:
        _factory: UowFactory = FakeUowFactory()
        _writer: UnitOfWork = FakeUnitOfWork(store)
        _reader: ReadOnlyUnitOfWork = FakeReadOnlyUnitOfWork(store)
        _repos: tuple[PkiRepo, CounterRepo, StaffRepo, NoticeRepo, CheckpointRepo] = (
            FakePki(tx),
            FakeCounter(tx),
            FakeStaff(tx),
            FakeNotices(tx),
            FakeCheckpoints(tx),
        )
