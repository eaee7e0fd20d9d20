"""Where things are on a My Number card: applications (AIDs), EF ids, who may read what.

SPEC.md §9 (R-CARD-AP) gives the JPKI application (公的個人認証AP). The other two PINs of a
real card live in their own applications; their AIDs and PIN EFs are not in J-LIS's public
documents but are what the public client code that talks to real cards uses:

* 券面事項入力補助AP (``kenmen`` PIN): AID ``D3 92 10 00 31 00 01 01 04 08``, PIN EF ``0011``
  — jpki/myna (``libmyna``: ``SelectCardInputHelperAP``, ``SelectEF("00 11")`` before
  VERIFY), and several other readers of real cards agree.
* 住基AP (``juki`` PIN, 住民基本台帳用): AID ``D3 92 10 00 31 00 01 01 04 01``, PIN EF
  ``001C`` — jpki/myna's PIN-status code selects that AID and EF (commented "住基?") and a
  Rust reader library documents the AID as 住基AP with its PIN at ``001C``. Treat it as
  well-attested but not officially published.

The virtual card models only the PINs of those two applications: it never holds the data
they guard (the 12-digit My Number, the four facts), which the system must not keep.

EF ``0006`` of the JPKI application is the token information a real card answers
(``JPKIAPICCTOKEN2``, space padded to 20 bytes; a Juki card said ``JPKIAPICCTOKEN``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from madoguchi.rules.pins import PinKind
from madoguchi.rules.validity import CertKind


class Application(StrEnum):
    JPKI = "jpki"  # 公的個人認証AP
    JUKI = "juki"  # 住基AP
    KENMEN = "kenmen"  # 券面事項入力補助AP

    @property
    def aid(self) -> bytes:
        return AIDS[self]


AIDS: dict[Application, bytes] = {
    Application.JPKI: bytes.fromhex("D392F000260100000001"),
    Application.JUKI: bytes.fromhex("D3921000310001010401"),
    Application.KENMEN: bytes.fromhex("D3921000310001010408"),
}
APPLICATION_BY_AID: dict[bytes, Application] = {aid: app for app, aid in AIDS.items()}


class EfType(StrEnum):
    DATA = "data"  # transparent: READ BINARY (and, for the issuer, UPDATE/ERASE BINARY)
    KEY = "key"  # a private key: COMPUTE DIGITAL SIGNATURE only, never readable
    PIN = "pin"  # a PIN: VERIFY, RESET RETRY COUNTER


# JPKI application (R-CARD-AP)
EF_SIGN_CERT = 0x0001
EF_SIGN_CA = 0x0002
EF_TOKEN_INFO = 0x0006
EF_AUTH_CERT = 0x000A
EF_AUTH_CA = 0x000B
EF_AUTH_KEY = 0x0017
EF_AUTH_PIN = 0x0018
EF_SIGN_KEY = 0x001A
EF_SIGN_PIN = 0x001B
# the two small applications
EF_KENMEN_PIN = 0x0011
EF_JUKI_PIN = 0x001C

TOKEN_INFO = b"JPKIAPICCTOKEN2".ljust(20, b" ")

#: Certificate EFs: written by the issuer, read by anyone (the signing one after its PIN).
CERTIFICATE_EFS = (EF_SIGN_CERT, EF_SIGN_CA, EF_AUTH_CERT, EF_AUTH_CA)
#: The most a certificate EF holds (a real signing certificate is about 2 KB).
CERTIFICATE_EF_CAPACITY = 4096

FILES: dict[Application, dict[int, EfType]] = {
    Application.JPKI: {
        EF_SIGN_CERT: EfType.DATA,
        EF_SIGN_CA: EfType.DATA,
        EF_TOKEN_INFO: EfType.DATA,
        EF_AUTH_CERT: EfType.DATA,
        EF_AUTH_CA: EfType.DATA,
        EF_AUTH_KEY: EfType.KEY,
        EF_AUTH_PIN: EfType.PIN,
        EF_SIGN_KEY: EfType.KEY,
        EF_SIGN_PIN: EfType.PIN,
    },
    Application.JUKI: {EF_JUKI_PIN: EfType.PIN},
    Application.KENMEN: {EF_KENMEN_PIN: EfType.PIN},
}

#: READ BINARY needs this PIN verified in the session (R-CARD-AP: the signing certificate
#: carries the four facts, so it is read only after the signing password).
READ_NEEDS_PIN: dict[tuple[Application, int], PinKind] = {
    (Application.JPKI, EF_SIGN_CERT): PinKind.SIGN,
}


@dataclass(frozen=True, slots=True)
class CertSlot:
    """One certificate kind's files in the JPKI application, and the PIN its key needs."""

    kind: CertKind
    cert_ef: int
    ca_ef: int
    key_ef: int
    pin: PinKind


CERT_SLOTS: dict[CertKind, CertSlot] = {
    CertKind.AUTH: CertSlot(CertKind.AUTH, EF_AUTH_CERT, EF_AUTH_CA, EF_AUTH_KEY, PinKind.AUTH),
    CertKind.SIGN: CertSlot(CertKind.SIGN, EF_SIGN_CERT, EF_SIGN_CA, EF_SIGN_KEY, PinKind.SIGN),
}
CERT_KIND_BY_KEY_EF: dict[int, CertKind] = {s.key_ef: s.kind for s in CERT_SLOTS.values()}


@dataclass(frozen=True, slots=True)
class PinSlot:
    kind: PinKind
    application: Application
    ef: int


PIN_SLOTS: dict[PinKind, PinSlot] = {
    PinKind.SIGN: PinSlot(PinKind.SIGN, Application.JPKI, EF_SIGN_PIN),
    PinKind.AUTH: PinSlot(PinKind.AUTH, Application.JPKI, EF_AUTH_PIN),
    PinKind.JUKI: PinSlot(PinKind.JUKI, Application.JUKI, EF_JUKI_PIN),
    PinKind.KENMEN: PinSlot(PinKind.KENMEN, Application.KENMEN, EF_KENMEN_PIN),
}
PIN_BY_EF: dict[tuple[Application, int], PinKind] = {
    (s.application, s.ef): s.kind for s in PIN_SLOTS.values()
}


def ef_type(application: Application, ef: int) -> EfType | None:
    """The type of EF ``ef`` in ``application``; None if there is no such EF."""
    return FILES[application].get(ef)
