"""R-X509-2: the characters of the signing certificate — JIS X 0208/0212, substitutes and
their positions."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from madoguchi.rules.chars import (
    CERTIFICATE_CODEC,
    EQUIVALENTS,
    SUBSTITUTES,
    certificate_text,
    describe_character,
    in_certificate_charset,
    is_variation_selector,
    substituted_in,
    valid_positions,
)


@pytest.mark.parametrize(
    ("given_text", "text", "positions", "in_charset"),
    [
        ("髙橋　一郎", "高橋　一郎", "10000", False),
        ("﨑山", "崎山", "10", False),
        ("𠮷田", "吉田", "10", False),  # outside the BMP: one code point, one digit
        ("德永", "徳永", "10", False),
        ("栁田", "柳田", "10", False),
        ("髙﨑", "高崎", "11", False),
        ("帯広　花子", "帯広　花子", "00000", True),
        ("", "", "", True),
        # the same JIS character under another Unicode mapping: not a substitute
        ("1－2－3", "1−2−3", "00000", True),  # U+FF0D → U+2212
        ("〜～", "〜〜", "00", True),  # U+FF5E → the wave dash U+301C
        ("塚", "塚", "0", True),  # U+FA10, a compatibility ideograph (NFC)
        ("ｱｲｳ", "アイウ", "000", True),  # half-width katakana
        ("西5条南7丁目", "西5条南7丁目", "0000000", True),
        # an IVS glyph request cannot be carried: the base stays, marked substituted
        ("辻\U000e0100", "辻", "1", False),
    ],
)
def test_r_x509_2_substitutes_and_positions(
    given_text: str, text: str, positions: str, in_charset: bool
) -> None:
    result = certificate_text(given_text)
    assert (result.text, result.positions, result.in_charset) == (text, positions, in_charset)
    assert result.unknown == ()
    assert result.writable


@pytest.mark.parametrize(
    ("given_text", "unknown"),
    [("😀子", ("😀",)), ("a😀b😀", ("😀",)), ("\U000e0100a", ("\U000e0100",))],
)
def test_r_x509_2_a_character_without_substitute_is_reported(
    given_text: str, unknown: tuple[str, ...]
) -> None:
    result = certificate_text(given_text)
    assert result.unknown == unknown
    assert not result.writable and not result.in_charset
    assert describe_character("😀") == "「😀」(U+1F600)"


def test_r_x509_2_the_table_maps_outside_characters_to_inside_ones() -> None:
    for original in ("髙", "﨑", "𠮷", "德", "栁"):  # the ones SPEC names
        assert original in SUBSTITUTES
    for original, substitute in SUBSTITUTES.items():
        assert len(original) == len(substitute) == 1
        assert not in_certificate_charset(original), original
        assert in_certificate_charset(substitute), substitute
    for variant, standard in EQUIVALENTS.items():
        assert not in_certificate_charset(variant) and in_certificate_charset(standard)


def test_r_x509_2_the_codec_is_jis_x_0208_and_0212() -> None:
    assert "亜".encode(CERTIFICATE_CODEC)  # JIS X 0208
    assert "丂".encode(CERTIFICATE_CODEC).startswith(b"\x1b$(D")  # JIS X 0212 (補助漢字)
    assert not in_certificate_charset("\uff0d")  # the codec refuses U+FF0D, hence EQUIVALENTS


def test_r_x509_2_reading_positions_back() -> None:
    assert substituted_in("高橋　一郎", "10000") == ((0, "高"),)
    assert substituted_in("高橋", "00") == ()
    assert substituted_in("高橋", "100") is None  # does not fit: one digit per code point
    assert substituted_in("高橋", "1x") is None
    assert valid_positions("吉", "1") and not valid_positions("吉", "")


def _no_selectors(text: str) -> str:
    return "".join(c for c in text if not is_variation_selector(c))


names = st.text(
    alphabet=st.one_of(
        st.sampled_from(sorted(SUBSTITUTES) + sorted(EQUIVALENTS) + list("高橋一郎　1-")),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=40,
)


@given(names)
@example("髙橋\U000e0100　𠮷")
def test_r_x509_2_property_one_position_per_code_point(text: str) -> None:
    result = certificate_text(text)
    assert valid_positions(result.text, result.positions)
    assert result.positions.count("1") == len(result.substitutions)
    assert len(result.text) == len(_no_selectors(text))  # substitution keeps the length
    for sub in result.substitutions:
        assert result.text[sub.index] == sub.substitute
        assert result.positions[sub.index] == "1"


@given(names)
def test_r_x509_2_property_the_result_is_inside_and_stable(text: str) -> None:
    result = certificate_text(text)
    if result.writable:
        result.text.encode(CERTIFICATE_CODEC)  # every character inside JIS X 0208/0212
        again = certificate_text(result.text)
        assert (again.text, again.in_charset) == (result.text, True)
