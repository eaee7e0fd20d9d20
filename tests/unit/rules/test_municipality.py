"""R-NAT-1: the 全国地方公共団体コード's check digit, and who may change a certificate's status
at the CA (issue 17)."""

from __future__ import annotations

import pytest

from madoguchi.rules.errors import RuleInputError
from madoguchi.rules.municipality import check_digit, may_change_status, municipality_code


@pytest.mark.parametrize(
    "code",
    [
        "012076",
        "011002",
        "130001",
        "271004",
        "131016",
        "472018",
    ],  # 帯広 札幌 東京都 大阪 千代田 那覇
)
def test_valid_codes_pass(code: str) -> None:
    assert municipality_code(f" {code} ") == code
    assert check_digit(code[:5]) == int(code[5])


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("012077", "検査数字"),
        ("011003", "検査数字"),
        ("12076", "6桁"),
        ("0120766", "6桁"),
        ("01207６", "6桁"),  # a full-width digit is not ASCII
        ("abcdef", "6桁"),
        ("", "6桁"),
    ],
)
def test_wrong_codes_are_refused_in_japanese(value: str, words: str) -> None:
    with pytest.raises(RuleInputError) as err:
        municipality_code(value)
    assert err.value.code == "invalid_municipality"
    assert words in err.value.detail


@pytest.mark.parametrize(
    ("caller", "issued_by", "card_now", "allowed"),
    [
        (None, "012076", "012076", True),  # the CA operator: any
        (None, None, None, True),
        ("012076", "012076", "012076", True),  # the municipality that issued
        ("011002", "012076", "011002", True),  # the current residence (issued on the card last)
        ("012076", "012076", "011002", True),  # it issued this certificate
        ("011002", "012076", "012076", False),  # neither
        ("011002", None, None, False),  # before municipalities were recorded: the operator's
    ],
)
def test_who_may_change_a_status(
    caller: str | None, issued_by: str | None, card_now: str | None, allowed: bool
) -> None:
    assert may_change_status(caller, issued_by, card_now) is allowed


@pytest.mark.parametrize(
    ("caller", "issued_by", "allowed"),
    [
        ("011002", "012076", True),  # the new municipality, for a certificate the old issued
        ("011002", "011002", True),
        ("012076", "012076", False),  # the old municipality, after the move-in (R-NAT-3)
        (None, "012076", True),  # the CA operator
    ],
)
def test_after_a_move_in_only_the_new_municipality_may(
    caller: str | None, issued_by: str | None, allowed: bool
) -> None:
    assert may_change_status(caller, issued_by, "011002", moved_in=True) is allowed
