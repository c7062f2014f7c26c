"""Who may see an alarm from the dispatch side: staff of its units, and whoever it is assigned to."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Principal
from core.identity.scope import unit_scope
from ioc.alarms.events import AlarmFacts


async def may_see(session: AsyncSession, principal: Principal, alarm: AlarmFacts) -> bool:
    if alarm.assignee_id == principal.user_id:
        return True
    return (await unit_scope(session, principal)).allows(alarm.unit_code)
