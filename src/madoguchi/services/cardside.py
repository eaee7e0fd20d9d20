"""The card at the counter: PIN checks, PIN resets and the issuance onto the card.

An issuance touches two stores: the database and the card. The card's new state is staged
(encrypted) before the database commits and promoted after; a crash in between leaves a
staged file that :meth:`CardSide.recover` promotes if the database committed and discards
if it did not. So no card ever holds a certificate the store does not know, and a
certificate the store knows is on the card once recovery ran.

The card's own work — PINs set, key pairs generated, proofs of possession signed; seconds
on a real card — is done before the database transaction opens (:meth:`CardSide.
prepare_issuance`), on the card in memory; the transaction only has the CA sign, records,
stages and commits (:meth:`CardSide.issue_on_card`, :meth:`CardSide.commit_with`). The card
file is staged (fsync) before the rows every issuance needs — the status, receipt, audit and
issue counters — are locked, so no other terminal waits for that fsync (issue 14, item 18).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from cryptography import x509

from madoguchi.card.jpki import JpkiCard
from madoguchi.card.virtual import VirtualCard
from madoguchi.pki.facts import HolderFacts
from madoguchi.pki.pop import new_challenge, pop_digest_info
from madoguchi.pki.records import CertRecord
from madoguchi.rules.counter import pins_set_at_issuance
from madoguchi.rules.dates import jst_date
from madoguchi.rules.pins import PinKind
from madoguchi.rules.revocation import CertStatus, StatusChange, superseded_by_renewal
from madoguchi.rules.validity import CertKind, card_expiry, certificate_expiry
from madoguchi.services.domain import Card, CardStatus, Resident
from madoguchi.services.failpoints import failpoint
from madoguchi.services.holders import holder_record
from madoguchi.services.ports import Clock, UnitOfWork, UowFactory
from madoguchi.services.ports.ca import CertificateAuthority, HolderRecord, IssueOrder, IssueRequest
from madoguchi.services.reconcile import settled


class VaultPort(Protocol):
    def save(self, card: VirtualCard) -> None: ...
    def load(self, card_id: str) -> VirtualCard: ...
    def stage(self, card: VirtualCard) -> None: ...
    def staged(self, card_id: str) -> VirtualCard | None: ...
    def promote(self, card_id: str) -> None: ...
    def discard(self, card_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Proof:
    """A key the card generated, with its proof of possession of a fresh challenge."""

    spki: bytes
    challenge: bytes
    signature: bytes


@dataclass(frozen=True, slots=True)
class PreparedCard:
    """A card personalised in memory (PINs, keys, proofs), not yet certified nor saved."""

    card: VirtualCard
    api: JpkiCard
    proofs: dict[CertKind, Proof]
    order_key: str = field(default_factory=lambda: uuid.uuid4().hex)  # the CA's idempotency key


@dataclass
class CardIssuance:
    card: VirtualCard
    issued: dict[CertKind, CertRecord] = field(default_factory=dict)
    superseded: tuple[CertRecord, ...] = ()


class CardSide:
    def __init__(
        self,
        clock: Clock,
        ca: CertificateAuthority,
        vault: VaultPort,
        issuer_key: bytes,
        uow_factory: UowFactory | None = None,
    ) -> None:
        self.clock, self.ca, self.vault, self.issuer_key = clock, ca, vault, issuer_key
        self.uow_factory = uow_factory  # the counter's store: what recovery asks

    def load(self, card_id: str) -> VirtualCard:
        self.recover(card_id)
        return self.vault.load(card_id)

    def recover(self, card_id: str) -> str | None:
        """Finish or undo an issuance a crash interrupted (see the module docstring).

        It reads the store, so it runs outside any unit of work, like every method here that
        loads a card."""
        staged = self.vault.staged(card_id)
        if staged is None:
            return None
        der = JpkiCard(staged).read_certificate(CertKind.AUTH)
        known = False
        if der is not None:
            serial = x509.load_der_x509_certificate(der).serial_number
            known = self._recorded(CertKind.AUTH, serial)
        if known:
            self.vault.promote(card_id)
            return "promoted"
        self.vault.discard(card_id)
        return "discarded"

    def _recorded(self, kind: CertKind, serial: int) -> bool:
        """Whether the counter's store committed the certificate (with a remote CA, the CA
        may know a certificate whose recording at the counter failed: it is not promoted)."""
        if self.uow_factory is None:
            return self.ca.status(kind, serial) is not None
        with self.uow_factory.read_only() as uow:
            rec = uow.pki.certificate(kind, serial)
        # recorded by reconciliation only, revoked at the CA: the issuance never committed
        return rec is not None and not settled(rec)

    def new_card(
        self,
        uow: UnitOfWork,
        resident: Resident,
        created: date,
        *,
        juki_pin: str,
        kenmen_pin: str,
    ) -> Card:
        """A new My Number card for ``resident`` (its expiry per R-CARD-1, R-CARD-2), with the two PINs
        set at card delivery; certificates come later, at the counter."""
        virtual = VirtualCard.new(self.issuer_key)
        api = JpkiCard(virtual)
        api.authenticate_issuer(self.issuer_key)
        api.set_pin(PinKind.JUKI, juki_pin)
        api.set_pin(PinKind.KENMEN, kenmen_pin)
        expiry = card_expiry(resident.birth, created, stay_until=resident.stay_until)  # R-CARD-2
        card = Card(
            virtual.card_id,
            resident.id,
            created,
            expiry.expires_on,
            CardStatus.ACTIVE,
            limited_by_stay=expiry.limited_by_stay,
        )
        uow.counter.add_card(card)
        self.vault.save(virtual)
        return card

    def verify_pin(self, card_id: str, pin: PinKind, value: str) -> None:
        card = self.load(card_id)
        try:
            JpkiCard(card).verify(pin, value)
        finally:
            self.vault.save(card)  # the retry counter is part of the card

    def reset_pin(self, card_id: str, pin: PinKind, value: str) -> None:
        card = self.load(card_id)
        api = JpkiCard(card)
        api.authenticate_issuer(self.issuer_key)
        api.set_pin(pin, value)
        self.vault.save(card)

    def prepare_issuance(
        self, card_id: str, kinds: list[CertKind], pins: dict[CertKind, str]
    ) -> PreparedCard:
        """The card's own work for an issuance, done before the database transaction opens
        (it takes a real card seconds): the PINs set, a key pair generated for each kind and
        its proof of possession signed. Nothing is saved: the card file changes only when
        :meth:`issue_on_card` stages it and :meth:`commit_with` promotes it."""
        virtual = self.load(card_id)
        api = JpkiCard(virtual)
        return PreparedCard(virtual, api, prepare_card(api, self.issuer_key, kinds, pins))

    def issue_on_card(
        self,
        uow: UnitOfWork,
        *,
        prepared: PreparedCard,
        card: Card,
        resident: Resident,
        kinds: list[CertKind],
        facts: HolderFacts,
    ) -> CardIssuance:
        """The CA signs the prepared keys, the card gets its certificates (staged), the old
        ones are superseded — inside the caller's unit of work."""
        today = jst_date(self.clock())
        old = {
            rec.kind: rec
            for rec in uow.pki.certificates_of_card(card.id)
            if rec.status is CertStatus.GOOD and jst_date(rec.not_after) >= today
        }
        out = CardIssuance(prepared.card)
        out.issued = certify(
            self.ca,
            self.clock,
            uow,
            prepared.api,
            prepared.proofs,
            card_id=card.id,
            birth=resident.birth,
            card_expires=card.expires,
            kinds=kinds,
            facts=facts,
            replacing={k: jst_date(r.not_after) for k, r in old.items()},
            order_key=prepared.order_key,
            holder=(  # the CA operator's notices (R-NAT-2): a CA service keeps the holder
                holder_record(resident, card, self.ca.municipality)
                if self.ca.separate_store
                else None
            ),
        )
        # the card file is written and fsynced now, before any row other terminals need is
        # locked (the issue sequences come lock-free from PostgreSQL sequences; the status,
        # receipt and audit counters are taken after this): its fsync never makes them wait
        failpoint("issue.before_stage")
        self.vault.stage(prepared.card)
        failpoint("issue.after_stage")
        decision = superseded_by_renewal(out.issued)  # R-VAL-4
        assert decision.reason is not None
        superseded = [
            self.ca.change_status_in(
                uow, rec.kind, rec.serial, StatusChange.REVOKE, decision.reason
            )
            for rec in old.values()
            if rec.kind in decision.revoke
        ]
        out.superseded = tuple(superseded)
        return out

    def commit_with(self, uow: UnitOfWork, issuance: CardIssuance) -> None:
        """Commit the database, then promote the staged card (undone if the commit fails)."""
        try:
            uow.commit()
        except BaseException:
            self.vault.discard(issuance.card.card_id)
            raise
        failpoint("issue.after_commit")
        self.vault.promote(issuance.card.card_id)


