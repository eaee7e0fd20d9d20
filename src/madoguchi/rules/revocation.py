"""Which registry events revoke or hold which certificate (SPEC.md §5: R-REV; §10: R-ABROAD-2,
R-FACE-1).

The law: 公的個人認証法 art. 15 (signing: changes of the four basic facts and deletion of the
resident record) and art. 38 (user authentication: death, and a move-out not followed by a
move-in); art. 3-2 (a move abroad, in force 2024-05-27); the Ordinance as amended on
2023-12-15 (the face-authentication card). Reasons map to RFC 5280 CRLReason codes (R-REV-4).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import IntEnum, StrEnum

from madoguchi.rules.errors import InvalidTransition, RuleInputError
from madoguchi.rules.validity import CertKind


class RevocationReason(IntEnum):
    """RFC 5280 §5.3.1 CRLReason (R-REV-4)."""

    UNSPECIFIED = 0
    KEY_COMPROMISE = 1
    CA_COMPROMISE = 2
    AFFILIATION_CHANGED = 3
    SUPERSEDED = 4
    CESSATION_OF_OPERATION = 5
    CERTIFICATE_HOLD = 6
    REMOVE_FROM_CRL = 8
    PRIVILEGE_WITHDRAWN = 9
    AA_COMPROMISE = 10

    @property
    def rfc_name(self) -> str:
        """The ASN.1 name, as openssl prints it (``keyCompromise``)."""
        head, *rest = self.name.lower().split("_")
        name = head + "".join(w.capitalize() for w in rest)
        return (
            name.replace("Crl", "CRL")
            .replace("caCompromise", "cACompromise")
            .replace("aaCompromise", "aACompromise")
        )


class RegistryEvent(StrEnum):
    """Changes that reach the counter from the registry or from the holder (R-REV)."""

    NAME = "name"  # 氏名の変更 (marriage …)
    ADDRESS = "address"  # 住所の変更 (moving within the city)
    BIRTH = "birth"  # 生年月日の訂正
    GENDER = "gender"  # 性別の変更
    MINOR_ADDRESS = "minor_address"  # 住居表示, lot renumbering, district or building renaming
    MINOR_NAME = "minor_name"  # character-form fixes of the name (誤字訂正・字形の修正)
    DEATH = "death"
    MOVE_OUT = "move_out"  # 転出: the resident record ends here
    MOVE_OUT_NO_MOVE_IN = "move_out_no_move_in"  # no 転入 within 30 days of the planned date
    LOST = "lost"  # 紛失: temporary hold
    FOUND = "found"  # a held card found again
    RETURNED = "returned"  # the card returned (返納)
    REPLACED = "replaced"  # the card replaced (再交付・更新)
    REQUEST = "request"  # the holder asks for revocation
    CA_COMPROMISE = "ca_compromise"
    MOVE_ABROAD_CONTINUE = "move_abroad_continue"  # 国外転出, the card kept (国外継続利用)
    MOVE_ABROAD = "move_abroad"  # 国外転出 without continued use: the card lapses
    FACE_AUTH_SWITCH = "face_auth_switch"  # to the face-authentication card

    @property
    def label(self) -> str:
        return REGISTRY_EVENT_LABELS[self]


REGISTRY_EVENT_LABELS: dict[RegistryEvent, str] = {
    RegistryEvent.NAME: "氏名の変更",
    RegistryEvent.ADDRESS: "住所の変更",
    RegistryEvent.BIRTH: "生年月日の変更",
    RegistryEvent.GENDER: "性別の変更",
    RegistryEvent.MINOR_ADDRESS: "住所の軽微な修正（住居表示・地番変更・町名変更・方書など）",
    RegistryEvent.MINOR_NAME: "氏名の字形の修正",
    RegistryEvent.DEATH: "死亡",
    RegistryEvent.MOVE_OUT: "転出",
    RegistryEvent.MOVE_OUT_NO_MOVE_IN: "転出予定日から30日以内に転入がない",
    RegistryEvent.LOST: "カードの紛失",
    RegistryEvent.FOUND: "紛失したカードの発見",
    RegistryEvent.RETURNED: "カードの返納",
    RegistryEvent.REPLACED: "カードの再交付・更新",
    RegistryEvent.REQUEST: "本人の申請による失効",
    RegistryEvent.CA_COMPROMISE: "認証局の鍵の危殆化",
    RegistryEvent.MOVE_ABROAD_CONTINUE: "国外転出（カードの継続利用あり）",
    RegistryEvent.MOVE_ABROAD: "国外転出（カードの継続利用なし）",
    RegistryEvent.FACE_AUTH_SWITCH: "顔認証マイナンバーカードへの切り替え",
}


@dataclass(frozen=True, slots=True)
class RevocationDecision:
    """What an event does to the holder's certificates."""

    revoke: tuple[CertKind, ...]
    hold: tuple[CertKind, ...]
    reason: RevocationReason | None
    #: R-ABROAD-2: a 国外転出者向け `sign` certificate issued before the move-out survives
    spares_abroad_sign: bool = False

    @property
    def changes_anything(self) -> bool:
        return bool(self.revoke or self.hold)


