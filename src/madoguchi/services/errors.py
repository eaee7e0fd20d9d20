"""The services layer's errors (DESIGN.md convention 6): stable English codes, with data."""

from __future__ import annotations


class ServiceError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class NotFound(ServiceError):
    pass


class Refused(ServiceError):
    """The counter refuses: the code names the rule (under_15, outside_window, …)."""


class ConcurrentUpdate(ServiceError):
    """Another terminal changed the same case or card first; reload and try again."""

    def __init__(self, what: str) -> None:
        super().__init__("concurrent_update", f"{what} was changed by another terminal")
