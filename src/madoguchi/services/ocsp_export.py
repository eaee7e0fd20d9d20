"""Pre-signed OCSP answers as static files, so a static server or a CDN answers OCSP at its
own rate (RFC 5019 §6: answers without nonce can be cached and served by anyone).

Each current certificate (not yet expired, any status) gives one answer, named by the RFC
5019 GET path of the request a client builds for it: the URL-encoded base64 of the DER
request with a SHA-1 CertID and no nonce (what ``openssl ocsp -issuer … -cert … -no_nonce``
sends; :func:`madoguchi.pki.ocsp.build_request`). The answers are the ones the responder
serves: signed at a status change, at the first request, or here — the answers of
certificates issued since (an issuance does not sign one: services/ca.py) and those with less
than a quarter of their validity left are signed here, in batches (:meth:`OcspResponder.presign`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from madoguchi.pki.ocsp import build_request, get_path
from madoguchi.rules.validity import CertKind
from madoguchi.services.ca_setup import KINDS
from madoguchi.services.domain import status_counter
from madoguchi.services.ocsp_cache import OcspStoreReader
from madoguchi.services.ocsp_service import OcspResponder

#: a status change is looked for again from this long before the export started (a
#: transaction reads the clock a little before it commits)
CHANGE_MARGIN = timedelta(minutes=10)
PAGE = 5_000


class OcspExportReader(OcspStoreReader, Protocol):
    def current(
        self, kind: CertKind, at: datetime, after_seq: int, limit: int
    ) -> list[tuple[int, int, bytes | None, datetime | None]]: ...

    def changed_since(self, kind: CertKind, at: datetime, since: datetime) -> list[int]: ...


def presign_missing(ocsp: OcspResponder, reader: OcspExportReader) -> int:
    """Sign the answers of current certificates that have none yet or whose answer has less
    than a quarter of its validity left (a job to run after issuances, or before serving);
    how many were signed."""
    fresh_for = ocsp.policy.ocsp_validity / 4
    signed = 0
    for kind in KINDS:
        after = 0
        while page := reader.current(kind, ocsp.clock(), after, PAGE):
            now = ocsp.clock()
            due = [
                s for _, s, der, nu in page if der is None or nu is None or nu - now <= fresh_for
            ]
            if due:
                signed += len(ocsp.presign(kind, due))
            after = page[-1][0]
    return signed


@dataclass(frozen=True, slots=True)
class StaticAnswer:
    kind: CertKind
    serial: int
    name: str  # the file name: the URL-encoded base64 of the request (no '/', no '=')
    der: bytes


def static_answers(ocsp: OcspResponder, reader: OcspExportReader) -> Iterator[StaticAnswer]:
    """Every current certificate's answer, page by page (memory stays flat). A status that
    changes while they are read is given again at the end (the later one is the right one),
    until the CA's status counters stand still: the set ends as current as the store."""
    started = ocsp.clock()
    before = reader.counters()
    fresh_for = ocsp.policy.ocsp_validity / 4
    for kind in KINDS:
        authority = ocsp.authorities[kind]
        after = 0
        while page := reader.current(kind, ocsp.clock(), after, PAGE):
            now = ocsp.clock()
            due = [
                s for _, s, der, nu in page if der is None or nu is None or nu - now <= fresh_for
            ]
            signed = ocsp.presign(kind, due) if due else {}
            for seq, serial, der, _ in page:
                request = build_request(authority, serial)
                answer = signed[serial][0] if serial in signed else der
                if answer is None:  # not issued after all: cannot happen, but never a gap
                    answer = ocsp.answer(request)
                yield StaticAnswer(kind, serial, get_path(request), answer)
                after = seq
    for _ in range(10):
        now_counters = reader.counters()
        moved = [k for k in KINDS if now_counters[status_counter(k)] != before[status_counter(k)]]
        if not moved:
            return
        before = now_counters
        for kind in moved:
            authority = ocsp.authorities[kind]
            for serial in reader.changed_since(kind, ocsp.clock(), started - CHANGE_MARGIN):
                request = build_request(authority, serial)
                yield StaticAnswer(kind, serial, get_path(request), ocsp.answer(request))
