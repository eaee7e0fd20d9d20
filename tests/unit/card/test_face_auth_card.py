"""R-FACE-1 on the card: DELETE FILE (issuer only) clears a PIN and empties the `sign` key
slot; R-FACE-2: the PINs are set again afterwards."""

from __future__ import annotations

import pytest

from madoguchi.card.errors import IssuerNotAuthenticated, PinNotSet
from madoguchi.card.jpki import JpkiCard
from madoguchi.card.virtual import VirtualCard
from madoguchi.rules.pins import PinKind
from madoguchi.rules.validity import CertKind

ISSUER = bytes(range(32))


def test_r_face_1_delete_file_is_for_the_issuer_only() -> None:
    api = JpkiCard(VirtualCard.new(ISSUER))
    with pytest.raises(IssuerNotAuthenticated):
        api.delete_key(CertKind.SIGN)
    with pytest.raises(IssuerNotAuthenticated):
        api.clear_pin(PinKind.JUKI)


def test_r_face_1_the_pins_cleared_and_r_face_2_set_again() -> None:
    api = JpkiCard(VirtualCard.new(ISSUER))
    api.authenticate_issuer(ISSUER)
    api.set_pin(PinKind.JUKI, "1234")
    api.set_pin(PinKind.SIGN, "ABC123")
    api.generate_key(CertKind.SIGN)
    assert api.pin_is_set(PinKind.JUKI)
    for pin in PinKind:
        api.clear_pin(pin)
    api.delete_key(CertKind.SIGN)
    assert not any(api.pin_is_set(pin) for pin in PinKind)
    with pytest.raises(PinNotSet):
        api.verify(PinKind.JUKI, "1234")
    api.set_pin(PinKind.JUKI, "2468")
    api.verify(PinKind.JUKI, "2468")
