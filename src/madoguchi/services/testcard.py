"""`madoguchi testcard issue`: a virtual card with both certificates, for relying parties.

The same steps as an issuance at the counter (R-PROC-5, R-PROC-6): PINs set, keys generated
on the card, proof of possession, the CA signs, the certificates are written to the card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from madoguchi.card.jpki import JpkiCard
from madoguchi.card.virtual import VirtualCard
from madoguchi.pki.facts import HolderFacts
from madoguchi.pki.records import CertRecord
from madoguchi.rules.dates import jst_date
from madoguchi.rules.eligibility import eligibility
from madoguchi.rules.validity import CertKind, card_expiry
from madoguchi.services.cardside import personalise
from madoguchi.services.ports import Clock, UowFactory
from madoguchi.services.ports.ca import CertificateAuthority


class CardVaultPort(Protocol):
    def save(self, card: VirtualCard) -> None: ...


@dataclass(frozen=True, slots=True)
class TestCard:
    card_id: str
    card_expiry: date
    sign: CertRecord | None
    auth: CertRecord


def issue_test_card(
    ca: CertificateAuthority,
    uow_factory: UowFactory,
    clock: Clock,
    vault: CardVaultPort,
    issuer_key: bytes,
    *,
    facts: HolderFacts,
    card_expires: date | None,
    sign_password: str,
    auth_pin: str,
) -> TestCard:
    """Create a card, put keys and both certificates on it (only `auth` under 15), through
    the CA in this process or the CA service (``uow_factory``: where the copy is recorded)."""
    today = jst_date(clock())
    expires = card_expires or card_expiry(facts.birth, today).expires_on
    card = VirtualCard.new(issuer_key)
    kinds = [CertKind.AUTH]
    if eligibility(CertKind.SIGN, birth=facts.birth, on=today).eligible:
        kinds.append(CertKind.SIGN)
    with uow_factory() as uow:
        issued = personalise(
            ca,
            clock,
            uow,
            JpkiCard(card),
            issuer_key,
            card_id=card.card_id,
            birth=facts.birth,
            card_expires=expires,
            kinds=kinds,
            facts=facts,
            pins={CertKind.SIGN: sign_password, CertKind.AUTH: auth_pin},
            replacing={},
        )
        vault.save(card)
        uow.commit()
    return TestCard(card.card_id, expires, issued.get(CertKind.SIGN), issued[CertKind.AUTH])


@dataclass(frozen=True, slots=True)
class TestCards:
    """`madoguchi testcard issue` through the counter's CA port (in process or remote)."""

    ca: CertificateAuthority
    uow_factory: UowFactory
    clock: Clock
    vault: CardVaultPort
    issuer_key: bytes

    def issue(
        self,
        *,
        facts: HolderFacts,
        card_expires: date | None,
        sign_password: str,
        auth_pin: str,
    ) -> TestCard:
        return issue_test_card(
            self.ca,
            self.uow_factory,
            self.clock,
            self.vault,
            self.issuer_key,
            facts=facts,
            card_expires=card_expires,
            sign_password=sign_password,
            auth_pin=auth_pin,
        )
