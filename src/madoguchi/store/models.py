"""The tables (SQLAlchemy 2 typed mappings, named constraints; DESIGN.md convention 5)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from madoguchi.store.types import UtcDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class AuthorityRow(Base):
    """One CA per kind; the key lives in an encrypted file or in the HSM (``key_ref``)."""

    __tablename__ = "authorities"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), unique=True)
    subject: Mapped[str] = mapped_column(String(400))
    cert_der: Mapped[bytes] = mapped_column(LargeBinary)
    key_ref: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ResponderRow(Base):
    """Delegated OCSP responder certificates; the key is stored encrypted (PKCS#8)."""

    __tablename__ = "ocsp_responders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), index=True)
    serial_hex: Mapped[str] = mapped_column(String(40))
    cert_der: Mapped[bytes] = mapped_column(LargeBinary)
    key_pem: Mapped[bytes] = mapped_column(LargeBinary)
    not_before: Mapped[datetime] = mapped_column(UtcDateTime)
    not_after: Mapped[datetime] = mapped_column(UtcDateTime)


class CertificateRow(Base):
    """Every certificate the CAs issued, with its status (R-REV-4)."""

    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("kind", "serial_hex"),
        Index("ix_certificates_crl", "kind", "status", "partition", "not_after"),
        Index("ix_certificates_not_after", "not_after"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    serial_hex: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(BigInteger)
    partition: Mapped[int] = mapped_column(Integer)
    subject_id: Mapped[str] = mapped_column(String(64))
    card_id: Mapped[str | None] = mapped_column(String(64), index=True)
    not_before: Mapped[datetime] = mapped_column(UtcDateTime)
    not_after: Mapped[datetime] = mapped_column(UtcDateTime)
    der: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(8), default="good")
    status_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reason: Mapped[int | None] = mapped_column(Integer)
    crl_entry: Mapped[bytes | None] = mapped_column(LargeBinary)
    # R-NAT-1: the municipality (全国地方公共団体コード) that asked for the issuance, and the
    # one that asked for the last hold or revocation (None: the CA operator)
    municipality: Mapped[str | None] = mapped_column(String(6))
    status_municipality: Mapped[str | None] = mapped_column(String(6))


class CounterRow(Base):
    """Monotonic counters (issuance sequence per CA, CRL numbers) updated in-transaction."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class CrlRow(Base):
    """Every CRL published: number, times, size and digest (partition -1 is the full CRL)."""

    __tablename__ = "crls"
    __table_args__ = (UniqueConstraint("kind", "partition", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    partition: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(BigInteger)
    this_update: Mapped[datetime] = mapped_column(UtcDateTime)
    next_update: Mapped[datetime] = mapped_column(UtcDateTime)
    entries: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))


class OcspResponseRow(Base):
    """Pre-signed OCSP responses (RFC 5019), replaced whenever the status changes."""

    __tablename__ = "ocsp_responses"
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    serial_hex: Mapped[str] = mapped_column(String(40), primary_key=True)
    der: Mapped[bytes] = mapped_column(LargeBinary)
    produced_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_update: Mapped[datetime] = mapped_column(UtcDateTime)
    stale: Mapped[bool] = mapped_column(Boolean, default=False)


class CaIssueRequestRow(Base):
    """An issuance the CA answered, by its idempotency key: a repeated key answers the same
    certificates (issue 17)."""

    __tablename__ = "ca_issue_requests"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    municipality: Mapped[str] = mapped_column(String(6))
    card_id: Mapped[str | None] = mapped_column(String(64))
    certificates: Mapped[str] = mapped_column(String(200))  # "sign:ab12,auth:cd34"
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IssueIntentRow(Base):
    """The registration authority's issuance intent (issue 17, exactly once): written and
    committed before the CA is asked, closed by the issuance or by reconciliation."""

    __tablename__ = "issue_intents"
    __table_args__ = (Index("ix_issue_intents_open", "closed_at", "opened_at"),)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str | None] = mapped_column(String(32))
    card_id: Mapped[str] = mapped_column(String(64), index=True)
    kinds: Mapped[str] = mapped_column(String(20))  # "auth,sign"
    spki: Mapped[str] = mapped_column(Text)  # "auth:<hex>,sign:<hex>"
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(String(400))


class RaCredentialRow(Base):
    """A registration authority's client certificate (`ca enroll-ra`), one municipality each."""

    __tablename__ = "ra_credentials"
    serial_hex: Mapped[str] = mapped_column(String(40), primary_key=True)
    municipality: Mapped[str] = mapped_column(String(6), index=True)
    name: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    not_after: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class NetworkCaRow(Base):
    """The CA service's own small CAs (issue 17): ``ra-ca`` (the counters' client
    certificates) and ``tls-ca`` (its server certificates), their keys sealed with the CA
    passphrase; the RA-CA's row carries its current CRL. In the store, so that every `ca
    serve` process over it shares them."""

    __tablename__ = "network_cas"
    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    cert_pem: Mapped[bytes] = mapped_column(LargeBinary)
    key_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    crl_number: Mapped[int | None] = mapped_column(BigInteger)
    crl_pem: Mapped[bytes | None] = mapped_column(LargeBinary)


class CaCardResidenceRow(Base):
    """A card's moves between municipalities as the CA was told them (R-NAT-3, issue 17)."""

    __tablename__ = "ca_card_residences"
    card_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    municipality: Mapped[str | None] = mapped_column(String(6))
    moved_out_from: Mapped[str | None] = mapped_column(String(6))
    planned_move_out: Mapped[date | None] = mapped_column(Date)
    moved_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    moved_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lapsed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)


class CaMunicipalityRow(Base):
    """A municipality's counter as the CA's letters name it (R-NAT-2; `ca enroll-ra`)."""

    __tablename__ = "ca_municipalities"
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    hours: Mapped[str] = mapped_column(String(100), default="", server_default="")


class CaHolderRow(Base):
    """The CA operator's record of a card's holder, for the expiry notices (R-NAT-2): what
    the holder's municipality told with the issuance order, a registry change or a move-in."""

    __tablename__ = "ca_holders"
    __table_args__ = (Index("ix_ca_holders_card_expires", "card_expires"),)
    card_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    municipality: Mapped[str] = mapped_column(String(6))
    resident_ref: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    postal_code: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(200))
    card_expires: Mapped[date] = mapped_column(Date)
    limited_by_stay: Mapped[bool] = mapped_column(Boolean, default=False)
    resident_status: Mapped[str] = mapped_column(String(16))
    card_status: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
