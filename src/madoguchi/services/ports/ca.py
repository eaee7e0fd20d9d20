"""The certification authority as the counter sees it (issue 17, R-NAT-1).

The counter is a registration authority: it checks the applicant, has the card generate its
keys, and asks the CA to sign them. :class:`CertificateAuthority` is everything the counter's
services need of the CA. Two adapters implement it: the CA in this process, on this store
(services/ca_local.py: the embedded default of ``make demo``), and a CA service reached over
HTTPS with mutual TLS (services/ca_remote.py). The CA's own records of who asked are here too
(:class:`CaRequestRepo`), implemented by the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from madoguchi.pki.facts import HolderFacts
from madoguchi.pki.records import CertRecord
from madoguchi.rules.revocation import RevocationReason, StatusChange
from madoguchi.rules.validity import CertKind

if TYPE_CHECKING:
    from madoguchi.services.domain import Candidate
    from madoguchi.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class IssueRequest:
    """One certificate to issue: the card's key, its proof of possession, the expiry."""

    kind: CertKind
    spki_der: bytes
    challenge: bytes
    pop_signature: bytes
    expires_on: date
    facts: HolderFacts | None
    card_id: str | None


@dataclass(frozen=True, slots=True)
class HolderRecord:
    """What the CA operator keeps of a card's holder to send the expiry notices (R-NAT-2):
    the mailing name and address, the card's expiry and state, as the holder's municipality
    told them — with each issuance order, each registry change and each move-in (the copy of
    the 本人確認情報 that J-LIS holds). ``municipality`` is the telling municipality's code,
    taken by the CA from the caller's credential, never from the request.

    ``resident_status``: ``resident``, ``moved_out`` (awaiting a move-in elsewhere) or
    ``deceased``; ``card_status``: the counter's card status (``active``, ``lost``, …)."""

    card_id: str
    municipality: str
    resident_ref: str
    name: str
    postal_code: str
    address: str
    card_expires: date
    limited_by_stay: bool
    resident_status: str
    card_status: str
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class IssueOrder:
    """What a registration authority asks the CA to sign for one card, in one go.

    ``municipality`` is the asking municipality's 全国地方公共団体コード (R-NAT-1);
    ``idempotency_key`` names the order: the CA answers a repeated key with the certificates
    it signed the first time. ``holder``: what the CA keeps to send the holder the expiry
    notices (a counter's resident; None for a test card)."""

    requests: tuple[IssueRequest, ...]
    municipality: str
    idempotency_key: str
    holder: HolderRecord | None = None  # for the CA operator's expiry notices (R-NAT-2)


@dataclass(frozen=True, slots=True)
class AnsweredOrder:
    """An order the CA answered: its certificates, by kind and serial."""

    key: str
    municipality: str
    card_id: str | None
    certificates: tuple[tuple[CertKind, int], ...]


@dataclass(frozen=True, slots=True)
class IssueIntent:
    """What the registration authority is about to ask the CA (issue 17, exactly once): recorded
    and committed in the RA's own store before the call, closed in the issuance's transaction
    or settled by :mod:`madoguchi.services.reconcile`. ``spki``: the card keys' public parts
    (DER) by kind; ``outcome``: None while open, else ``issued``, ``revoked`` or
    ``abandoned``."""

    key: str
    case_id: str | None
    card_id: str
    kinds: tuple[CertKind, ...]
    spki: dict[CertKind, bytes]
    opened_at: datetime
    closed_at: datetime | None = None
    outcome: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class RaCredential:
    """A registration authority's client certificate (``ca enroll-ra``)."""

    serial: int
    municipality: str
    name: str
    issued_at: datetime
    not_after: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class CardResidence:
    """Where the CA knows a card lives, and its move between municipalities (R-NAT-3).

    ``municipality`` is the card's current municipality as a move-in told it (None: no
    move-in yet; the CA then knows it as the municipality that issued on the card last).
    A move-out records ``moved_out_from`` and ``planned_move_out``; the move-in at the new
    municipality sets ``moved_in_at``; without one within 30 days of the planned date the
    CA revokes the ``auth`` certificate and records ``lapsed_at`` (R-REV-2)."""

    card_id: str
    municipality: str | None
    moved_out_from: str | None
    planned_move_out: date | None
    moved_out_at: datetime | None
    moved_in_at: datetime | None
    lapsed_at: datetime | None

    @property
    def awaiting_move_in(self) -> bool:
        return (
            self.moved_out_from is not None and self.moved_in_at is None and self.lapsed_at is None
        )


