"""R-X509-2: an error that carries data (the character with no substitute) is said with that
data, in Japanese and on English pages — never with its placeholders showing."""

from __future__ import annotations

from madoguchi.pki.errors import UnsupportedCharacter
from madoguchi.web import i18n
from madoguchi.web.errors import message_of, status_of


def test_r_x509_2_the_message_names_the_character_in_japanese_and_english() -> None:
    exc = UnsupportedCharacter("name", "😀")
    assert status_of(exc) == 422
    ja = message_of(exc)
    assert "氏名の「😀」（U+1F600）" in ja and "{" not in ja
    token = i18n.current_locale.set("en")
    try:
        en = message_of(exc)
    finally:
        i18n.current_locale.reset(token)
    assert "“😀” (U+1F600)" in en and "{" not in en
