"""The API's models of the offices and of the supervisor's day (split from api_models)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from madoguchi.web.api_models import AuditOut, CaseOut


class OfficeOut(BaseModel):
    code: str
    name: str
    desk: str
    handles_certificates: bool
    opens: str = Field(examples=["08:45"])
    closes: str = Field(examples=["17:30"])
    address: str
    phone: str
    open_now: bool
    next_open: datetime | None


class OfficesOut(BaseModel):
    offices: list[OfficeOut]
    your_office: str
    can_process_here: bool
    message: str


class RefusalOut(BaseModel):
    at: datetime
    clerk: str
    office: str
    terminal: str
    code: str = Field(description="the rule's code, or refused_by_clerk")
    reason: str | None = Field(description="the clerk's reason when a case was refused")
    case_id: str | None
    resident_id: str | None


class DayCasesOut(BaseModel):
    day: date
    cases: list[CaseOut]
    refusals: list[RefusalOut]


class DayAuditOut(BaseModel):
    day: date
    entries: list[AuditOut]
    truncated: bool
