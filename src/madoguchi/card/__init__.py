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

from madoguchi.card.errors import (
    CardError,
    CardMissing,
    CardTampered,
    InvalidPinFormat,
    PinLocked,
    PinNotSet,
    WrongPin,
)
from madoguchi.card.jpki import JpkiCard, Transport, sha256_digest_info
from madoguchi.card.virtual import CardVault, VirtualCard

__all__ = [
    "CardError",
    "CardMissing",
    "CardTampered",
    "CardVault",
    "InvalidPinFormat",
    "JpkiCard",
    "PinLocked",
    "PinNotSet",
    "Transport",
    "VirtualCard",
    "WrongPin",
    "sha256_digest_info",
]
