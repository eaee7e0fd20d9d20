"""What the CA knows of a certificate it issued: the domain object the store returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from madoguchi.rules.revocation import CertStatus, RevocationReason
from madoguchi.rules.validity import CertKind


@dataclass(frozen=True, slots=True)
class CertRecord:
    kind: CertKind
    serial: int
    seq: int
    partition: int
    subject_id: str
    card_id: str | None
    not_before: datetime
    not_after: datetime
    der: bytes
    status: CertStatus
    status_changed_at: datetime | None = None
    reason: RevocationReason | None = None
    municipality: str | None = None  # who asked for the issuance (R-NAT-1); None: operator
    status_municipality: str | None = None  # who asked for the last hold or revocation

    @property
    def serial_hex(self) -> str:
        return serial_hex(self.serial)


def serial_hex(serial: int) -> str:
    """Serials are written as lower-case hex without leading zeros, as openssl prints them."""
    return f"{serial:x}"
