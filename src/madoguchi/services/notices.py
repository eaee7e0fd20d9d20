"""Expiry-notice campaigns (SPEC.md §6): plan, pause and resume, returned mail, status.

- Plan (R-NOTICE-1): every card whose good certificates or whose card itself expire in the
  window (default two to three months ahead) gets one numbered notice covering all that
  expires; planning twice adds only what is new. A paused campaign plans into ``deferred``.
- Pause and resume: pausing defers the planned notices and stops dispatch; resuming makes
  them planned again, to be sent in expiry order, still suppressing the renewed.
- Returned mail (R-NOTICE-4): a sent notice the post office returns becomes ``returned`` and
  shows on the clerks' follow-up list. Every state change is traced per notice.

Every change of state goes through the rules' state machines (rules/notices.py). Dispatch —
the print batches — is in services/notice_dispatch.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from madoguchi.rules.dates import jst_date
from madoguchi.rules.errors import InvalidTransition
from madoguchi.rules.notices import (
    CAMPAIGN_NOTICE_EVENT,
    BatchEvent,
    BatchState,
    CampaignEvent,
    CampaignState,
    NoticeEvent,
    NoticeState,
    check_notice_window,
    expiry_notice_sent,
    next_batch_state,
    next_campaign_state,
    notice_window,
    planned_state,
)
from madoguchi.services.audit import Actor
from madoguchi.services.domain import (
    Batch,
    Campaign,
    Candidate,
    NotFound,
    Notice,
    NoticeTrace,
    Refused,
)
from madoguchi.services.notice_dispatch import NoticeDispatch, move_notices


@dataclass(frozen=True, slots=True)
class PlanResult:
    campaign: Campaign
    planned: int
    already: int


def campaign_id_for(window_from: date) -> str:
    return f"{window_from:%Y-%m}"


class NoticeService(NoticeDispatch):
    # -- planning ----------------------------------------------------------------------------
    def plan(
        self,
        actor: Actor,
        *,
        window: tuple[date, date] | None = None,
        campaign_id: str | None = None,
        earliest_months: int = 3,
        latest_months: int = 2,
        checked: bool = False,
    ) -> PlanResult:
        """Plan the notices of a window of expiry dates (default: R-NOTICE-1's two to three
        months ahead). ``checked`` holds a given window to R-NOTICE-1
        (``rules.notices.check_notice_window``), as the supervisor's screen does; the command
        line's operators may plan any window."""
        today = jst_date(self.clock())
        first, last = window or notice_window(today, earliest=earliest_months, latest=latest_months)
        if first > last:
            raise Refused("bad_window", "the window ends before it starts")
        if checked and window is not None:
            check_notice_window(today, first, last, earliest=earliest_months)
        cid = campaign_id or campaign_id_for(first)
        now = self.clock()
        with self.uow_factory() as uow:
            campaign = uow.notices.campaign(cid, for_update=True)
            if campaign is None:
                campaign = Campaign(cid, first, last, CampaignState.ACTIVE, now, actor.clerk)
                uow.notices.add_campaign(campaign)
            else:
                campaign = replace(
                    campaign,
                    window_from=min(first, campaign.window_from),
                    window_to=max(last, campaign.window_to),
                )
                uow.notices.update_campaign(campaign)
            candidates = without_stay_expiries(self.book.candidates(uow, first, last))
            known = uow.notices.noticed_cards(cid, [c.card_id for c in candidates])
            new = sorted(
                (c for c in candidates if c.card_id not in known),
                key=lambda c: (min(i.expires for i in c.items), c.card_id),
            )
            state = planned_state(campaign.state)
            start = uow.notices.reserve_numbers(f"notice-seq:{cid}", len(new)) if new else 0
            planned = uow.notices.add_notices(
                (
                    Notice(
                        number=f"{cid}-{start + k:07d}",
                        campaign_id=cid,
                        resident_id=c.resident_id,
                        card_id=c.card_id,
                        items=tuple(sorted(c.items, key=lambda i: (i.expires, i.what))),
                        first_expiry=min(i.expires for i in c.items),
                        card_expires=c.card_expires,
                        state=state,
                        reason=None,
                        batch_id=None,
                        planned_at=now,
                        changed_at=now,
                    )
                    for k, c in enumerate(new)
                ),
                actor.clerk,
            )
            self._audit(
                uow,
                actor,
                "notices.plan",
                {
                    "campaign": cid,
                    "from": first.isoformat(),
                    "to": last.isoformat(),
                    "planned": planned,
                },
            )
            uow.commit()
        return PlanResult(campaign, planned, len(known))

    # -- pause and resume --------------------------------------------------------------------
    def pause(self, campaign_id: str, actor: Actor) -> int:
        """Stop sending: the planned notices not yet in a batch are deferred."""
        return self._switch(campaign_id, actor, CampaignEvent.PAUSE)

    def resume(self, campaign_id: str, actor: Actor) -> int:
        """Send again: the deferred notices are planned, to go out in expiry order."""
        return self._switch(campaign_id, actor, CampaignEvent.RESUME)

    def _switch(self, campaign_id: str, actor: Actor, event: CampaignEvent) -> int:
        notice_event = CAMPAIGN_NOTICE_EVENT[event]
        with self.uow_factory() as uow:
            campaign = self._campaign(uow, campaign_id)
            state = next_campaign_state(campaign.state, event)  # pausing twice is refused
            uow.notices.update_campaign(replace(campaign, state=state))
            from_state = (
                NoticeState.PLANNED if notice_event is NoticeEvent.DEFER else NoticeState.DEFERRED
            )
            numbers = [
                n.number
                for n in uow.notices.with_state(campaign_id, from_state, limit=10**9)
                if n.batch_id is None  # a batch a crash left open is finished as it is
            ]
            moved = move_notices(
                uow, numbers, notice_event, from_state, at=self.clock(), actor=actor.clerk
            )
            self._audit(
                uow, actor, f"notices.{event.value}", {"campaign": campaign_id, "moved": moved}
            )
            uow.commit()
        return moved

    # -- the print vendor --------------------------------------------------------------------
    def hand_over(self, batch_id: str, actor: Actor) -> Batch:
        """R-NOTICE-4: the supervisor records that the print vendor took a batch's files; only
        then are its letters on their way (a done batch is print data, nothing mailed)."""
        now = self.clock()
        with self.uow_factory() as uow:
            batch = uow.notices.batch(batch_id)
            if batch is None:
                raise NotFound("unknown_batch", f"no batch {batch_id}")
            try:
                state = next_batch_state(batch.state, BatchEvent.HAND_OVER)
            except InvalidTransition:
                code = (
                    "batch_already_handed_over"
                    if batch.state is BatchState.HANDED_OVER
                    else ("batch_not_written")
                )
                raise Refused(code, f"the batch is {batch.state.value}") from None
            uow.notices.hand_over_batch(batch.id, at=now, by=actor.clerk)
            self._audit(
                uow, actor, "notices.handover", {"batch": batch.id, "notices": batch.notices}
            )
            uow.commit()
        return replace(batch, state=state, handed_over_at=now, handed_over_by=actor.clerk)

    # -- returned mail and status --------------------------------------------------------------
    def record_returned(self, number: str, actor: Actor) -> Notice:
        with self.uow_factory() as uow:
            notice = uow.notices.notice(number.strip(), for_update=True)
            if notice is None:
                raise NotFound("unknown_notice", f"no notice {number}")
            if notice.state is not NoticeState.SENT:
                raise Refused("notice_not_sent", f"the notice is {notice.state.value}")
            batch = uow.notices.batch(notice.batch_id) if notice.batch_id else None
            if batch is None or batch.state is not BatchState.HANDED_OVER:
                raise Refused("notice_not_mailed", "its batch was not handed to the vendor")
            move_notices(
                uow,
                [notice.number],
                NoticeEvent.RETURN,
                NoticeState.SENT,
                at=self.clock(),
                actor=actor.clerk,
            )
            self._audit(uow, actor, "notices.returned", {"notice": notice.number})
            uow.commit()
        return replace(notice, state=NoticeState.RETURNED)

    def campaigns(self) -> list[Campaign]:
        with self.uow_factory.read_only() as uow:
            return list(uow.notices.campaigns())

    def status(self, campaign_id: str) -> tuple[Campaign, dict[str, int], list[Batch]]:
        with self.uow_factory.read_only() as uow:
            campaign = uow.notices.campaign(campaign_id)
            if campaign is None:
                raise NotFound("unknown_campaign", f"no campaign {campaign_id}")
            return campaign, uow.notices.counts(campaign_id), list(uow.notices.batches(campaign_id))

    def returned(self, campaign_id: str | None = None) -> list[Notice]:
        with self.uow_factory.read_only() as uow:
            return list(uow.notices.with_state(campaign_id, NoticeState.RETURNED))

    def trace(self, number: str) -> tuple[Notice, list[NoticeTrace]]:
        with self.uow_factory.read_only() as uow:
            notice = uow.notices.notice(number)
            if notice is None:
                raise NotFound("unknown_notice", f"no notice {number}")
            return notice, list(uow.notices.events(number))

    def batch(self, batch_id: str) -> Batch | None:
        with self.uow_factory.read_only() as uow:
            return uow.notices.batch(batch_id)


def without_stay_expiries(candidates: list[Candidate]) -> list[Candidate]:
    """R-NOTICE-5: no notice for an expiry that comes from the end of a period of stay — the
    card's, and a certificate's that the card caps (it ends on the card's last day); a card
    left with nothing to notify is dropped."""
    out = []
    for c in candidates:
        items = tuple(
            i
            for i in c.items
            if expiry_notice_sent(
                expiry_from_stay=c.limited_by_stay and i.expires >= c.card_expires
            )
        )
        if items:
            out.append(replace(c, items=items))
    return out
