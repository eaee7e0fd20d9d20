"""The card's four PINs: formats, retry limits and where a locked one is reset (SPEC.md §7:
R-PIN; §10: R-PIN-3)."""

from __future__ import annotations

import string
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class PinKind(StrEnum):
    """The four PINs of a My Number card (R-PIN-1)."""

    SIGN = "sign"  # 署名用電子証明書の暗証番号 (password)
    AUTH = "auth"  # 利用者証明用電子証明書の暗証番号
    JUKI = "juki"  # 住民基本台帳用暗証番号
    KENMEN = "kenmen"  # 券面事項入力補助用暗証番号

    @property
    def label(self) -> str:
        return PIN_LABELS[self]

    @property
    def max_tries(self) -> int:
        """R-PIN-2: wrong tries before the PIN locks."""
        return SIGN_PASSWORD_TRIES if self is PinKind.SIGN else FOUR_DIGIT_PIN_TRIES


PIN_LABELS: dict[PinKind, str] = {
    PinKind.SIGN: "署名用電子証明書の暗証番号（英数字6〜16文字）",
    PinKind.AUTH: "利用者証明用電子証明書の暗証番号（数字4桁）",
    PinKind.JUKI: "住民基本台帳用暗証番号（数字4桁）",
    PinKind.KENMEN: "券面事項入力補助用暗証番号（数字4桁）",
}

#: R-PIN-2: the signing password locks after 5 wrong tries, each 4-digit PIN after 3.
SIGN_PASSWORD_TRIES = 5
FOUR_DIGIT_PIN_TRIES = 3
SIGN_MIN_LENGTH = 6
SIGN_MAX_LENGTH = 16
_SIGN_ALPHABET = frozenset(string.ascii_uppercase + string.digits)


class PinProblem(StrEnum):
    """Why a PIN is not acceptable; the value is the stable code."""

    LENGTH = "length"
    CHARACTERS = "characters"
    NEEDS_LETTER = "needs_letter"
    NEEDS_DIGIT = "needs_digit"
    NOT_FOUR_DIGITS = "not_four_digits"

    @property
    def message(self) -> str:
        return {
            PinProblem.LENGTH: "署名用パスワードは6文字以上16文字以下です。",
            PinProblem.CHARACTERS: "署名用パスワードに使えるのは英字（A〜Z）と数字（0〜9）だけです。",
            PinProblem.NEEDS_LETTER: "署名用パスワードには英字を1文字以上含めてください。",
            PinProblem.NEEDS_DIGIT: "署名用パスワードには数字を1文字以上含めてください。",
            PinProblem.NOT_FOUR_DIGITS: "暗証番号は数字4桁です。",
        }[self]


@dataclass(frozen=True, slots=True)
class PinCheck:
    valid: bool
    normalized: str
    problem: PinProblem | None = None


def normalize_pin(value: str) -> str:
    """R-PIN-1: full-width input (from a Japanese IME) becomes ASCII, lower case upper case.

    The card itself only knows ASCII upper-case letters and digits; the counter software
    normalises what is typed so that ``ａｂｃ１２３`` and ``ABC123`` set the same password.
    """
    return unicodedata.normalize("NFKC", value).upper()


def check_pin(kind: PinKind, value: str) -> PinCheck:
    """R-PIN-1: is ``value`` acceptable as the PIN of ``kind``?

    Signing password: 6–16 characters of A–Z and 0–9 with at least one of each (lower case
    is taken as upper case). The three other PINs: exactly four digits.
    """
    kind = PinKind(kind)
    norm = normalize_pin(value)
    if kind is not PinKind.SIGN:
        ok = len(norm) == 4 and all(c in string.digits for c in norm)
        return PinCheck(ok, norm, None if ok else PinProblem.NOT_FOUR_DIGITS)
    problem: PinProblem | None = None
    if not SIGN_MIN_LENGTH <= len(norm) <= SIGN_MAX_LENGTH:
        problem = PinProblem.LENGTH
    elif not set(norm) <= _SIGN_ALPHABET:
        problem = PinProblem.CHARACTERS
    elif not any(c in string.ascii_uppercase for c in norm):
        problem = PinProblem.NEEDS_LETTER
    elif not any(c in string.digits for c in norm):
        problem = PinProblem.NEEDS_DIGIT
    return PinCheck(problem is None, norm, problem)


def tries_left_after_failure(kind: PinKind, tries_left: int) -> int:
    """R-PIN-2: the counter after one more wrong try (never below zero; zero is locked)."""
    return max(0, min(tries_left, PinKind(kind).max_tries) - 1)


def is_locked(tries_left: int) -> bool:
    """R-PIN-2: a PIN with no tries left is locked; only the counter resets it."""
    return tries_left <= 0


class ResetPlace(StrEnum):
    """R-PIN-3: where a locked PIN can be reset."""

    COUNTER = "counter"  # the city's counter, with the holder's photo ID (R-PIN-2)
    KIOSK = "kiosk"  # convenience-store kiosks, with the JPKI暗証番号リセット app

    @property
    def label(self) -> str:
        return {
            ResetPlace.COUNTER: "市役所の窓口",
            ResetPlace.KIOSK: "コンビニエンスストアのキオスク端末（一部のチェーン）",
        }[self]


#: R-PIN-3: the signing password since 2022 at several chains; the auth PIN at some chains
#: since; the 住基 and 券面 PINs only at the counter. The system does not run kiosks.
RESET_PLACES: Final[dict[PinKind, tuple[ResetPlace, ...]]] = {
    PinKind.SIGN: (ResetPlace.COUNTER, ResetPlace.KIOSK),
    PinKind.AUTH: (ResetPlace.COUNTER, ResetPlace.KIOSK),
    PinKind.JUKI: (ResetPlace.COUNTER,),
    PinKind.KENMEN: (ResetPlace.COUNTER,),
}


def reset_places(kind: PinKind) -> tuple[ResetPlace, ...]:
    """R-PIN-2, R-PIN-3: where a locked PIN of ``kind`` can be reset."""
    return RESET_PLACES[PinKind(kind)]


#: R-PIN-3: what the public pages tell residents (Japanese; the web's catalog translates it).
KIOSK_RESET_TEXT: Final = (
    "署名用電子証明書の暗証番号（パスワード）がロックされたときは、市役所の窓口のほか、"
    "一部のコンビニエンスストアのキオスク端末（マルチコピー機）でも初期化できます。"
    "スマートフォンの「JPKI暗証番号リセット」アプリで顔認証をし、もう一方の暗証番号"
    "（利用者証明用電子証明書の暗証番号）を入力します。"
    "利用者証明用電子証明書の暗証番号も、一部のチェーンのキオスク端末で、同じアプリと"
    "署名用電子証明書のパスワードを使って初期化できます。"
    "住民基本台帳用と券面事項入力補助用の暗証番号は、窓口でだけ初期化できます"
    "（本人の顔写真つきの本人確認書類が必要です）。"
)


def pin_reset_text() -> str:
    """R-PIN-3: the text the public pages show about resetting locked PINs."""
    return KIOSK_RESET_TEXT
