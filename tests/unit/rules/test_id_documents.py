"""R-ID-1, R-ID-2, R-ID-3: ID documents by code and group, the combination rule, and the end
of the health-insurance card."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.rules.errors import RuleInputError
from madoguchi.rules.id_documents import (
    DEFAULT_ID_RULE,
    HEALTH_INSURANCE_CARD_LAST_DAY,
    PHOTO_ONLY_PROXY_RULE,
    IdDocument,
    IdGroup,
    IdRefusal,
    documents_of_group,
    health_insurance_card_accepted,
    id_check,
    parse_id_documents,
    resident_facing,
)
from madoguchi.rules.items import IdRole

ON = date(2026, 1, 10)


@pytest.mark.parametrize(
    ("group", "codes"),
    [
        (
            IdGroup.A,
            [
                "driver_license",
                "driving_record",
                "passport",
                "my_number_card",
                "residence_card",
                "special_permanent_resident_certificate",
                "disability_certificate",
                "public_photo_id",
            ],
        ),
        (
            IdGroup.B_PUBLIC,
            [
                "qualification_certificate",
                "health_insurance_card",
                "care_insurance_card",
                "pension_document",
                "medical_benefit_certificate",
                "welfare_certificate",
            ],
        ),
        (
            IdGroup.B_OTHER,
            [
                "student_id",
                "employee_id",
                "bank_book",
                "bank_card",
                "patient_card",
                "other_named_document",
            ],
        ),
    ],
)
def test_r_id_1_codes_and_groups_are_spec_s(group: IdGroup, codes: list[str]) -> None:
    assert [d.value for d in documents_of_group(group)] == codes
    assert all(IdDocument(c).label for c in codes)


def test_r_id_1_every_document_has_one_group() -> None:
    assert sum(len(documents_of_group(g)) for g in IdGroup) == len(IdDocument) == 20


def test_r_id_1_unknown_code_is_an_input_error() -> None:
    with pytest.raises(RuleInputError) as err:
        parse_id_documents(["passport", "drivers_license"])
    assert err.value.code == "unknown_id_document"


@pytest.mark.parametrize(
    ("who", "docs", "accepted", "reason"),
    [
        # R-ID-2 holder: one A, or one B-public
        ("holder", ["driver_license"], True, None),
        ("holder", ["qualification_certificate"], True, None),
        ("holder", ["pension_document"], True, None),
        ("holder", ["student_id"], False, "public_document_needed"),
        ("holder", ["student_id", "bank_card"], False, "public_document_needed"),
        ("holder", [], False, "no_documents"),
        ("holder", ["my_number_card"], False, "no_documents"),  # the card itself, not an ID
        # R-ID-2 proxy: one A, or two B of different codes, one at least B-public
        ("proxy", ["passport"], True, None),
        ("proxy", ["my_number_card"], True, None),  # the proxy's own card is a photo ID
        ("proxy", ["qualification_certificate", "student_id"], True, None),
        ("proxy", ["qualification_certificate", "pension_document"], True, None),
        ("proxy", ["qualification_certificate"], False, "second_document_needed"),
        ("proxy", ["pension_document", "pension_document"], False, "second_document_needed"),
        ("proxy", ["student_id", "patient_card"], False, "public_document_needed"),
        ("proxy", ["student_id"], False, "public_document_needed"),
        ("proxy", [], False, "no_documents"),
    ],
)
def test_r_id_2_default_combination_rule(
    who: str, docs: list[str], accepted: bool, reason: str | None
) -> None:
    result = id_check(IdRole(who), docs, on=ON)
    assert result.accepted is accepted
    assert (result.reason.value if result.reason else None) == reason
    assert result.message


def test_r_id_2_the_combination_rule_is_configuration() -> None:
    docs = ["qualification_certificate", "student_id"]
    assert id_check(IdRole.PROXY, docs, on=ON, rule=DEFAULT_ID_RULE).accepted
    strict = id_check(IdRole.PROXY, docs, on=ON, rule=PHOTO_ONLY_PROXY_RULE)
    assert (strict.accepted, strict.reason) == (False, IdRefusal.PHOTO_ID_NEEDED)
    assert id_check(IdRole.PROXY, ["passport"], on=ON, rule=PHOTO_ONLY_PROXY_RULE).accepted


@pytest.mark.parametrize(
    ("who", "docs", "on", "accepted", "reason"),
    [
        ("holder", ["health_insurance_card"], date(2025, 12, 1), True, None),  # the last day
        (
            "holder",
            ["health_insurance_card"],
            date(2025, 12, 2),
            False,
            "health_insurance_card_ended",
        ),
        ("holder", ["qualification_certificate"], date(2025, 12, 2), True, None),
        ("proxy", ["health_insurance_card", "student_id"], date(2025, 11, 1), True, None),
        (
            "proxy",
            ["health_insurance_card", "student_id"],
            date(2026, 1, 10),
            False,
            "health_insurance_card_ended",
        ),
        ("proxy", ["health_insurance_card", "passport"], date(2026, 1, 10), True, None),
    ],
)
def test_r_id_3_health_insurance_card_ends_on_2025_12_01(
    who: str, docs: list[str], on: date, accepted: bool, reason: str | None
) -> None:
    result = id_check(IdRole(who), docs, on=on)
    assert result.accepted is accepted
    assert (result.reason.value if result.reason else None) == reason
    card_given = "health_insurance_card" in docs
    ended = card_given and on > HEALTH_INSURANCE_CARD_LAST_DAY
    assert (IdDocument.HEALTH_INSURANCE_CARD in result.not_counted) is ended
    assert (IdDocument.HEALTH_INSURANCE_CARD in result.counted) is (card_given and not ended)


def test_r_id_3_the_refusal_names_the_qualification_certificate() -> None:
    result = id_check(IdRole.HOLDER, ["health_insurance_card"], on=date(2026, 1, 10))
    assert "資格確認書" in result.message and "健康保険証" in result.message
    accepted = id_check(IdRole.PROXY, ["health_insurance_card", "passport"], on=date(2026, 1, 10))
    assert any("資格確認書" in n for n in accepted.notes)  # why it did not count


def test_r_id_3_an_earlier_printed_expiry_ends_the_card_sooner() -> None:
    assert health_insurance_card_accepted(date(2025, 6, 30), printed_expiry=date(2025, 7, 31))
    assert not health_insurance_card_accepted(date(2025, 8, 1), printed_expiry=date(2025, 7, 31))
    assert not health_insurance_card_accepted(date(2025, 12, 2), printed_expiry=date(2026, 3, 31))
    result = id_check(
        IdRole.HOLDER,
        ["health_insurance_card"],
        on=date(2025, 8, 1),
        health_card_printed_expiry=date(2025, 7, 31),
    )
    assert result.reason is IdRefusal.HEALTH_INSURANCE_CARD_ENDED


def test_r_id_3_lists_for_residents_name_no_health_insurance_card() -> None:
    shown = resident_facing(documents_of_group(IdGroup.B_PUBLIC))
    assert IdDocument.HEALTH_INSURANCE_CARD not in shown
    assert IdDocument.QUALIFICATION_CERTIFICATE in shown


documents = st.lists(st.sampled_from(IdDocument), max_size=5)
roles = st.sampled_from(IdRole)
days = st.dates(date(2024, 1, 1), date(2027, 12, 31))


@given(roles, documents, days)
def test_r_id_2_property_order_and_repeats_do_not_matter(
    who: IdRole, docs: list[IdDocument], on: date
) -> None:
    once = id_check(who, docs, on=on)
    assert id_check(who, list(reversed(docs)) + docs, on=on) == once


@given(roles, documents, st.sampled_from(IdDocument), days)
def test_r_id_2_property_one_more_document_never_refuses(
    who: IdRole, docs: list[IdDocument], extra: IdDocument, on: date
) -> None:
    if id_check(who, docs, on=on).accepted:
        assert id_check(who, [*docs, extra], on=on).accepted


@given(roles, documents, days)
def test_r_id_2_property_a_photo_id_always_suffices(
    who: IdRole, docs: list[IdDocument], on: date
) -> None:
    assert id_check(who, [*docs, IdDocument.PASSPORT], on=on).accepted


def test_r_id_1_records_with_the_old_codes_are_read() -> None:
    from madoguchi.rules.id_documents import FROM_LEGACY_CODES, from_legacy_code
    from madoguchi.rules.items import IdDocumentKind

    assert set(FROM_LEGACY_CODES) == {k.value for k in IdDocumentKind}
    for old in IdDocumentKind:  # a photo ID stays a photo ID, a non-photo one does not become one
        assert (from_legacy_code(old.value).group is IdGroup.A) is old.photo
    assert from_legacy_code("pension_book") is from_legacy_code("pension_certificate")
    assert from_legacy_code("qualification_certificate") is IdDocument.QUALIFICATION_CERTIFICATE
    with pytest.raises(RuleInputError):
        from_legacy_code("library_card")
