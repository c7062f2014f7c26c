"""Reading dispatches: an alarm's dispatches with their offers (staff), and a worker's open offers."""

from __future__ import annotations

import dataclasses
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Principal
from ioc.alarms.repository.journal import facts_of
from ioc.dispatch import problems
from ioc.dispatch.access import may_see
from ioc.dispatch.repository import dispatches as repository
from ioc.dispatch.repository.dispatches import OfferRow
from ioc.dispatch.schemas import AlarmBrief, DispatchRead, MyOffer, OfferRead


def offer_read(row: OfferRow) -> OfferRead:
    return OfferRead.model_validate(row, from_attributes=True)


async def dispatches_of(
    session: AsyncSession, principal: Principal, alarm_id: uuid.UUID
) -> list[DispatchRead]:
    alarm = await facts_of(session, alarm_id)
    if alarm is None or not await may_see(session, principal, alarm):
        raise problems.alarm_not_found(alarm_id)
    read: list[DispatchRead] = []
    for row in await repository.dispatches_of(session, alarm_id):
        offers = [offer_read(offer) for offer in await repository.offers_of_dispatch(session, row.id)]
        read.append(DispatchRead.model_validate({**dataclasses.asdict(row), "offers": offers}))
    return read


async def my_open_offers(session: AsyncSession, principal: Principal, *, limit: int) -> list[MyOffer]:
    """The offers waiting for the caller's answer, newest first, each with its alarm."""
    found: list[MyOffer] = []
    for row in await repository.open_offers_of(session, principal.user_id, limit=limit):
        alarm = await facts_of(session, row.alarm_id)
        if alarm is None:
            continue
        brief = AlarmBrief.model_validate(alarm, from_attributes=True)
        found.append(MyOffer(**offer_read(row).model_dump(), alarm=brief))
    return found