_BOTH = (CertKind.SIGN, CertKind.AUTH)
_SIGN = (CertKind.SIGN,)
_AUTH = (CertKind.AUTH,)
_NONE: tuple[CertKind, ...] = ()
_R = RevocationReason

#: R-REV-1 … R-REV-3 as one table: event → (revoked, held, reason).
REVOCATION_TABLE: dict[RegistryEvent, RevocationDecision] = {
    RegistryEvent.NAME: RevocationDecision(_SIGN, _NONE, _R.AFFILIATION_CHANGED),
    RegistryEvent.ADDRESS: RevocationDecision(_SIGN, _NONE, _R.AFFILIATION_CHANGED),
    RegistryEvent.BIRTH: RevocationDecision(_SIGN, _NONE, _R.AFFILIATION_CHANGED),
    RegistryEvent.GENDER: RevocationDecision(_SIGN, _NONE, _R.AFFILIATION_CHANGED),
    RegistryEvent.MINOR_ADDRESS: RevocationDecision(_NONE, _NONE, None),
    RegistryEvent.MINOR_NAME: RevocationDecision(_NONE, _NONE, None),
    RegistryEvent.MOVE_OUT: RevocationDecision(_SIGN, _NONE, _R.AFFILIATION_CHANGED),
    RegistryEvent.DEATH: RevocationDecision(_BOTH, _NONE, _R.CESSATION_OF_OPERATION),
    RegistryEvent.MOVE_OUT_NO_MOVE_IN: RevocationDecision(_AUTH, _NONE, _R.CESSATION_OF_OPERATION),
    RegistryEvent.LOST: RevocationDecision(_NONE, _BOTH, _R.CERTIFICATE_HOLD),
    RegistryEvent.FOUND: RevocationDecision(_BOTH, _NONE, _R.KEY_COMPROMISE),
    RegistryEvent.RETURNED: RevocationDecision(_BOTH, _NONE, _R.CESSATION_OF_OPERATION),
    RegistryEvent.REPLACED: RevocationDecision(_BOTH, _NONE, _R.SUPERSEDED),
    RegistryEvent.REQUEST: RevocationDecision(_BOTH, _NONE, _R.UNSPECIFIED),
    RegistryEvent.CA_COMPROMISE: RevocationDecision(_BOTH, _NONE, _R.CA_COMPROMISE),
    # R-ABROAD-2: with continued use the domestic `sign` goes, `auth` survives; without it the
    # card ends and both go. R-FACE-1: the face-auth card has no `sign` certificate.
    RegistryEvent.MOVE_ABROAD_CONTINUE: RevocationDecision(
        _SIGN, _NONE, _R.AFFILIATION_CHANGED, spares_abroad_sign=True
    ),
    RegistryEvent.MOVE_ABROAD: RevocationDecision(_BOTH, _NONE, _R.CESSATION_OF_OPERATION),
    RegistryEvent.FACE_AUTH_SWITCH: RevocationDecision(_SIGN, _NONE, _R.CESSATION_OF_OPERATION),
}


