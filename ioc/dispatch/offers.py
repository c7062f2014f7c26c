"""Offering an alarm to field staff ring by ring, and what ends a dispatch nobody accepted.

Ring r offers the alarm to the ring_size nearest available staff not offered yet, within radius_m × r; a ring
that finds nobody moves straight to the next, and after max_rings the unit's officers are told. Offers of
earlier rings stay open while later ones go out: whoever answers first is welcome. Every function here runs
with the alarm's row locked by the caller.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from ioc.alarms import events, journal
from ioc.alarms.events import AlarmFacts
from ioc.alarms.unit_settings import effective_settings
from ioc.dispatch import notify
from ioc.dispatch.models import DispatchStatus, OfferAnswer
from ioc.dispatch.repository import dispatches as repository
from ioc.types import at_least

log = logging.getLogger("smartcity.ioc.dispatch")


def fresh_after(settings: Settings, now: datetime) -> datetime:
    """Positions taken before this count as off duty."""
    return now - timedelta(seconds=settings.ioc_dispatch_position_ttl_seconds)


async def needs_dispatch(session: AsyncSession, settings: Settings, alarm: AlarmFacts) -> bool:
    """Active, nobody assigned, and at or above the unit's (else its province's, else the default)
    dispatch severity."""
    if alarm.cleared_at is not None or alarm.assignee_id is not None:
        return False
    floor = (await effective_settings(session, alarm.unit_code, settings=settings)).dispatch_min_severity
    return at_least(alarm.severity, floor)


async def start(session: AsyncSession, settings: Settings, alarm: AlarmFacts, now: datetime) -> bool:
    """Open a dispatch for the alarm and offer its first ring; False when one is open already."""
    dispatch_id = await repository.open_dispatch(session, alarm.id, now)
    if dispatch_id is None:
        return False
    await advance(session, settings, alarm, dispatch_id, after_ring=0, now=now)
    return True


async def advance(
    session: AsyncSession,
    settings: Settings,
    alarm: AlarmFacts,
    dispatch_id: uuid.UUID,
    *,
    after_ring: int,
    now: datetime,
) -> None:
    """Offer the next ring that finds anyone, or escalate when none is left."""
    for ring in range(after_ring + 1, settings.ioc_dispatch_max_rings + 1):
        offered = await repository.offer_ring(
            session,
            dispatch_id=dispatch_id,
            alarm_id=alarm.id,
            ring=ring,
            radius_m=settings.ioc_dispatch_radius_m * ring,
            ring_size=settings.ioc_dispatch_ring_size,
            fresh_after=fresh_after(settings, now),
            now=now,
        )
        if not offered:
            continue
        await repository.set_ring(session, dispatch_id, ring, now)
        for offer in offered:
            await notify.offer(
                session, alarm, staff_id=offer.staff_id, offer_id=offer.id, distance_m=offer.distance_m
            )
        await journal.record(
            session,
            alarm,
            kind=journal.DISPATCH_OFFERED,
            event_type=events.DISPATCH_OFFERED,
            detail={
                "dispatch_id": str(dispatch_id),
                "ring": ring,
                "offers": [
                    {"offer_id": str(o.id), "staff_id": str(o.staff_id), "distance_m": round(o.distance_m)}
                    for o in offered
                ],
            },
            change={"offered_to": len(offered), "ring": ring},
            at=now,
        )
        log.info("dispatch offered", extra={"alarm_id": str(alarm.id), "ring": ring, "offered": len(offered)})
        return
    await escalate(session, alarm, dispatch_id, rings=settings.ioc_dispatch_max_rings, now=now)


async def escalate(
    session: AsyncSession, alarm: AlarmFacts, dispatch_id: uuid.UUID, *, rings: int, now: datetime
) -> None:
    """Nobody accepted: the open offers expire and the unit's officers are told."""
    expired = await repository.close_open_offers(session, dispatch_id, OfferAnswer.EXPIRED, now)
    await repository.close_dispatch(session, dispatch_id, DispatchStatus.ESCALATED, now)
    officers = await notify.escalated(session, alarm, rings=rings)
    await journal.record(
        session,
        alarm,
        kind=journal.DISPATCH_ESCALATED,
        event_type=events.UPDATED,
        detail={
            "dispatch_id": str(dispatch_id),
            "rings": rings,
            "expired": len(expired),
            "told": len(officers),
        },
        change={"dispatch": "escalated"},
        at=now,
    )
    log.info("dispatch escalated", extra={"alarm_id": str(alarm.id), "officers": len(officers)})


async def cancel(session: AsyncSession, alarm: AlarmFacts, dispatch_id: uuid.UUID, now: datetime) -> None:
    """The alarm was cleared, or an officer assigned it: the open offers are withdrawn and their holders
    told. Nothing goes on the timeline: the clearing or the assignment is there already."""
    withdrawn = await repository.close_open_offers(session, dispatch_id, OfferAnswer.WITHDRAWN, now)
    await repository.close_dispatch(session, dispatch_id, DispatchStatus.CANCELLED, now)
    for offer in withdrawn:
        await notify.offer_closed(
            session, alarm, notify.WITHDRAWN, staff_id=offer.staff_id, offer_id=offer.id
        )


async def move_on(
    session: AsyncSession, settings: Settings, dispatch_id: uuid.UUID, alarm_id: uuid.UUID, now: datetime
) -> bool:
    """The task's step for one open dispatch: cancel, widen or escalate it as its state asks; False when its
    alarm is being changed by someone else (looked at again next tick)."""
    alarm = await repository.lock_alarm_unless_busy(session, alarm_id)
    if alarm is None:
        return False
    current = await repository.dispatch(session, dispatch_id)
    if current is None or current.status is not DispatchStatus.OPEN:
        return True
    if alarm.cleared_at is not None or alarm.assignee_id is not None:
        await cancel(session, alarm, dispatch_id, now)
        return True
    waited = now - current.ring_at >= timedelta(seconds=settings.ioc_dispatch_answer_seconds)
    if current.open_offers == 0 or waited:
        await advance(session, settings, alarm, dispatch_id, after_ring=current.ring, now=now)
    return True
