"""A CA built in memory for the pki unit tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from madoguchi.pki.authority import Authority, create_responder, create_root
from madoguchi.pki.profiles import CaNames
from madoguchi.pki.signer import KeySigner
from madoguchi.rules.validity import CertKind

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
NAMES = CaNames("madoguchi DEMO CA - not J-LIS", "北海道", "帯広市", "2.25.1.1", "2.25.1.2")


@pytest.fixture(scope="session")
def authorities() -> dict[CertKind, Authority]:
    out = {}
    for kind in CertKind:
        signer = KeySigner.generate()
        root = create_root(kind, NAMES, signer, NOW)
        r_cert, r_key = create_responder(kind, NAMES, root, signer, NOW, 30)
        out[kind] = Authority(kind, root, signer, NAMES, r_cert, r_key)
    return out


@pytest.fixture(scope="session")
def card_key() -> KeySigner:
    return KeySigner.generate()
