"""SPEC.md §4: the procedures P1–P5, their visits and items; R-PROC-1 ID documents."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.rules.items import IdDocumentKind, IdRole, Item, id_documents_accepted
from madoguchi.rules.procedures import (
    PROCEDURES,
    Applicant,
    ProcedureId,
    Purpose,
    Step,
    checklist,
    evaluate_visit,
    select_procedure,
)

I = Item  # noqa: E741 - short alias for the tables


@pytest.mark.parametrize(
    ("purpose", "applicant", "notice", "pin_known", "expected_id", "expected"),
    [
        ("new", "self", False, True, "P1", [("issue", [I.CARD, I.HOLDER_PIN])]),
        ("new", "self", False, False, "P1", [("issue", [I.CARD, I.HOLDER_ID])]),
        (
            "new",
            "proxy",
            False,
            False,
            "P2",
            [
                ("request", [I.CARD, I.PROXY_ID]),
                ("issue", [I.INQUIRY_LETTER, I.POWER_OF_ATTORNEY, I.CARD, I.PROXY_ID]),
            ],
        ),
        ("renewal", "self", False, True, "P3", [("issue", [I.CARD, I.HOLDER_PIN])]),
        ("renewal", "self", True, True, "P3", [("issue", [I.CARD, I.HOLDER_PIN, I.EXPIRY_NOTICE])]),
        ("renewal", "self", True, False, "P3", [("issue", [I.CARD, I.HOLDER_ID, I.EXPIRY_NOTICE])]),
        (
            "renewal",
            "proxy",
            True,
            False,
            "P4",
            [
                (
                    "issue",
                    [I.CARD, I.EXPIRY_NOTICE, I.INQUIRY_REPLY, I.POWER_OF_ATTORNEY, I.PROXY_ID],
                ),
            ],
        ),
        (
            "renewal",
            "proxy",
            False,
            True,
            "P5",
            [
                ("request", [I.CARD, I.HOLDER_ID, I.PROXY_ID]),
                ("issue", [I.INQUIRY_LETTER, I.POWER_OF_ATTORNEY, I.CARD, I.PROXY_ID]),
            ],
        ),
    ],
)
def test_procedures_table_of_spec_section_4(
    purpose: str,
    applicant: str,
    notice: bool,
    pin_known: bool,
    expected_id: str,
    expected: list[tuple[str, list[Item]]],
) -> None:
    proc = select_procedure(Purpose(purpose), Applicant(applicant), notice=notice)
    assert proc.id == ProcedureId(expected_id)
    visits = checklist(proc, pin_known=pin_known, notice=notice)
    assert [(v.step.value, list(v.items)) for v in visits] == expected
    assert [v.number for v in visits] == list(range(1, len(expected) + 1))


def test_two_visit_procedures_mail_an_inquiry_letter_after_the_first() -> None:
    for pid in (ProcedureId.P2, ProcedureId.P5):
        proc = PROCEDURES[pid]
        assert proc.two_visits
        assert proc.visits[0].step is Step.REQUEST
        assert "照会書を郵送" in proc.visits[0].outcome
    for pid in (ProcedureId.P1, ProcedureId.P3, ProcedureId.P4):
        assert not PROCEDURES[pid].two_visits


@given(st.sampled_from(Purpose), st.sampled_from(Applicant), st.booleans(), st.booleans())
def test_property_every_visit_needs_the_card(
    purpose: Purpose, applicant: Applicant, notice: bool, pin_known: bool
) -> None:
    proc = select_procedure(purpose, applicant, notice=notice)
    visits = checklist(proc, pin_known=pin_known, notice=notice)
    assert visits[-1].step is Step.ISSUE
    for visit in visits:
        assert Item.CARD in visit.items
        assert len(set(visit.items)) == len(visit.items)
        assert evaluate_visit(proc.visit(visit.number), visit.items).complete
    if applicant is Applicant.PROXY:
        assert all(Item.PROXY_ID in v.items for v in visits)
        assert Item.HOLDER_PIN not in {i for v in visits for i in v.items}


def test_evaluate_visit_tells_exactly_what_is_missing() -> None:
    p1 = PROCEDURES[ProcedureId.P1].visit(1)
    check = evaluate_visit(p1, [Item.CARD])
    assert not check.complete
    assert [r.options for r in check.missing] == [(Item.HOLDER_PIN, Item.HOLDER_ID)]
    assert "住民基本台帳用暗証番号" in check.message
    assert "本人確認書類" in check.message
    assert evaluate_visit(p1, [Item.CARD, Item.HOLDER_ID]).complete
    # the expiry notice is optional in P3: never blocks
    assert evaluate_visit(
        PROCEDURES[ProcedureId.P3].visit(1), [Item.CARD, Item.HOLDER_PIN]
    ).complete
    p4 = PROCEDURES[ProcedureId.P4].visit(1)
    missing = evaluate_visit(p4, [Item.CARD, Item.PROXY_ID]).missing
    assert [r.options[0] for r in missing] == [
        Item.EXPIRY_NOTICE,
        Item.INQUIRY_REPLY,
        Item.POWER_OF_ATTORNEY,
    ]


D = IdDocumentKind


@pytest.mark.parametrize(
    ("role", "docs", "accepted"),
    [
        ("holder", [D.DRIVERS_LICENSE], True),
        ("holder", [D.HEALTH_INSURANCE], True),  # one of either
        ("holder", [], False),
        ("holder", [D.MY_NUMBER_CARD], False),  # the card is the card, not an ID
        ("proxy", [D.DRIVERS_LICENSE], True),
        ("proxy", [D.MY_NUMBER_CARD], True),  # the proxy's own card is a photo ID
        ("proxy", [D.HEALTH_INSURANCE], False),  # one non-photo is not enough
        ("proxy", [D.HEALTH_INSURANCE, D.PENSION_BOOK], True),
        ("proxy", [D.HEALTH_INSURANCE, D.HEALTH_INSURANCE], False),  # same kind twice
        ("proxy", [], False),
    ],
)
def test_r_proc_1_id_documents(role: str, docs: list[IdDocumentKind], accepted: bool) -> None:
    result = id_documents_accepted(IdRole(role), docs)
    assert result.accepted is accepted
    assert result.message


@given(st.lists(st.sampled_from(IdDocumentKind), max_size=4))
def test_r_proc_1_property_proxy_rule(docs: list[IdDocumentKind]) -> None:
    kinds = set(docs)
    expected = any(k.photo for k in kinds) or len(kinds) >= 2
    assert id_documents_accepted(IdRole.PROXY, docs).accepted is expected
    # whatever a proxy may show, the holder may too (the holder's rule is weaker)
    if expected and kinds - {IdDocumentKind.MY_NUMBER_CARD}:
        assert id_documents_accepted(IdRole.HOLDER, docs).accepted
