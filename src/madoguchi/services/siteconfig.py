"""Configuration the admin edits on screen: offices and hours, closures, the fee schedule.

The rules layer's defaults (the city's page) apply until an admin saves a change; each change
is validated by the same rules functions, stored as JSON, and audited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, time
from typing import Any

from madoguchi.rules.fees import DEFAULT_FEE_SCHEDULE, FeeEntry, validate_schedule
from madoguchi.rules.offices import DEFAULT_OFFICES, Office, OfficeCalendar
from madoguchi.services.audit import Actor, record
from madoguchi.services.domain import Refused
from madoguchi.services.ports import Clock, ReadOnlyUnitOfWork, UowFactory


def _office_json(o: Office) -> dict[str, Any]:
    d = asdict(o)
    d["opens"], d["closes"] = o.opens.strftime("%H:%M"), o.closes.strftime("%H:%M")
    return d


def _office(d: dict[str, Any]) -> Office:
    return Office(
        code=d["code"],
        name=d["name"],
        desk=d["desk"],
        handles_certificates=bool(d["handles_certificates"]),
        opens=time.fromisoformat(d["opens"]),
        closes=time.fromisoformat(d["closes"]),
        address=d.get("address", ""),
        phone=d.get("phone", ""),
    )


def _fee_json(e: FeeEntry) -> dict[str, Any]:
    return {
        "effective_from": e.effective_from.isoformat(),
        "standard_yen": e.standard_yen,
        "waived": e.waived,
        "waiver": e.waiver,
    }


def _fee(d: dict[str, Any]) -> FeeEntry:
    return FeeEntry(
        date.fromisoformat(d["effective_from"]),
        int(d["standard_yen"]),
        bool(d["waived"]),
        d["waiver"],
    )


@dataclass(frozen=True, slots=True)
class SiteConfig:
    offices: tuple[Office, ...]
    calendar: OfficeCalendar
    fee_schedule: tuple[FeeEntry, ...]


def site_config(uow: ReadOnlyUnitOfWork) -> SiteConfig:
    """The configuration in force, read in the caller's unit of work."""
    offices = uow.staff.setting("offices")
    calendar = uow.staff.setting("calendar")
    fees = uow.staff.setting("fees")
    return SiteConfig(
        tuple(_office(o) for o in offices) if offices else DEFAULT_OFFICES,
        OfficeCalendar(
            frozenset(date.fromisoformat(d) for d in calendar["closed"]),
            frozenset(date.fromisoformat(d) for d in calendar["opened"]),
        )
        if calendar
        else OfficeCalendar(),
        tuple(_fee(f) for f in fees) if fees else DEFAULT_FEE_SCHEDULE,
    )


class SiteConfigService:
    def __init__(self, uow_factory: UowFactory, clock: Clock) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    def current(self) -> SiteConfig:
        with self.uow_factory.read_only() as uow:
            return site_config(uow)

    def offices(self) -> tuple[Office, ...]:
        return self.current().offices

    def _save(
        self,
        key: str,
        actor: Actor,
        change: Callable[[SiteConfig], tuple[Any, dict[str, object]]],
    ) -> None:
        """Read the configuration, change one setting and write it, in one transaction."""
        with self.uow_factory() as uow:
            value, detail = change(site_config(uow))
            uow.staff.put_setting(key, value, self.clock(), actor.clerk)
            record(uow, self.clock(), actor, f"config.{key}", detail)
            uow.commit()

    def save_office(self, office: Office, actor: Actor) -> None:
        """Add or change one office (hours, desk, whether it handles certificates)."""
        if not office.code or not office.name.strip():
            raise Refused("bad_office", "an office needs a code and a name")
        if office.opens >= office.closes:
            raise Refused("bad_hours", "an office opens before it closes")

        def change(current: SiteConfig) -> tuple[Any, dict[str, object]]:
            offices = [o for o in current.offices if o.code != office.code]
            offices.append(office)
            if not any(o.handles_certificates for o in offices):
                raise Refused("no_certificate_office", "one office at least handles certificates")
            order = {o.code: i for i, o in enumerate(current.offices)}
            offices.sort(key=lambda o: order.get(o.code, len(order)))
            return [_office_json(o) for o in offices], {"office": _office_json(office)}

        self._save("offices", actor, change)

    def save_calendar(self, closed: set[date], opened: set[date], actor: Actor) -> None:
        if closed & opened:
            raise Refused("calendar_conflict", "a day cannot be both closed and opened")
        value = {
            "closed": sorted(d.isoformat() for d in closed),
            "opened": sorted(d.isoformat() for d in opened),
        }
        self._save("calendar", actor, lambda _current: (value, dict(value)))

    def add_fee_entry(self, entry: FeeEntry, actor: Actor) -> None:
        """A new line of the schedule from its effective date (R-PROC-4); past lines stay."""

        def change(current: SiteConfig) -> tuple[Any, dict[str, object]]:
            entries = [e for e in current.fee_schedule if e.effective_from != entry.effective_from]
            entries.append(entry)
            entries.sort(key=lambda e: e.effective_from)
            validate_schedule(entries)  # raises RuleInputError with a code
            return [_fee_json(e) for e in entries], _fee_json(entry)

        self._save("fees", actor, change)
