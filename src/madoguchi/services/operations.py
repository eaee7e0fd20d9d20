"""What operators ask of the running system: is it ready to serve (/readyz), and the counts
that live in the store (for /metrics). Read only; nothing here changes anything.

Readiness (:meth:`OperationsService.readiness`), each check a name, ok and a short English
detail:

- ``store``: the store answers and its schema is Alembic's head (no migration pending);
- ``ca_keys``: each CA's key — a file key or a PKCS#11 HSM key — signs a probe, and the
  signature verifies with the CA certificate's public key;
- ``ocsp_responder``: each responder certificate this process signs OCSP answers with is
  not inside its renewal window (``MADOGUCHI_RESPONDER_RENEW_DAYS_BEFORE``): a process
  renews it only when it starts, so a long-running one must be restarted by then;
- ``crl``: each CA has published a CRL, and the newest CRL of each partition is not past its
  nextUpdate.

The store's counts (:meth:`OperationsService.facts`) are read in one read-only unit of work
through the ``ops`` reader of the ports (services/ports/ops.py). Refusals are counted from the audit log
incrementally: the first reading counts all, later ones only the entries appended since.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from madoguchi.pki.authority import Authority
from madoguchi.rules.revocation import RevocationReason
from madoguchi.rules.validity import CertKind
from madoguchi.services.domain import REFUSAL_KINDS, CrlFact
from madoguchi.services.ports import Clock, UowFactory

PROBE = b"madoguchi readiness probe"
BACKUP_MARKER = "last-backup.json"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class BackupFact:
    at: datetime
    size: int


@dataclass(frozen=True, slots=True)
class StoreFacts:
    issued: Mapping[str, int]  # kind → certificates issued
    revoked: Mapping[tuple[str, str], int]  # (kind, RFC 5280 reason) → revoked certificates
    held: Mapping[str, int]  # kind → certificates on hold
    refusals: Mapping[tuple[str, str], int]  # (rule|clerk, code) → refusals
    notices: Mapping[str, int]  # state → notices
    crls: tuple[CrlFact, ...]
    checkpoint_at: datetime | None  # the newest audit checkpoint
    unsigned_since: datetime | None  # the oldest audit entry after it (None: all signed)
    backup: BackupFact | None
    read_at: datetime


def read_backup_marker(directory: Path) -> BackupFact | None:
    """What ``madoguchi backup`` recorded of the newest backup (cli/backup_cmd.py)."""
    try:
        data = json.loads((directory / BACKUP_MARKER).read_text(encoding="utf-8"))
        return BackupFact(datetime.fromisoformat(data["at"]), int(data["bytes"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_backup_marker(directory: Path, at: datetime, size: int, sha256: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{BACKUP_MARKER}.tmp"
    tmp.write_text(
        json.dumps({"at": at.isoformat(), "bytes": size, "sha256": sha256}), encoding="utf-8"
    )
    tmp.replace(directory / BACKUP_MARKER)


class OperationsService:
    def __init__(
        self,
        uow_factory: UowFactory,
        clock: Clock,
        *,
        head_revision: Callable[[], str],
        authorities: Callable[[], Mapping[CertKind, Authority]],
        responder_renew_before: timedelta,
        state_dir: Path,
        ca_probe: Callable[[], str] | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self._head = head_revision
        self._authorities = authorities
        self.responder_renew_before = responder_renew_before
        self.state_dir = state_dir
        self._ca_probe = ca_probe  # a counter of a CA service: does the service answer?
        self._lock = threading.Lock()
        self._refusal_seq = 0
        self._refusals: Counter[tuple[str, str]] = Counter()

    # -- readiness -------------------------------------------------------------------------
    def readiness(self) -> list[Check]:
        crls: list[CrlFact] | None = None
        try:
            with self.uow_factory.read_only() as uow:
                q = uow.ops
                current = q.schema_revision()
                crls = q.newest_crls()
            head = self._head()
            store = Check(
                "store",
                current == head,
                f"schema at {current}" if current == head else f"schema at {current}, not {head}",
            )
        except Exception as exc:  # the store is down: say so, never raise
            store = Check("store", False, f"unavailable: {type(exc).__name__}")
        if self._ca_probe is not None:  # no CA of its own: the CA service must answer
            return [store, self._ca_service_check(self._ca_probe)]
        return [store, self._keys_check(), self._responder_check(), self._crl_check(crls)]

    @staticmethod
    def _ca_service_check(probe: Callable[[], str]) -> Check:
        try:
            municipality = probe()
        except Exception as exc:  # unreachable, credential refused …: say so, never raise
            return Check("ca_service", False, getattr(exc, "code", type(exc).__name__))
        return Check("ca_service", True, f"the CA service answers (RA {municipality})")

    def _keys_check(self) -> Check:
        failed = []
        for kind, authority in self._authorities().items():
            try:
                signature = authority.signer.sign(PROBE)
                public = authority.cert.public_key()
                if not isinstance(public, rsa.RSAPublicKey):
                    raise InvalidSignature("not an RSA CA")
                public.verify(signature, PROBE, padding.PKCS1v15(), hashes.SHA256())
            except InvalidSignature:
                failed.append(f"{kind.value}: signature does not verify")
            except Exception as exc:  # an HSM gone, a PIN refused …
                failed.append(f"{kind.value}: {getattr(exc, 'code', type(exc).__name__)}")
        return Check("ca_keys", not failed, "; ".join(failed) or "both CA keys sign")

    def _responder_check(self) -> Check:
        now = self.clock()
        late = []
        for kind, authority in self._authorities().items():
            end = authority.responder_cert.not_valid_after_utc
            if end - now <= self.responder_renew_before:
                late.append(f"{kind.value} responder ends {end.isoformat()}: restart to renew")
        return Check("ocsp_responder", not late, "; ".join(late) or "responders current")

    def _crl_check(self, crls: list[CrlFact] | None) -> Check:
        if crls is None:
            return Check("crl", False, "unknown: the store is unavailable")
        now = self.clock()
        problems = [
            f"no CRL published for {k.value}"
            for k in self._authorities()
            if not any(c.kind == k.value for c in crls)
        ]
        for c in crls:
            if c.next_update <= now:
                where = "full" if c.partition is None else f"partition {c.partition}"
                problems.append(f"{c.kind} {where} CRL past nextUpdate {c.next_update.isoformat()}")
        return Check("crl", not problems, "; ".join(problems) or "CRLs current")

    # -- the store's counts ----------------------------------------------------------------
    def facts(self) -> StoreFacts:
        """One consistent reading (raises the store's error when it is unavailable)."""
        with self._lock, self.uow_factory.read_only() as uow:
            q = uow.ops
            revoked: dict[tuple[str, str], int] = {}
            held: dict[str, int] = {}
            for kind, status, reason, n in q.status_counts():
                if status == "held":
                    held[kind] = held.get(kind, 0) + n
                elif status == "revoked":
                    key = (kind, _reason_name(reason))
                    revoked[key] = revoked.get(key, 0) + n
            newest = q.newest_audit_seq()
            if newest < self._refusal_seq:  # another database under us: count afresh
                self._refusal_seq, self._refusals = 0, Counter()
            for action, detail, n in q.refusal_details(self._refusal_seq, newest):
                self._refusals[_refusal_key(action, detail)] += n
            self._refusal_seq = newest
            checkpoint = q.newest_checkpoint()
            first_unsigned = (checkpoint[0] if checkpoint else 0) + 1
            facts = StoreFacts(
                issued=q.issued(),
                revoked=revoked,
                held=held,
                refusals=dict(self._refusals),
                notices=q.notice_states(),
                crls=tuple(q.newest_crls()),
                checkpoint_at=checkpoint[1] if checkpoint else None,
                unsigned_since=(
                    q.audit_entry_at(first_unsigned) if first_unsigned <= newest else None
                ),
                backup=read_backup_marker(self.state_dir),
                read_at=self.clock(),
            )
        return facts

    def authorities(self) -> Mapping[CertKind, Authority]:
        return self._authorities()


def _reason_name(code: int | None) -> str:
    try:
        return RevocationReason(code).rfc_name if code is not None else "unspecified"
    except ValueError:
        return f"code{code}"


def _refusal_key(action: str, detail: str) -> tuple[str, str]:
    kind = REFUSAL_KINDS.get(action, action)
    if kind == "clerk":
        return kind, "refused_by_clerk"
    try:
        code = json.loads(detail or "{}").get("code")
    except (ValueError, AttributeError):
        code = None
    return kind, str(code) if code else "unknown"