@dataclass(frozen=True, slots=True)
class MunicipalityCounter:
    """A municipality's counter as the CA operator names it on its letters (R-NAT-2): where
    a holder of that municipality renews. From ``ca enroll-ra --name … [--address …]``."""

    municipality: str
    name: str  # 帯広市 戸籍住民課: the municipality's name, then the desk
    address: str
    phone: str = ""
    hours: str = ""  # 8時45分〜17時30分（土日祝日・年末年始を除く）

    @property
    def city(self) -> str:
        """The municipality's name (帯広市): the name's first word."""
        return self.name.split()[0] if self.name.split() else self.municipality

    @property
    def desk(self) -> str:
        """The desk after the municipality's name (戸籍住民課), or ""."""
        return self.name[len(self.city) :].strip()


class CertificateAuthority(Protocol):
    """The CA, in this process or across the network (one municipality's view of it)."""

    @property
    def municipality(self) -> str:
        """The 全国地方公共団体コード this counter acts for."""

    def ca_certificate(self, kind: CertKind) -> bytes:
        """The DER certificate of the CA of ``kind`` (written onto the card with its own)."""

    def issue_in(self, uow: UnitOfWork, order: IssueOrder) -> list[CertRecord]:
        """Verify the proofs of possession, sign, and record the certificates in ``uow``
        (in process: in the same transaction as the counter's records; remote: the CA has
        committed them, ``uow`` gets the registration authority's copy). A repeated
        ``order.idempotency_key`` answers the same certificates."""

    def change_status_in(
        self,
        uow: UnitOfWork,
        kind: CertKind,
        serial: int,
        change: StatusChange,
        reason: RevocationReason,
    ) -> CertRecord:
        """Hold or revoke (R-REV-3, R-REV-4) and record the new status in ``uow``."""

    def status(self, kind: CertKind, serial: int) -> CertRecord | None:
        """What the CA knows of one certificate now (None: it issued no such certificate)."""

    def certificates_of_card(self, card_id: str) -> list[CertRecord]:
        """Every certificate the CA issued onto a card, oldest first."""

    @property
    def separate_store(self) -> bool:
        """Whether the CA commits apart from the counter (a CA service): then an issuance
        records an :class:`IssueIntent` first."""

    def order(self, key: str) -> list[CertRecord] | None:
        """The certificates the CA signed under an idempotency key, as the CA knows them now
        (None: the CA never answered that key)."""

    @property
    def keeps_move_deadlines(self) -> bool:
        """Whether the CA runs the 30-day rule of a move-out (R-REV-2, R-NAT-3) from the
        move-outs it is told of (a CA service), rather than the counter's daily job."""

    def notify_move_out(self, card_id: str, planned_move_out: date) -> None:
        """Tell the CA that the card's holder moved out of this municipality (R-NAT-3)."""

    def claim_move_in_in(
        self, uow: UnitOfWork, card_id: str, holder: HolderRecord | None = None
    ) -> list[CertRecord]:
        """Register a card that moved in from another municipality: this municipality
        becomes its current one at the CA (and ``holder`` the CA's record of its holder); the
        card's certificates (the CA's answer) are recorded in ``uow`` as the registration
        authority's copies."""

    def tell_holder(self, holder: HolderRecord) -> None:
        """Tell the CA the holder's name, address and card as the registry has them now
        (R-NAT-2: the CA operator sends the expiry notices). Only the card's current
        municipality may; a CA in this process needs nothing (the counter's records are
        the CA's)."""


