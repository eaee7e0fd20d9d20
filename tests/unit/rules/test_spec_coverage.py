"""Every rule of SPEC.md §2–§7 (issue 2) and of §10, the rules of 2026 (issue 16), has a test
that names its id, and is named in the rules layer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SPEC = ROOT.parent / "shared" / "SPEC.md"
#: R-VAL-3, R-X509-2: letters, then letters or digits (X509), then the number
RULE_ID = re.compile(r"\bR-[A-Z][A-Z0-9]*-\d+\b")


def _spec_text() -> str:
    if not SPEC.exists():
        pytest.fail(f"{SPEC} is missing: the project is checked out with ../shared beside it")
    return SPEC.read_text(encoding="utf-8")


def _section(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end)]


def rule_ids_of_sections_2_to_7(text: str) -> set[str]:
    return set(RULE_ID.findall(_section(text, "## 2.", "## 8.")))


def rule_ids_of_section_10(text: str) -> set[str]:
    return set(RULE_ID.findall(_section(text, "## 10.", "## 11.")))


def _test_sources() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py"))


def _rules_sources() -> str:
    return "\n".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "src/madoguchi/rules").rglob("*.py")
    )


def _missing_tests(ids: set[str]) -> list[str]:
    tests = _test_sources()
    return sorted(
        rid for rid in ids if rid not in tests and rid.lower().replace("-", "_") not in tests
    )


def test_every_rule_of_sections_2_to_7_has_a_test_naming_it() -> None:
    ids = rule_ids_of_sections_2_to_7(_spec_text())
    assert len(ids) >= 30
    missing = _missing_tests(ids)
    assert not missing, f"rules without a test naming them: {missing}"


def test_every_rule_id_appears_in_the_rules_layer() -> None:
    ids = rule_ids_of_sections_2_to_7(_spec_text())
    source = _rules_sources()
    missing = sorted(rid for rid in ids if rid not in source)
    assert not missing, f"rules not named in any docstring of madoguchi.rules: {missing}"


def test_section_10_rule_ids_are_found() -> None:
    ids = rule_ids_of_section_10(_spec_text())
    for rid in ("R-ID-1", "R-ABROAD-3", "R-FACE-2", "R-CARD-4", "R-NOTICE-5", "R-FEE-2"):
        assert rid in ids
    assert "R-X509-2" in ids  # the id with digits in its name
    assert len(ids) >= 17


def test_every_rule_of_section_10_has_a_test_naming_it() -> None:
    missing = _missing_tests(rule_ids_of_section_10(_spec_text()))
    assert not missing, f"rules of §10 without a test naming them: {missing}"


def test_every_rule_of_section_10_appears_in_the_rules_layer() -> None:
    source = _rules_sources()
    missing = sorted(rid for rid in rule_ids_of_section_10(_spec_text()) if rid not in source)
    assert not missing, f"rules of §10 not named in any docstring of madoguchi.rules: {missing}"
