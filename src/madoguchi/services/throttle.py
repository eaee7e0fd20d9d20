"""Per-client throttles and per-(name, client) lock-outs, in the memory of one process
(issue 14, item 4).

- :class:`RateLimit`: at most ``limit`` events per ``window`` for one key (a client's
  address); above it, how long to wait (HTTP 429 with ``Retry-After``).
- :class:`LoginLocks`: consecutive wrong passwords for one login name *from one client*;
  after ``max_failures`` that name is locked for ``lockout`` — from that client only. A
  client guessing someone's password never locks them out at their own terminal, and a
  name that does not exist is counted and locked exactly like one that does, so the answers
  never tell which names exist.

Both keep at most :data:`MAX_KEYS` keys (the oldest are dropped first), so a flood of
addresses or names cannot fill the memory. With several worker processes each keeps its own
counts (docs/decisions.md).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from madoguchi.services.ports import Clock

MAX_KEYS = 50_000


class RateLimit:
    def __init__(self, limit: int, window: timedelta, clock: Clock) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._events: OrderedDict[str, deque[datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> int | None:
        """Seconds to wait before the next event of ``key`` is allowed, or None."""
        now = self.clock()
        with self._lock:
            events = self._events.get(key)
            if events is None:
                return None
            while events and now - events[0] >= self.window:
                events.popleft()
            if len(events) < self.limit:
                return None
            return max(1, math.ceil((events[0] + self.window - now).total_seconds()))

    def hit(self, key: str) -> None:
        """Count one event of ``key``."""
        now = self.clock()
        with self._lock:
            events = self._events.pop(key, None) or deque()
            while events and now - events[0] >= self.window:
                events.popleft()
            events.append(now)
            self._events[key] = events  # the most recent key last
            while len(self._events) > MAX_KEYS:
                self._events.popitem(last=False)

    def check(self, key: str) -> int | None:
        """Count an event of ``key`` unless over the limit; the seconds to wait when over."""
        wait = self.retry_after(key)
        if wait is None:
            self.hit(key)
        return wait


@dataclass(slots=True)
class _Failures:
    count: int = 0
    locked_until: datetime | None = None


class LoginLocks:
    def __init__(self, max_failures: int, lockout: timedelta, clock: Clock) -> None:
        self.max_failures = max_failures
        self.lockout = lockout
        self.clock = clock
        self._failures: OrderedDict[tuple[str, str], _Failures] = OrderedDict()
        self._lock = threading.Lock()

    def locked_until(self, name: str, client: str) -> datetime | None:
        now = self.clock()
        with self._lock:
            entry = self._failures.get((name, client))
            if entry is None or entry.locked_until is None or entry.locked_until <= now:
                return None
            return entry.locked_until

    def failed(self, name: str, client: str) -> tuple[int, datetime | None]:
        """Count a wrong password; the failures in a row and, when it locks now, until when."""
        now = self.clock()
        with self._lock:
            entry = self._failures.pop((name, client), None) or _Failures()
            if entry.locked_until is not None and entry.locked_until <= now:
                entry = _Failures()  # the lock ran out: counting starts again
            entry.count += 1
            locked = None
            if entry.count >= self.max_failures:
                locked = entry.locked_until = now + self.lockout
                entry.count = 0
            self._failures[(name, client)] = entry
            while len(self._failures) > MAX_KEYS:
                self._failures.popitem(last=False)
            return entry.count or self.max_failures, locked

    def succeeded(self, name: str, client: str) -> None:
        with self._lock:
            self._failures.pop((name, client), None)

    def unlock(self, name: str) -> None:
        """The admin's unlock: the name's failures from every client are forgotten."""
        with self._lock:
            for key in [k for k in self._failures if k[0] == name]:
                del self._failures[key]
