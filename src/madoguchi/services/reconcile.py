"""Exactly once across a network (issue 17): the registration authority's issuance intents.

With a CA service (MADOGUCHI_CA_URL) the CA commits what it signs in its own store, apart from
the counter's transaction. So before the counter asks the CA to sign, it records an
:class:`~madoguchi.services.ports.ca.IssueIntent` — the order's idempotency key, the case,
the card, the kinds, the card keys' public parts — and commits it in a transaction of its own;
the issuance's transaction closes it (``issued``). Whatever fails after that — the connection
dropped after the CA signed, the CA killed mid-request, the counter killed after the CA
signed, its commit failed — leaves the intent open, and :meth:`IntentKeeper.settle` ends it:

- the CA never answered the key: closed ``abandoned`` (only once the grace period has passed,
  so that an issuance still on its way is not judged);
- the CA signed and the counter recorded the certificates: closed ``issued``;
- the CA signed and the counter did not record them: the counter records its copy, asks the
  CA to revoke each certificate still good (cessationOfOperation: the card never got it in a
  committed issuance) and closes the intent ``revoked``.

The card's new keys live only on the card in memory until the issuance stages it, and a
staged card whose certificates the counter does not know — or knows only as revoked here —
is discarded by recovery at the card's next load (services/cardside.py): no card holds
such keys after a failure, so an open intent is never completed onto the card; the case
stays open and the clerk issues again, with a new key.
A retry of the case first settles the card's open intents the CA answered (revoked), so no
good certificate is left that the counter does not know. Every outcome is audited
(``issue_intent.abandoned``, ``issue_intent.issued``, ``issue_intent.revoked`` with a
``certificate.revoke`` per certificate).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from madoguchi.pki.records import CertRecord
from madoguchi.rules.revocation import CertStatus, RevocationReason, StatusChange
from madoguchi.rules.validity import CertKind
from madoguchi.services.audit import SYSTEM, Actor, record
from madoguchi.services.ports import Clock, IssueIntent, UnitOfWork, UowFactory
from madoguchi.services.ports.ca import CertificateAuthority

log = logging.getLogger("madoguchi.reconcile")

GRACE = timedelta(minutes=10)  # longer than any issuance: the CA's time-out is 15 s
SETTLED_REASON = RevocationReason.CESSATION_OF_OPERATION


@dataclass(frozen=True, slots=True)
class Settled:
    """How one open intent ended."""

    key: str
    card_id: str
    outcome: str  # issued, revoked, abandoned
    certificates: tuple[str, ...] = ()  # "kind:serialhex"


class IntentKeeper:
    def __init__(
        self,
        uow_factory: UowFactory,
        clock: Clock,
        ca: CertificateAuthority,
        grace: timedelta = GRACE,
    ) -> None:
        self.uow_factory, self.clock, self.ca, self.grace = uow_factory, clock, ca, grace

    def open(
        self,
        *,
        key: str,
        case_id: str | None,
        card_id: str,
        kinds: Iterable[CertKind],
        spki: dict[CertKind, bytes],
    ) -> bool:
        """Record and commit the intent before the CA is asked (a CA in this process commits
        in the counter's own transaction: no intent then). True when one was recorded."""
        if not self.ca.separate_store:
            return False
        with self.uow_factory() as uow:
            uow.counter.add_issue_intent(
                IssueIntent(key, case_id, card_id, tuple(kinds), dict(spki), self.clock())
            )
            uow.commit()
        return True

    def close_in(self, uow: UnitOfWork, key: str) -> None:
        """Close the intent in the issuance's own transaction."""
        if self.ca.separate_store:
            uow.counter.close_issue_intent(key, "issued", self.clock())

    def settle_card(self, card_id: str, actor: Actor) -> list[Settled]:
        """Before a new issuance on a card: its open intents the CA answered are settled now
        (an unanswered one younger than the grace period is left to reconciliation)."""
        if not self.ca.separate_store:
            return []
        with self.uow_factory.read_only() as uow:
            mine = [i for i in uow.counter.open_issue_intents() if i.card_id == card_id]
        out = []
        for intent in mine:
            done = self._settle(intent, actor)
            if done is not None:
                out.append(done)
        return out

    def reconcile(self, actor: Actor = SYSTEM, grace: timedelta | None = None) -> list[Settled]:
        """Settle every intent open for longer than the grace period (``madoguchi reconcile``
        and the periodic task of ``madoguchi serve``)."""
        cutoff = self.clock() - (self.grace if grace is None else grace)
        with self.uow_factory.read_only() as uow:
            due = uow.counter.open_issue_intents(opened_before=cutoff)
        out = []
        for intent in due:
            done = self._settle(intent, actor, abandon=True)
            if done is not None:
                out.append(done)
        return out

    def _settle(
        self, intent: IssueIntent, actor: Actor, *, abandon: bool = False
    ) -> Settled | None:
        with self.uow_factory() as uow:
            uow.counter.card(intent.card_id, for_update=True)  # after any issuance on it
            now = uow.counter.issue_intent(intent.key)
            if now is None or now.closed_at is not None:
                return None
            records = self.ca.order(intent.key)
            if records is None:
                if not abandon:
                    return None  # perhaps still on its way: reconciliation decides later
                done = Settled(intent.key, intent.card_id, "abandoned")
            else:
                unknown = [r for r in records if uow.pki.certificate(r.kind, r.serial) is None]
                if not unknown:
                    done = Settled(intent.key, intent.card_id, "issued", _names(records))
                else:
                    self._revoke(uow, intent, unknown, actor)
                    done = Settled(intent.key, intent.card_id, "revoked", _names(unknown))
            uow.counter.close_issue_intent(
                intent.key, done.outcome, self.clock(), " ".join(done.certificates)
            )
            record(
                uow,
                self.clock(),
                actor,
                f"issue_intent.{done.outcome}",
                {"key": intent.key, "certificates": list(done.certificates)},
                case_id=intent.case_id,
            )
            uow.commit()
        log.info("issue intent %s settled: %s %s", intent.key, done.outcome, done.certificates)
        return done

    def _revoke(
        self, uow: UnitOfWork, intent: IssueIntent, unknown: list[CertRecord], actor: Actor
    ) -> None:
        """The CA signed, the counter never recorded it: the counter records its copy and the
        CA revokes what is still good — never a good certificate the counter does not know."""
        uow.pki.add_certificates(unknown)
        for rec in unknown:
            if rec.status is not CertStatus.REVOKED:
                self.ca.change_status_in(
                    uow, rec.kind, rec.serial, StatusChange.REVOKE, SETTLED_REASON
                )
            record(
                uow,
                self.clock(),
                actor,
                "certificate.revoke",
                {"reason": SETTLED_REASON.rfc_name, "issue_intent": intent.key},
                case_id=intent.case_id,
                certificate=f"{rec.kind.value}:{rec.serial_hex}",
            )


def _names(records: Iterable[CertRecord]) -> tuple[str, ...]:
    return tuple(f"{r.kind.value}:{r.serial_hex}" for r in records)


def settled(rec: CertRecord) -> bool:
    """A certificate an open intent left and reconciliation revoked (not another terminal's
    issuance: a new attempt on the card goes on)."""
    return rec.status is CertStatus.REVOKED and rec.reason is SETTLED_REASON
