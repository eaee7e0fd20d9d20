"""The municipality's code (全国地方公共団体コード) and who may change a certificate's status.

R-NAT-1: each municipality's counter is a registration authority identified by its 6-digit
全国地方公共団体コード (JIS X 0401 prefecture + municipality, and a check digit): 帯広市
012076, 札幌市 011002. The check digit is the last digit of 11 − (Σ digit × weight mod 11),
weights 6, 5, 4, 3, 2 (総務省「全国地方公共団体コード」の検査数字).
"""

from __future__ import annotations

from madoguchi.rules.errors import RuleInputError

_WEIGHTS = (6, 5, 4, 3, 2)


def check_digit(first_five: str) -> int:
    """The check digit of a 5-digit 団体コード."""
    total = sum(int(d) * w for d, w in zip(first_five, _WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def municipality_code(value: str) -> str:
    """``value`` as a valid 6-digit 全国地方公共団体コード, or RuleInputError in Japanese."""
    code = value.strip()
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        raise RuleInputError(
            "invalid_municipality",
            f"団体コード「{value}」は正しくありません。全国地方公共団体コード（検査数字を含む"
            "6桁の数字、例: 帯広市 012076）を指定してください。",
        )
    if int(code[5]) != check_digit(code[:5]):
        raise RuleInputError(
            "invalid_municipality",
            f"団体コード「{value}」の検査数字（6桁目）が合いません。全国地方公共団体コードを"
            "確かめてください（例: 帯広市 012076、札幌市 011002）。",
        )
    return code


def may_change_status(
    caller: str | None,
    issued_by: str | None,
    card_now: str | None,
    *,
    moved_in: bool = False,
) -> bool:
    """Who may hold or revoke a certificate at the CA (issue 17, R-NAT-1, R-NAT-3).

    The CA operator (``caller`` None) may change any. A municipality may change the
    certificates of cards it issued on (``issued_by``) and of its current residents
    (``card_now``: the municipality a move-in told the CA, else the one that issued on the
    card last). Once a card moved in elsewhere (``moved_in``), only its new municipality
    may: the old one issued on it, but the holder is no longer its resident (R-NAT-3).
    Certificates issued before the CA recorded municipalities (``issued_by`` None) are the
    operator's, unless the card moved in since."""
    if caller is None:
        return True
    if moved_in:
        return caller == card_now
    return caller in (issued_by, card_now)
