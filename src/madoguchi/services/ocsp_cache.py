"""Signed OCSP answers in memory: the responder's hot path is a dictionary lookup.

An answer is kept under its CertID (CA, serial, hash algorithm), and the exact bytes of a
request without nonce are remembered as naming that CertID, so a request seen before is
answered without parsing, signing or touching the store (RFC 5019 clients ask with the same
bytes every time).

Invalidation (R-REV-4: OCSP answers ``revoked`` at once): the CA increments
``status-gen:<kind>`` in the transaction of every hold and revocation, and
``issue-seq:<kind>`` with every issuance. Before any answer is served from memory, those
counters are read (one small ``SELECT`` on a dedicated connection,
:class:`~madoguchi.store.ocsp_reader.OcspReader`), so a change committed by any process —
another worker, the CLI — is seen by the very next request:

- each answer carries the value of its counter when it was read or signed; an answer whose
  counter has moved since is not served as it is. A SHA-1 answer of an issued certificate is
  read again from the store (its pre-signed answer, by primary key, no transaction: the
  revoked one if it was revoked), the others are dropped. So a revocation costs each
  process one indexed read per answer it serves afterwards, not a signature nor a session;
- an answer read from the store is kept only if its counter still has the value this cache
  last saw, so an answer read before a change can never be served after it.

Entries are refreshed a quarter of the validity before ``nextUpdate``; each counter's group
holds at most ``capacity`` answers, and as many request names are kept, least recently used
first out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from madoguchi.rules.validity import CertKind
from madoguchi.services.domain import issue_counter, status_counter

#: (CA, serial, CertID hash algorithm name)
CertIdKey = tuple[CertKind, int, str]
Probe = Callable[[], Mapping[str, int]]
Presigned = Callable[[CertKind, int], "tuple[bytes, datetime] | None"]


class OcspStoreReader(Protocol):
    """The store's cheap reads for the responder (no unit of work, no write lock)."""

    def counters(self) -> Mapping[str, int]:
        """The values of the counters named at construction."""
        ...

    def presigned(self, kind: CertKind, serial: int) -> tuple[bytes, datetime] | None:
        """The answer pre-signed for a SHA-1 CertID and its nextUpdate, if any."""
        ...


def counters(kinds: tuple[CertKind, ...]) -> list[str]:
    return [name for k in kinds for name in (status_counter(k), issue_counter(k))]


@dataclass(frozen=True, slots=True)
class _Entry:
    der: bytes
    refresh_at: datetime
    generation: int  # the value of the entry's counter when it was read or signed


class OcspMemory:
    """The in-memory answers of one process (thread-safe; cheap enough for an event loop).

    Answers are grouped by the counter that guards them (a CA's known serials under its
    ``status-gen``, its unknown ones under its ``issue-seq``). ``presigned`` reads a SHA-1
    answer again from the store after a status change; without it the group is dropped.
    """

    def __init__(
        self,
        probe: Probe,
        capacity: int,
        *,
        presigned: Presigned | None = None,
        fresh_for: timedelta = timedelta(hours=6),
    ) -> None:
        self._probe = probe
        self._presigned = presigned
        self._fresh_for = fresh_for
        self.capacity = max(0, capacity)
        self._lock = threading.Lock()
        self._groups: dict[str, OrderedDict[CertIdKey, _Entry]] = {}
        self._names: OrderedDict[bytes, CertIdKey] = OrderedDict()
        self._seen: dict[str, int] = {}
        self.rereads = 0  # answers read again after a status change (for the benchmark)

    def __len__(self) -> int:
        return sum(len(g) for g in self._groups.values())

    def sync(self) -> None:
        """Read the counters; what a change since the last reading touched is not served
        until checked again."""
        with self._lock:
            self._sync()

    def _sync(self) -> None:
        # under the lock: readings are applied in the order they were made, so what this
        # cache has seen never goes back to an older state of the store
        current = self._probe()
        if current != self._seen:
            for name, value in current.items():
                if self._seen.get(name) != value and (
                    self._presigned is None or not name.startswith("status-gen:")
                ):
                    self._groups.pop(name, None)
            self._seen = dict(current)

    def lookup(self, request_der: bytes, now: datetime) -> bytes | None:
        """The hot path: the answer to a request seen before, if it is still right."""
        with self._lock:
            key = self._names.get(request_der)
            if key is None:
                return None
            self._names.move_to_end(request_der)
            self._sync()
            return self._get(key, now)

    def get(self, key: CertIdKey, now: datetime) -> bytes | None:
        """The answer for a CertID, after reading the counters."""
        with self._lock:
            self._sync()
            return self._get(key, now)

    def _get(self, key: CertIdKey, now: datetime) -> bytes | None:
        kind, serial, algorithm = key
        for counter in (status_counter(kind), issue_counter(kind)):
            group = self._groups.get(counter)
            entry = group.get(key) if group is not None else None
            if group is None or entry is None:
                continue
            current = self._seen.get(counter)
            if entry.generation != current:
                del group[key]
                if (
                    self._presigned is None
                    or algorithm != "sha1"
                    or counter != status_counter(kind)
                ):
                    return None
                # a status changed somewhere: this certificate's answer as the store has it
                # now (read after the counters, so at least as new as ``current``)
                found = self._presigned(kind, serial)
                self.rereads += 1
                if found is None:
                    return None
                entry = _Entry(found[0], found[1] - self._fresh_for, current or 0)
                group[key] = entry
            if now >= entry.refresh_at:
                del group[key]
                return None
            group.move_to_end(key)
            return entry.der
        return None

    def name(self, request_der: bytes, key: CertIdKey) -> None:
        """Remember that these request bytes (a request without nonce) ask for ``key``."""
        if not self.capacity:
            return
        with self._lock:
            self._names[request_der] = key
            self._names.move_to_end(request_der)
            while len(self._names) > self.capacity:
                self._names.popitem(last=False)

    def put(
        self,
        key: CertIdKey,
        der: bytes,
        refresh_at: datetime,
        counter: str,
        generation: int,
    ) -> None:
        """Keep an answer read or signed while ``counter`` was ``generation``; ignored when
        the counter has moved since the last :meth:`sync` (the answer may be out of date)."""
        if not self.capacity:
            return
        with self._lock:
            if self._seen.get(counter) != generation:
                return
            group = self._groups.setdefault(counter, OrderedDict())
            group[key] = _Entry(der, refresh_at, generation)
            group.move_to_end(key)
            while len(group) > self.capacity:
                group.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._groups.clear()
            self._names.clear()
            self._seen.clear()
