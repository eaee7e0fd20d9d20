"""`madoguchi testcard issue`: a virtual card with both certificates, for relying parties.

The same steps as an issuance at the counter (R-PROC-5, R-PROC-6): PINs set, keys generated
on the card, proof of possession, the CA signs, the certificates are written to the card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from cryptography.hazmat.primitives.serialization import Encoding

from madoguchi.card.jpki import JpkiCard
from madoguchi.card.virtual import VirtualCard
from madoguchi.pki.facts import HolderFacts
from madoguchi.pki.pop import new_challenge, pop_digest_info
from madoguchi.pki.records import CertRecord
from madoguchi.rules.dates import jst_date
from madoguchi.rules.eligibility import eligibility
from madoguchi.rules.pins import PinKind
from madoguchi.rules.validity import CertKind, card_expiry, certificate_expiry
from madoguchi.services.ca import CaService


class CardVaultPort(Protocol):
    def save(self, card: VirtualCard) -> None: ...


@dataclass(frozen=True, slots=True)
class TestCard:
    card_id: str
    card_expiry: date
    sign: CertRecord | None
    auth: CertRecord


def issue_test_card(
    ca: CaService,
    vault: CardVaultPort,
    issuer_key: bytes,
    *,
    facts: HolderFacts,
    card_expires: date | None,
    sign_password: str,
    auth_pin: str,
) -> TestCard:
    """Create a card, put keys and both certificates on it (only `auth` under 15)."""
    today = jst_date(ca.clock())
    expires = card_expires or card_expiry(facts.birth, today).expires_on
    card = VirtualCard.new(issuer_key)
    api = JpkiCard(card)
    api.authenticate_issuer(issuer_key)
    kinds = [CertKind.AUTH]
    if eligibility(CertKind.SIGN, birth=facts.birth, on=today).eligible:
        kinds.append(CertKind.SIGN)
    pins = {CertKind.SIGN: sign_password, CertKind.AUTH: auth_pin}
    api.set_pin(PinKind.AUTH, auth_pin)
    if CertKind.SIGN in kinds:
        api.set_pin(PinKind.SIGN, sign_password)
    issued: dict[CertKind, CertRecord] = {}
    with ca.uow_factory() as uow:
        for kind in kinds:  # auth first: it caps the signing certificate (R-VAL-1 (b))
            auth = issued.get(CertKind.AUTH) if kind is CertKind.SIGN else None
            validity = certificate_expiry(
                kind,
                birth=facts.birth,
                issued=today,
                card_expiry=expires,
                auth_expiry=jst_date(auth.not_after) if auth else None,
            )
            spki = api.generate_key(kind)
            challenge = new_challenge()
            signature = api.sign(kind, pins[kind], pop_digest_info(challenge, spki))
            record = ca.issue_in(
                uow,
                kind=kind,
                spki_der=spki,
                challenge=challenge,
                pop_signature=signature,
                expires_on=validity.expires_on,
                facts=facts,
                card_id=card.card_id,
            )
            api.write_certificate(kind, record.der)
            api.write_ca_certificate(kind, ca.authorities[kind].cert.public_bytes(Encoding.DER))
            issued[kind] = record
        vault.save(card)
        uow.commit()
    return TestCard(card.card_id, expires, issued.get(CertKind.SIGN), issued[CertKind.AUTH])
