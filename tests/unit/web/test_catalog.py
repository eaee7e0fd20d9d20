"""English through Babel (issue 5): every Japanese text of the pages has an English
translation in the catalog, and the compiled catalog the pages load matches it."""

from __future__ import annotations

from madoguchi.web import catalog, i18n


def test_every_message_of_the_pages_is_in_the_catalog_and_translated() -> None:
    po = catalog.load_po()
    wanted = {m.id for m in catalog.extracted() if m.id}
    missing = sorted(wanted - {m.id for m in po if m.id})
    assert missing == [], f"run `python -m madoguchi.web.catalog update`: {missing[:5]}"
    untranslated = sorted(m.id for m in po if m.id and m.id in wanted and not m.string)
    assert untranslated == [], f"translate in {catalog.PO}: {untranslated[:5]}"


def test_compiled_catalog_matches_the_po_file() -> None:
    assert catalog.MO.read_bytes() == catalog.compiled(catalog.load_po()), (
        "run `python -m madoguchi.web.catalog compile`"
    )


def test_english_translation_is_used_and_japanese_is_the_default() -> None:
    token = i18n.current_locale.set("en")
    try:
        assert i18n.gettext("ログイン") == "Log in"
        assert (
            i18n.wareki(__import__("datetime").date(2026, 11, 24)) == "November 24, 2026 (Reiwa 8)"
        )
    finally:
        i18n.current_locale.reset(token)
    assert i18n.gettext("ログイン") == "ログイン"
    assert i18n.wareki(__import__("datetime").date(2026, 11, 24)) == "令和8年11月24日（2026-11-24）"


def test_locale_choice() -> None:
    assert i18n.pick_locale("en", None) == "en"
    assert i18n.pick_locale(None, "en") == "en"
    assert i18n.pick_locale("fr", None) == "ja"
    assert i18n.pick_locale(None, None) == "ja"
