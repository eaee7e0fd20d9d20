"""What the holder sets at the issuing counter (SPEC.md §4, R-PROC-5).

R-PROC-6 (keys generated on the card and kept nowhere else) is the card layer's design
(card/applet.py) and the issuance's order (services/cardside.py); R-PROC-7 (no expiry over the
telephone) is the absence of any lookup by name or number (web/public_check.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from madoguchi.rules.pins import PinKind
from madoguchi.rules.validity import CertKind


def pins_set_at_issuance(kinds: Iterable[CertKind]) -> tuple[PinKind, ...]:
    """R-PROC-5: the holder sets the PIN of every certificate issued (R-PIN-1)."""
    wanted = {CertKind(k) for k in kinds}
    return tuple(
        pin
        for kind, pin in ((CertKind.SIGN, PinKind.SIGN), (CertKind.AUTH, PinKind.AUTH))
        if kind in wanted
    )