def prepare_card(
    api: JpkiCard, issuer_key: bytes, kinds: list[CertKind], pins: dict[CertKind, str]
) -> dict[CertKind, Proof]:
    """The card's side of an issuance (R-PROC-6): set the PINs of ``kinds``, generate each
    key on the card and sign a proof of possession with it. No database, no CA."""
    api.authenticate_issuer(issuer_key)
    for pin_kind in pins_set_at_issuance(kinds):
        api.set_pin(pin_kind, pins[CertKind(pin_kind.value)])
    proofs: dict[CertKind, Proof] = {}
    for kind in _in_issuance_order(kinds):
        spki = api.generate_key(kind)
        challenge = new_challenge()
        signature = api.sign(kind, pins[kind], pop_digest_info(challenge, spki))
        proofs[kind] = Proof(spki, challenge, signature)
    return proofs


def certify(
    ca: CertificateAuthority,
    clock: Clock,
    uow: UnitOfWork,
    api: JpkiCard,
    proofs: dict[CertKind, Proof],
    *,
    card_id: str,
    birth: date,
    card_expires: date,
    kinds: list[CertKind],
    facts: HolderFacts,
    replacing: dict[CertKind, date],
    order_key: str,
    holder: HolderRecord | None = None,
) -> dict[CertKind, CertRecord]:
    """Have the CA sign the prepared keys of ``kinds`` with the expiry of R-VAL-1…3
    (``replacing``: the expiry of the certificate each replaces) and write the certificates
    on the card (in memory: the caller stages it)."""
    today = jst_date(clock())
    requests: list[IssueRequest] = []
    auth_expiry: date | None = None
    for kind in _in_issuance_order(kinds):
        validity = certificate_expiry(
            kind,
            birth=birth,
            issued=today,
            card_expiry=card_expires,
            auth_expiry=auth_expiry if kind is CertKind.SIGN else None,
            replacing=replacing.get(kind),
        )
        if kind is CertKind.AUTH:  # its notAfter is the end of that day (R-DATE-1)
            auth_expiry = validity.expires_on
        proof = proofs[kind]
        requests.append(
            IssueRequest(
                kind,
                proof.spki,
                proof.challenge,
                proof.signature,
                validity.expires_on,
                facts,
                card_id,
            )
        )
    issued: dict[CertKind, CertRecord] = {}
    order = IssueOrder(tuple(requests), ca.municipality, order_key, holder)
    for record in ca.issue_in(uow, order):  # both in one go: fewer statements, one request
        api.write_certificate(record.kind, record.der)
        api.write_ca_certificate(record.kind, ca.ca_certificate(record.kind))
        issued[record.kind] = record
    return issued


def _in_issuance_order(kinds: list[CertKind]) -> list[CertKind]:
    return sorted(kinds, key=lambda k: k is CertKind.SIGN)  # auth first: it caps sign


def personalise(
    ca: CertificateAuthority,
    clock: Clock,
    uow: UnitOfWork,
    api: JpkiCard,
    issuer_key: bytes,
    *,
    card_id: str,
    birth: date,
    card_expires: date,
    kinds: list[CertKind],
    facts: HolderFacts,
    pins: dict[CertKind, str],
    replacing: dict[CertKind, date],
) -> dict[CertKind, CertRecord]:
    """Put certificates of ``kinds`` on the card (R-PROC-5, R-PROC-6): :func:`prepare_card`
    then :func:`certify`, in one go (test cards, fixtures)."""
    proofs = prepare_card(api, issuer_key, kinds, pins)
    return certify(
        ca,
        clock,
        uow,
        api,
        proofs,
        card_id=card_id,
        birth=birth,
        card_expires=card_expires,
        kinds=kinds,
        facts=facts,
        replacing=replacing,
        order_key=uuid.uuid4().hex,
    )
