"""The card layer's errors (DESIGN.md convention 6): one base, a stable English ``code``.

Most are raised by :class:`~madoguchi.card.jpki.JpkiCard` from the status word a card
answered (:func:`error_for_status`), and carry it in ``sw``; the vault's errors carry none.
The web and CLI layers map ``code`` to Japanese (``madoguchi.messages``).

===================================  ============  ==========================================
code                                 status word   meaning
===================================  ============  ==========================================
``wrong_pin``                        ``63Cx``      wrong PIN, ``tries_left`` = x > 0
``pin_locked``                       ``6983/63C0`` R-PIN-2: locked, reset only at the counter
``pin_not_set``                      ``6985``      the PIN was never set
``invalid_pin_format``               —             R-PIN-1, refused before it reaches the card
``security_status_not_satisfied``    ``6982``      a PIN must be verified first
``issuer_not_authenticated``         ``6982``      an issuer command without EXTERNAL AUTH
``issuer_authentication_failed``     ``6300``      the issuer key is not this card's
``file_not_found``                   ``6A82``      no such application or EF (not a My Number card?)
``conditions_not_satisfied``         ``6985``      e.g. signing before a key was generated
``invalid_data``                     ``6A80``      the card refused the data
``unexpected_status``                other         any other status word
``card_data_error``                  —             the card's answer makes no sense
``malformed_apdu``                   ``6700``      a command APDU that cannot be parsed
``card_missing``                     —             no vault file for that card id
``card_tampered``                    —             the vault file fails authentication
``invalid_card_id``                  —             not a card id (``VC`` + 16 hex digits)
``reader_error``                     —             a PC/SC failure (the reader's message)
``pcsc_unavailable``                 —             no PC/SC service (pcscd not running)
``no_reader``                        —             no reader, or none of that name
``no_card_in_reader``                —             the reader is empty, or the card was pulled
``vpcd_unreachable``                 —             no vpcd reader where the virtual card connects
===================================  ============  ==========================================
"""

from __future__ import annotations

from madoguchi.rules.pins import PinKind, PinProblem


class CardError(Exception):
    """Base of every error raised by :mod:`madoguchi.card`."""

    code: str = "card_error"

    def __init__(self, detail: str, *, sw: int | None = None) -> None:
        super().__init__(f"{self.code}: {detail}")
        self.detail = detail
        self.sw = sw


class MalformedApdu(CardError):
    """A command APDU that cannot be parsed; the card answers ``sw`` (6700)."""

    code = "malformed_apdu"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, sw=0x6700)


class CardDataError(CardError):
    """The card (or the transport) answered something that makes no sense."""

    code = "card_data_error"


class UnexpectedStatus(CardError):
    code = "unexpected_status"


class PinError(CardError):
    """Base of the PIN errors; ``pin`` says which of the four PINs."""

    code = "pin_error"

    def __init__(self, detail: str, *, pin: PinKind | None = None, sw: int | None = None) -> None:
        super().__init__(detail, sw=sw)
        self.pin = pin


class WrongPin(PinError):
    """R-PIN-2: a wrong PIN; ``tries_left`` more wrong tries lock it (always > 0 here)."""

    code = "wrong_pin"

    def __init__(self, tries_left: int, *, pin: PinKind | None = None) -> None:
        super().__init__(f"wrong PIN, {tries_left} tries left", pin=pin, sw=0x63C0 | tries_left)
        self.tries_left = tries_left
        self.params = {"tries": tries_left}  # the message says how many tries are left


class PinLocked(PinError):
    """R-PIN-2: the PIN is locked (or was just locked by this try); only the counter resets it."""

    code = "pin_locked"

    def __init__(self, *, pin: PinKind | None = None, sw: int | None = 0x6983) -> None:
        super().__init__("the PIN is locked", pin=pin, sw=sw)
        self.tries_left = 0


class PinNotSet(PinError):
    code = "pin_not_set"

    def __init__(self, *, pin: PinKind | None = None) -> None:
        super().__init__("the PIN has not been set", pin=pin, sw=0x6985)


class InvalidPinFormat(PinError):
    """R-PIN-1: not a possible value of that PIN; nothing was sent and no try was spent."""

    code = "invalid_pin_format"

    def __init__(self, pin: PinKind, problem: PinProblem | None) -> None:
        what = problem.value if problem else "format"
        super().__init__(f"not a valid {pin.value} PIN ({what})", pin=pin)
        self.problem = problem


class SecurityStatusNotSatisfied(CardError):
    code = "security_status_not_satisfied"


class IssuerNotAuthenticated(SecurityStatusNotSatisfied):
    code = "issuer_not_authenticated"


class IssuerAuthenticationFailed(CardError):
    code = "issuer_authentication_failed"


class FileNotFound(CardError):
    code = "file_not_found"


class ConditionsNotSatisfied(CardError):
    code = "conditions_not_satisfied"


class InvalidData(CardError):
    code = "invalid_data"


class VaultError(CardError):
    """Base of the card vault's errors."""

    code = "vault_error"


class CardMissing(VaultError):
    code = "card_missing"


class CardTampered(VaultError):
    """The vault file does not decrypt: a wrong vault key, or the file was altered."""

    code = "card_tampered"


class InvalidCardId(VaultError):
    code = "invalid_card_id"


class ReaderError(CardError):
    """A PC/SC failure that is the reader's, not the card's (:mod:`madoguchi.card.pcsc`)."""

    code = "reader_error"


class PcscUnavailable(ReaderError):
    code = "pcsc_unavailable"


class NoReader(ReaderError):
    code = "no_reader"


class NoCardInReader(ReaderError):
    code = "no_card_in_reader"


class VpcdUnreachable(ReaderError):
    """Nothing answered on vpcd's port (is pcscd running with the vpcd reader?)."""

    code = "vpcd_unreachable"


def error_for_status(
    sw: int, *, operation: str, pin: PinKind | None = None, issuer: bool = False
) -> CardError:
    """The error for a status word other than 9000 answered to ``operation``.

    ``pin`` names the PIN a VERIFY was about (63Cx, 6983, 6985 become PIN errors);
    ``issuer`` marks an issuer command (6982 means "not authenticated as the issuer").
    """
    where = f"{operation}: {sw:04X}"
    if sw & 0xFFF0 == 0x63C0:
        tries = sw & 0x0F
        return WrongPin(tries, pin=pin) if tries else PinLocked(pin=pin, sw=sw)
    if sw == 0x6983:
        return PinLocked(pin=pin)
    if sw == 0x6985 and pin is not None:
        return PinNotSet(pin=pin)
    if sw == 0x6982:
        if issuer:
            return IssuerNotAuthenticated(f"{where}: issuer authentication needed", sw=sw)
        return SecurityStatusNotSatisfied(f"{where}: a PIN must be verified first", sw=sw)
    if sw == 0x6300 and issuer:
        return IssuerAuthenticationFailed(f"{where}: the issuer key is not this card's", sw=sw)
    simple: dict[int, type[CardError]] = {
        0x6A82: FileNotFound,
        0x6985: ConditionsNotSatisfied,
        0x6A80: InvalidData,
    }
    return simple.get(sw, UnexpectedStatus)(where, sw=sw)
