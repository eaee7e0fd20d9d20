"""The verdict's reasons in the order that matters, and the trust anchors a relying party
gives (files or directories, PEM or DER; nothing that is not a CA certificate)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from madoguchi.relying.certcheck import CertCheck
from madoguchi.relying.errors import TrustError
from madoguchi.relying.messages import VERDICT_MESSAGES
from madoguchi.relying.trust import CertificateFacts, load_anchors
from madoguchi.relying.verdict import SignatureVerdict, Verdict
from tests.unit.relying.conftest import Ca, SoftwareCard

MOMENT = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
FACTS = CertificateFacts("1a", "CN=CA", "CN=S", date(2026, 1, 1), date(2031, 1, 1), "sign")


def verdict(
    *,
    signature_ok: bool = True,
    modified: bool = False,
    status: str | None = "good",
    coverage: str = "whole",
) -> SignatureVerdict:
    now = CertCheck(status, MOMENT) if status is not None else None
    return SignatureVerdict(
        format="pdf",
        signature_ok=signature_ok,
        modified=modified,
        certificate=FACTS,
        signer=None,
        now=now,
        at_signing=None,
        signed_at=None,
        coverage=coverage,
    )


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({}, None),
        ({"modified": True, "status": "revoked"}, "modified"),  # a change first, always
        ({"signature_ok": False, "status": "revoked"}, "bad_signature"),
        ({"coverage": "partial", "status": "revoked"}, "partial_coverage"),
        ({"status": None}, "bad_signature"),
        ({"status": "revoked"}, "revoked"),
        ({"status": "expired"}, "expired"),
        ({"status": "revocation_unavailable"}, "revocation_unavailable"),
        ({"status": "untrusted"}, "untrusted"),
        ({"status": "wrong_usage"}, "wrong_usage"),
    ],
)
def test_the_reason_of_a_verdict(kwargs: dict[str, object], reason: str | None) -> None:
    one = verdict(**kwargs)  # type: ignore[arg-type]
    assert one.reason == reason
    assert one.valid is (reason is None)
    assert one.message == VERDICT_MESSAGES[reason or "valid"]
    assert one.revoked is (kwargs.get("status") == "revoked")  # said even when not the reason


def test_a_file_is_valid_when_every_signature_is() -> None:
    both = Verdict("pdf", (verdict(), verdict(status="revoked")))
    assert not both.valid
    assert both.reason == "revoked"
    data = both.to_json()
    assert data["valid"] is False
    assert [s["reason"] for s in data["signatures"]] == [None, "revoked"]
    assert data["revocation"]["now"]["status"] == "good"  # the first signature's keys on top
    undecided = Verdict("xml", (verdict(status="revocation_unavailable"),))
    assert undecided.indeterminate
    assert not Verdict("pdf", ()).valid


def test_anchors_from_files_and_directories(tmp_path: Path, ca: Ca, other_ca: Ca) -> None:
    (tmp_path / "a.pem").write_bytes(ca.pem)
    (tmp_path / "b.der").write_bytes(other_ca.cert.public_bytes(Encoding.DER))
    (tmp_path / "notes.txt").write_text("ignored: not a certificate file name")
    both = tmp_path / "both.pem"
    both.write_bytes(ca.pem + other_ca.pem)
    assert load_anchors([tmp_path / "a.pem"]) == [ca.cert]
    assert load_anchors([tmp_path]) == [ca.cert, other_ca.cert, ca.cert, other_ca.cert]
    assert load_anchors([both]) == [ca.cert, other_ca.cert]


def test_what_is_no_anchor(tmp_path: Path, card: SoftwareCard) -> None:
    (tmp_path / "ee.der").write_bytes(card.certificate)
    (tmp_path / "junk.pem").write_text(
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    )
    (tmp_path / "empty").mkdir()
    for path in ("ee.der", "junk.pem", "missing.pem", "empty"):
        with pytest.raises(TrustError) as caught:
            load_anchors([tmp_path / path])
        assert caught.value.code == "bad_trust_anchor"
