"""A field worker's answer to an offer: accept (exactly one wins) or decline.

Both lock the alarm's row first, as every change of an alarm does: two workers accepting at once are served
one after the other, and the second finds the alarm assigned (409 dispatch_taken). The guarded UPDATE that
assigns it (only while nobody is assigned and it is active) would refuse a second winner even without the
lock.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Principal
from ioc.alarms import events, journal
from ioc.alarms.events import AlarmFacts
from ioc.alarms.repository.journal import facts_of
from ioc.dispatch import notify, problems
from ioc.dispatch.access import may_see
from ioc.dispatch.models import DispatchStatus, OfferAnswer
from ioc.dispatch.repository import dispatches as repository
from ioc.dispatch.repository.dispatches import OfferRow


async def _locked_with_offer(
    session: AsyncSession, principal: Principal, alarm_id: uuid.UUID
) -> tuple[AlarmFacts, OfferRow]:
    """The alarm (locked) and the caller's latest offer of it: 404 alarm_not_found when he may not see it,
    403 not_offered when it was never offered to him, 409 alarm_cleared when it is over."""
    alarm = await facts_of(session, alarm_id, lock=True)
    offer = None if alarm is None else await repository.offer_of(session, alarm_id, principal.user_id)
    if alarm is None or (offer is None and not await may_see(session, principal, alarm)):
        raise problems.alarm_not_found(alarm_id)
    if offer is None:
        raise problems.not_offered()
    if alarm.cleared_at is not None:
        raise problems.alarm_cleared()
    return alarm, offer


def _still_open(alarm: AlarmFacts, offer: OfferRow, user_id: uuid.UUID) -> None:
    if alarm.assignee_id is not None and alarm.assignee_id != user_id:
        raise problems.dispatch_taken()
    if offer.answer is not None or offer.dispatch_status is not DispatchStatus.OPEN:
        raise problems.offer_closed()


async def accept(
    session: AsyncSession, principal: Principal, alarm_id: uuid.UUID, now: datetime
) -> tuple[AlarmFacts, OfferRow]:
    """Assign the alarm to the caller; the others' offers are withdrawn and they are told. A caller the
    alarm is assigned to already (his earlier accept, or an officer's choice) gets the same answer again."""
    me = principal.user_id
    alarm, offer = await _locked_with_offer(session, principal, alarm_id)
    if alarm.assignee_id == me:
        return alarm, offer
    _still_open(alarm, offer, me)
    if not await repository.assign(session, alarm_id, me, now):
        raise problems.dispatch_taken()
    await repository.answer_offer(session, offer.id, OfferAnswer.ACCEPTED, now, reason=None)
    await repository.close_dispatch(session, offer.dispatch_id, DispatchStatus.ACCEPTED, now, accepted_by=me)
    assigned = dataclasses.replace(alarm, assignee_id=me)
    for other in await repository.close_open_offers(session, offer.dispatch_id, OfferAnswer.WITHDRAWN, now):
        await notify.offer_closed(session, assigned, notify.TAKEN, staff_id=other.staff_id, offer_id=other.id)
    await journal.record(
        session,
        assigned,
        kind=journal.DISPATCH_ACCEPTED,
        event_type=events.DISPATCH_ACCEPTED,
        actor_id=me,
        detail={"dispatch_id": str(offer.dispatch_id), "offer_id": str(offer.id), "ring": offer.ring},
        change={"assignee_id": str(me)},
        at=now,
    )
    accepted = dataclasses.replace(offer, answer=OfferAnswer.ACCEPTED, answered_at=now)
    return assigned, accepted


async def decline(
    session: AsyncSession, principal: Principal, alarm_id: uuid.UUID, reason: str | None, now: datetime
) -> OfferRow:
    """Decline the caller's open offer; when every offer of the ring is answered the task widens it."""
    alarm, offer = await _locked_with_offer(session, principal, alarm_id)
    _still_open(alarm, offer, principal.user_id)
    await repository.answer_offer(session, offer.id, OfferAnswer.DECLINED, now, reason=reason)
    await journal.record(
        session,
        alarm,
        kind=journal.DISPATCH_DECLINED,
        event_type=events.UPDATED,
        actor_id=principal.user_id,
        comment=reason,
        detail={"dispatch_id": str(offer.dispatch_id), "offer_id": str(offer.id), "ring": offer.ring},
        change={"dispatch": "declined"},
        at=now,
    )
    return dataclasses.replace(offer, answer=OfferAnswer.DECLINED, answered_at=now, reason=reason)
