"""The OCSP answers kept in memory (services/ocsp_cache.py): served only while the counters
that guard them stand still (R-REV-4), a CA's known and unknown serials invalidated apart,
refreshed in time, bounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from madoguchi.rules.validity import CertKind
from madoguchi.services.domain import issue_counter, status_counter
from madoguchi.services.ocsp_cache import OcspMemory, counters

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=18)
SIGN, AUTH = CertKind.SIGN, CertKind.AUTH


class FakeCounters:
    """The store's counters, moved by hand; counts how often they are read."""

    def __init__(self) -> None:
        self.values = dict.fromkeys(counters((SIGN, AUTH)), 0)
        self.reads = 0

    def __call__(self) -> dict[str, int]:
        self.reads += 1
        return dict(self.values)

    def bump(self, name: str) -> None:
        self.values[name] += 1


def memory(capacity: int = 10) -> tuple[OcspMemory, FakeCounters]:
    store = FakeCounters()
    return OcspMemory(store, capacity), store


def keep(m: OcspMemory, store: FakeCounters, kind: CertKind, serial: int, *, known: bool = True):
    """What the responder does on a miss: sync, name the request, read (tagged), put."""
    key = (kind, serial, "sha1")
    request = f"req-{kind.value}-{serial}".encode()
    m.sync()
    m.name(request, key)
    counter = status_counter(kind) if known else issue_counter(kind)
    m.put(key, f"answer-{kind.value}-{serial}".encode(), LATER, counter, store.values[counter])
    return request


def test_a_request_never_seen_is_not_answered_and_costs_no_read() -> None:
    m, store = memory()
    assert m.lookup(b"never seen", NOW) is None
    assert store.reads == 0


def test_a_request_seen_before_is_answered_from_memory_after_reading_the_counters() -> None:
    m, store = memory()
    request = keep(m, store, SIGN, 1)
    reads = store.reads
    assert m.lookup(request, NOW) == b"answer-sign-1"
    assert store.reads == reads + 1  # every answer from memory reads the counters first


def test_r_rev_4_a_status_change_anywhere_drops_that_cas_answers_at_once() -> None:
    m, store = memory()
    sign1, sign2 = keep(m, store, SIGN, 1), keep(m, store, SIGN, 2)
    auth1 = keep(m, store, AUTH, 1)
    store.bump(status_counter(SIGN))  # another process revoked a signing certificate
    assert m.lookup(sign1, NOW) is None
    assert m.lookup(sign2, NOW) is None
    assert m.lookup(auth1, NOW) == b"answer-auth-1"  # the other CA's answers stay


def test_an_issuance_drops_only_the_unknown_answers() -> None:
    m, store = memory()
    known = keep(m, store, SIGN, 1)
    unknown = keep(m, store, SIGN, 99, known=False)
    assert m.lookup(unknown, NOW) == b"answer-sign-99"
    store.bump(issue_counter(SIGN))  # serial 99 may exist now
    assert m.lookup(unknown, NOW) is None
    assert m.lookup(known, NOW) == b"answer-sign-1"


def test_an_answer_read_before_a_change_is_not_kept() -> None:
    m, store = memory()
    key = (SIGN, 1, "sha1")
    m.sync()
    read_under = store.values[status_counter(SIGN)]  # the responder reads the store …
    store.bump(status_counter(SIGN))  # … a revocation commits …
    m.sync()  # … and another request has seen it
    m.name(b"r", key)
    m.put(key, b"old good", LATER, status_counter(SIGN), read_under)
    assert m.get(key, NOW) is None


def test_the_counters_are_read_again_for_every_answer() -> None:
    m, store = memory()
    request = keep(m, store, SIGN, 1)
    for _ in range(3):
        assert m.lookup(request, NOW) is not None
    store.bump(status_counter(SIGN))
    assert m.lookup(request, NOW) is None


def test_an_answer_is_refreshed_when_its_time_comes() -> None:
    m, store = memory()
    request = keep(m, store, SIGN, 1)
    assert m.lookup(request, LATER - timedelta(seconds=1)) is not None
    assert m.lookup(request, LATER) is None
    assert len(m) == 0


def test_memory_is_bounded_least_recently_used_first_out() -> None:
    m, store = memory(capacity=2)
    first, second = keep(m, store, SIGN, 1), keep(m, store, SIGN, 2)
    assert m.lookup(first, NOW) is not None  # 1 is now the most recent
    third = keep(m, store, SIGN, 3)
    assert m.lookup(second, NOW) is None
    assert m.lookup(first, NOW) is not None and m.lookup(third, NOW) is not None
    assert len(m) == 2


def test_capacity_zero_keeps_nothing() -> None:
    m, store = memory(capacity=0)
    request = keep(m, store, SIGN, 1)
    assert m.lookup(request, NOW) is None
    assert len(m) == 0


class FakeAnswers:
    """The store's pre-signed answers (SHA-1 CertIDs of issued certificates)."""

    def __init__(self) -> None:
        self.answers: dict[tuple[CertKind, int], tuple[bytes, datetime]] = {}
        self.reads = 0

    def __call__(self, kind: CertKind, serial: int) -> tuple[bytes, datetime] | None:
        self.reads += 1
        return self.answers.get((kind, serial))


def rereading() -> tuple[OcspMemory, FakeCounters, FakeAnswers]:
    store, answers = FakeCounters(), FakeAnswers()
    m = OcspMemory(store, 10, presigned=answers, fresh_for=timedelta(hours=6))
    return m, store, answers


def test_after_a_status_change_a_sha1_answer_is_read_again_from_the_store() -> None:
    m, store, answers = rereading()
    revoked, bystander = keep(m, store, SIGN, 1), keep(m, store, SIGN, 2)
    answers.answers[(SIGN, 1)] = (b"revoked-1", NOW + timedelta(hours=24))
    answers.answers[(SIGN, 2)] = (b"answer-sign-2", NOW + timedelta(hours=24))
    store.bump(status_counter(SIGN))  # another process revoked serial 1
    assert m.lookup(revoked, NOW) == b"revoked-1"  # never the old `good`
    assert m.lookup(bystander, NOW) == b"answer-sign-2"
    assert answers.reads == 2
    assert m.lookup(revoked, NOW) == b"revoked-1"  # checked once: from memory again
    assert answers.reads == 2 and m.rereads == 2


def test_a_read_again_answer_missing_or_near_its_next_update_is_not_served() -> None:
    m, store, answers = rereading()
    gone, old = keep(m, store, SIGN, 1), keep(m, store, SIGN, 2)
    answers.answers[(SIGN, 2)] = (b"old", NOW + timedelta(hours=5))  # under a quarter left
    store.bump(status_counter(SIGN))
    assert m.lookup(gone, NOW) is None
    assert m.lookup(old, NOW) is None
    assert len(m) == 0


def test_answers_the_store_does_not_keep_are_dropped_on_a_status_change() -> None:
    m, store, answers = rereading()
    key = (SIGN, 1, "sha256")  # SHA-256 CertIDs are signed on demand, not kept in the store
    m.sync()
    m.name(b"sha256 request", key)
    m.put(key, b"answer", LATER, status_counter(SIGN), store.values[status_counter(SIGN)])
    assert m.lookup(b"sha256 request", NOW) == b"answer"
    store.bump(status_counter(SIGN))
    assert m.lookup(b"sha256 request", NOW) is None
    assert answers.reads == 0