class IntentReader(Protocol):
    def open_issue_intents(self, opened_before: datetime | None = None) -> list[IssueIntent]:
        """The intents not yet closed (opened before ``opened_before``), oldest first."""

    def issue_intent(self, key: str) -> IssueIntent | None:
        """One intent by its idempotency key."""


class IntentRepo(IntentReader, Protocol):
    def add_issue_intent(self, intent: IssueIntent) -> None:
        """Record an open intent."""

    def close_issue_intent(
        self, key: str, outcome: str, at: datetime, detail: str | None = None
    ) -> None:
        """Close an intent with its outcome."""


@dataclass(frozen=True, slots=True)
class NetworkCa:
    """One of the CA service's own CAs (``ra-ca``, ``tls-ca``): its certificate (PEM) and its
    key sealed with the CA passphrase."""

    name: str
    cert_pem: bytes
    key_sealed: bytes


class CaRequestReader(Protocol):
    def answered_order(self, key: str) -> AnsweredOrder | None:
        """The order the CA answered under an idempotency key."""

    def ra_credentials(self) -> list[RaCredential]:
        """Every RA credential enrolled, oldest first."""

    def ra_credential(self, serial: int) -> RaCredential | None:
        """One RA credential by its serial (None: never enrolled)."""

    def network_ca(self, name: str) -> NetworkCa | None:
        """The CA service's RA-CA or TLS-CA (None: not created yet)."""

    def network_crl(self, name: str) -> tuple[int, bytes] | None:
        """The CRL number and PEM of a network CA's current CRL."""

    def card_residence(self, card_id: str, *, for_update: bool = False) -> CardResidence | None:
        """What the CA knows of a card's moves (None: nothing told)."""

    def residences_awaiting_move_in(self) -> list[CardResidence]:
        """The cards moved out and not yet moved in nor lapsed, by planned date."""

    def municipality_counters(self) -> list[MunicipalityCounter]:
        """The municipalities' counters the CA knows, by code."""

    def municipality_counter(self, code: str) -> MunicipalityCounter | None:
        """One municipality's counter (None: never enrolled)."""

    def holder(self, card_id: str, *, for_update: bool = False) -> HolderRecord | None:
        """The CA's record of a card's holder (None: never told)."""

    def holder_candidates(self, first: date, last: date) -> list[Candidate]:
        """R-NOTICE-1 at the CA: the cards, with a holder record of a resident and a card in
        use, whose good certificates or whose card expire in ``[first, last]``."""


class CaRequestRepo(CaRequestReader, Protocol):
    def add_answered_order(self, order: AnsweredOrder, at: datetime) -> None:
        """Record the certificates an order got (with the certificates, in one commit)."""

    def add_ra_credential(self, credential: RaCredential) -> None:
        """Record an enrolled RA credential."""

    def revoke_ra_credential(self, serial: int, at: datetime) -> RaCredential | None:
        """Mark an RA credential revoked (None: no such credential)."""

    def add_network_ca(self, ca: NetworkCa, at: datetime) -> None:
        """Record a network CA (the store refuses a second one of the same name)."""

    def put_network_crl(self, name: str, number: int, pem: bytes) -> None:
        """Replace a network CA's CRL (unless the stored one is newer)."""

    def put_card_residence(self, residence: CardResidence) -> None:
        """Record (insert or replace) a card's residence at the CA."""

    def put_municipality_counter(self, counter: MunicipalityCounter) -> None:
        """Record (insert or replace) a municipality's counter."""

    def put_holder(self, holder: HolderRecord) -> None:
        """Record (insert or replace) the CA's record of a card's holder."""


__all__ = [
    "AnsweredOrder",
    "CaRequestReader",
    "CaRequestRepo",
    "CardResidence",
    "CertificateAuthority",
    "HolderRecord",
    "IntentReader",
    "IntentRepo",
    "IssueIntent",
    "IssueOrder",
    "IssueRequest",
    "MunicipalityCounter",
    "NetworkCa",
    "RaCredential",
]
