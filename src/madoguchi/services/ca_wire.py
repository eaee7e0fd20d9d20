"""The RA API's JSON (issue 17): certificates, issuance orders and their requests.

One module for both ends, so the counter's remote adapter and the CA service cannot drift:
binary values are base64, serials lower-case hex, times ISO 8601 with an offset.
"""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Any

from madoguchi.pki.facts import HolderFacts
from madoguchi.pki.records import CertRecord
from madoguchi.rules.revocation import CertStatus, RevocationReason
from madoguchi.rules.validity import CertKind
from madoguchi.services.domain import CardStatus, ResidentStatus
from madoguchi.services.ports import CardResidence, HolderRecord, IssueOrder, IssueRequest

API = "/ra/v1"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def record_json(rec: CertRecord) -> dict[str, Any]:
    return {
        "kind": rec.kind.value,
        "serial": rec.serial_hex,
        "seq": rec.seq,
        "partition": rec.partition,
        "subject_id": rec.subject_id,
        "card_id": rec.card_id,
        "not_before": _time(rec.not_before),
        "not_after": _time(rec.not_after),
        "der": b64(rec.der),
        "status": rec.status.value,
        "status_changed_at": _time(rec.status_changed_at),
        "reason": int(rec.reason) if rec.reason is not None else None,
        "municipality": rec.municipality,
        "status_municipality": rec.status_municipality,
    }


def record_of(data: dict[str, Any]) -> CertRecord:
    not_before = _parse_time(data["not_before"])
    not_after = _parse_time(data["not_after"])
    assert not_before is not None and not_after is not None
    return CertRecord(
        kind=CertKind(data["kind"]),
        serial=int(data["serial"], 16),
        seq=int(data["seq"]),
        partition=int(data["partition"]),
        subject_id=str(data["subject_id"]),
        card_id=data["card_id"],
        not_before=not_before,
        not_after=not_after,
        der=unb64(data["der"]),
        status=CertStatus(data["status"]),
        status_changed_at=_parse_time(data["status_changed_at"]),
        reason=RevocationReason(data["reason"]) if data["reason"] is not None else None,
        municipality=data.get("municipality"),
        status_municipality=data.get("status_municipality"),
    )


def order_json(order: IssueOrder) -> dict[str, Any]:
    """The body of ``POST /ra/v1/issue`` (the municipality is the caller's, not sent)."""
    return {
        "idempotency_key": order.idempotency_key,
        "requests": [
            {
                "kind": r.kind.value,
                "spki": b64(r.spki_der),
                "challenge": b64(r.challenge),
                "pop_signature": b64(r.pop_signature),
                "expires_on": r.expires_on.isoformat(),
                "card_id": r.card_id,
                "facts": None
                if r.facts is None
                else {
                    "name": r.facts.name,
                    "gender": r.facts.gender,
                    "birth": r.facts.birth.isoformat(),
                    "address": r.facts.address,
                },
            }
            for r in order.requests
        ],
        "holder": holder_json(order.holder) if order.holder is not None else None,
    }


def order_of(data: dict[str, Any], municipality: str) -> IssueOrder:
    """An order as the CA service reads it, for the calling ``municipality``."""
    requests = []
    for r in data["requests"]:
        facts = r.get("facts")
        requests.append(
            IssueRequest(
                CertKind(r["kind"]),
                unb64(r["spki"]),
                unb64(r["challenge"]),
                unb64(r["pop_signature"]),
                date.fromisoformat(r["expires_on"]),
                None
                if facts is None
                else HolderFacts.create(
                    facts["name"],
                    facts["gender"],
                    date.fromisoformat(facts["birth"]),
                    facts["address"],
                ),
                r.get("card_id"),
            )
        )
    holder = data.get("holder")
    return IssueOrder(
        tuple(requests),
        municipality,
        str(data["idempotency_key"]),
        None if holder is None else holder_of(holder, municipality),
    )


#: what a holder record may say of the holder and of the card
RESIDENT_STATUSES = frozenset(s.value for s in ResidentStatus)
CARD_STATUSES = frozenset(s.value for s in CardStatus)


def holder_json(holder: HolderRecord) -> dict[str, Any]:
    """A holder as the counter tells it (the municipality is the caller's, not sent)."""
    return {
        "card_id": holder.card_id,
        "resident_ref": holder.resident_ref,
        "name": holder.name,
        "postal_code": holder.postal_code,
        "address": holder.address,
        "card_expires": holder.card_expires.isoformat(),
        "limited_by_stay": holder.limited_by_stay,
        "resident_status": holder.resident_status,
        "card_status": holder.card_status,
    }


def holder_of(data: dict[str, Any], municipality: str) -> HolderRecord:
    """A holder as the CA service reads it, told by ``municipality``; ValueError, KeyError or
    TypeError for anything malformed (422 ``malformed_request``)."""
    holder = HolderRecord(
        card_id=str(data["card_id"]),
        municipality=municipality,
        resident_ref=str(data["resident_ref"]),
        name=str(data["name"]).strip(),
        postal_code=str(data["postal_code"]),
        address=str(data["address"]).strip(),
        card_expires=date.fromisoformat(str(data["card_expires"])),
        limited_by_stay=bool(data["limited_by_stay"]),
        resident_status=str(data["resident_status"]),
        card_status=str(data["card_status"]),
    )
    limits = (
        (holder.card_id, 64),
        (holder.resident_ref, 64),
        (holder.name, 100),
        (holder.address, 200),
    )
    if any(not text or len(text) > most for text, most in limits):
        raise ValueError("a holder's field is empty or too long")
    if len(holder.postal_code) > 8:
        raise ValueError("postal code too long")
    if holder.resident_status not in RESIDENT_STATUSES or holder.card_status not in CARD_STATUSES:
        raise ValueError("unknown status")
    return holder


def residence_json(residence: CardResidence) -> dict[str, Any]:
    """What the CA knows of a card's move (R-NAT-3)."""
    planned = residence.planned_move_out
    return {
        "card_id": residence.card_id,
        "municipality": residence.municipality,
        "moved_out_from": residence.moved_out_from,
        "planned_move_out": planned.isoformat() if planned is not None else None,
        "moved_out_at": _time(residence.moved_out_at),
        "moved_in_at": _time(residence.moved_in_at),
        "lapsed_at": _time(residence.lapsed_at),
    }
