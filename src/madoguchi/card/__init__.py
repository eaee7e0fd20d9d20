"""The My Number card: the JPKI application model, a virtual card, the API services use.

Only the standard library, ``cryptography`` and :mod:`madoguchi.rules` are imported here
(DESIGN.md layers), and pyscard by :mod:`~madoguchi.card.pcsc`. Modules:

* :mod:`~madoguchi.card.apdu` — command/response APDUs and status words;
* :mod:`~madoguchi.card.layout` — AIDs, EF ids, access rules;
* :mod:`~madoguchi.card.element` — the card's memory: PIN hashes, counters, keys;
* :mod:`~madoguchi.card.applet` — the command interpreter (every APDU the card knows);
* :mod:`~madoguchi.card.virtual` — :class:`VirtualCard` and :class:`CardVault`;
* :mod:`~madoguchi.card.jpki` — :class:`JpkiCard`, the thin API over any transport;
* :mod:`~madoguchi.card.pcsc` — :class:`~madoguchi.card.pcsc.PcscReader`, a transport over a
  real PC/SC reader (pyscard; imported only by those who use it);
* :mod:`~madoguchi.card.vpcd` — the virtual card served in vsmartcard's virtual reader;
* :mod:`~madoguchi.card.errors` — :class:`CardError` and its subclasses.
"""

from __future__ import annotations

import importlib
from typing import Any

# Re-exported on first use (PEP 562): importing ``madoguchi.card.errors`` — as the CLI does
# for every command — must not load cryptography and the card model (issue 14, item 17).
_EXPORTS = {
    "CardError": "errors",
    "CardMissing": "errors",
    "CardTampered": "errors",
    "InvalidPinFormat": "errors",
    "PinLocked": "errors",
    "PinNotSet": "errors",
    "WrongPin": "errors",
    "JpkiCard": "jpki",
    "Transport": "jpki",
    "sha256_digest_info": "jpki",
    "CardVault": "virtual",
    "VirtualCard": "virtual",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