def revocation_for(
    event: RegistryEvent, *, kinds: Iterable[CertKind] | None = None
) -> RevocationDecision:
    """R-REV-1, R-REV-2, R-REV-3, R-ABROAD-2, R-FACE-1: the certificates an event revokes or
    holds, and why.

    Signing: revoked on a change of name, birth date, gender or address (not on minor
    corrections) and when the resident record ends (death, move-out). User authentication:
    survives those, revoked on death and when a move-out is not followed by a move-in within
    30 days. Both: at the holder's request (``kinds`` may narrow it to one), when the card is
    returned or replaced, on CA compromise; a lost card's certificates are held, and a found
    card's are revoked, never released (the keys were out of the holder's hands).
    A move abroad with continued use revokes the `sign` certificate with the domestic address
    as of the move-out (``affiliationChanged``; a 国外転出者向け one issued before the move-out
    survives: ``spares_abroad_sign``) and keeps `auth`; without continued use both go
    (``cessationOfOperation``). The switch to a face-authentication card revokes `sign`
    (``cessationOfOperation``) and keeps `auth` (our reading: not re-issued at the switch).
    """
    event = RegistryEvent(event)
    decision = REVOCATION_TABLE[event]
    if kinds is None:
        return decision
    if event is not RegistryEvent.REQUEST:
        raise RuleInputError("kinds_for_event", "only a revocation request may name the kinds")
    named = {CertKind(k) for k in kinds}
    wanted = tuple(k for k in _BOTH if k in named)
    if not wanted:
        raise RuleInputError("no_kinds", "a revocation request names at least one certificate")
    return RevocationDecision(wanted, _NONE, decision.reason)


#: R-REV-2: days after the planned move-out date within which the move-in must follow.
MOVE_IN_GRACE_DAYS = 30


def move_in_deadline(planned_move_out: date) -> date:
    """R-REV-2: the last day a move-in keeps the auth certificate (planned date + 30 days)."""
    return planned_move_out + timedelta(days=MOVE_IN_GRACE_DAYS)


def move_in_overdue(planned_move_out: date, today: date, *, moved_in: bool) -> bool:
    """R-REV-2: True once the deadline passed without a move-in: the auth certificate goes."""
    return not moved_in and today > move_in_deadline(planned_move_out)


class CertStatus(StrEnum):
    """A certificate's status as OCSP reports it (R-REV-4)."""

    GOOD = "good"
    HELD = "held"  # 一時保留: certificateHold on the CRL, revoked in OCSP with that reason
    REVOKED = "revoked"


class StatusChange(StrEnum):
    HOLD = "hold"
    REVOKE = "revoke"
    RELEASE = "release"


#: R-REV-3: a hold is never simply lifted; the only way out of it is revocation.
STATUS_TRANSITIONS: dict[tuple[CertStatus, StatusChange], CertStatus] = {
    (CertStatus.GOOD, StatusChange.HOLD): CertStatus.HELD,
    (CertStatus.GOOD, StatusChange.REVOKE): CertStatus.REVOKED,
    (CertStatus.HELD, StatusChange.REVOKE): CertStatus.REVOKED,
}


def next_status(status: CertStatus, change: StatusChange) -> CertStatus:
    """R-REV-3: the status after ``change``; :class:`InvalidTransition` when the table has none
    (releasing a hold, revoking twice, holding a revoked certificate)."""
    key = (CertStatus(status), StatusChange(change))
    if key not in STATUS_TRANSITIONS:
        raise InvalidTransition(key[0].value, key[1].value)
    return STATUS_TRANSITIONS[key]


def superseded_by_renewal(kinds: Iterable[CertKind]) -> RevocationDecision:
    """R-VAL-4: a renewal revokes the old certificates of the renewed kinds as ``superseded``,
    in the same transaction that records the new ones."""
    named = {CertKind(k) for k in kinds}
    return RevocationDecision(tuple(k for k in _BOTH if k in named), _NONE, _R.SUPERSEDED)
