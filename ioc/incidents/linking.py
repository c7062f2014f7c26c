"""Automatic linking: a new alarm (its `raised` entry) or a new report joins what is near it.

Candidates are the alarms and reports of its unit within its partners' distance and window
(data/ioc/incident_links.yaml) that are members of an open incident, or are in none yet (active alarms,
open reports) and were never taken out of an incident by an officer. Then:
- some candidates are in open incidents: the new thing joins the incident of the nearest one, and the
  candidates in no incident join with it (it is what ties them to the rest). Two incidents it is near are
  not merged: merging is an officer's decision (link with move, or unlink and link);
- otherwise, when candidates exist, the new thing and they make a new incident;
- no candidate: nothing.

The first look takes no lock (one indexed statement: it is all most reports and alarms cost). When it finds
something, the unit's linking lock serialises the decision with every other linker of the unit, and the
look is repeated under it, so two things arriving together make one incident, not two. A failure is logged
and rolled back to a savepoint: an incident is a convenience of the map, and must never cost a citizen his
report or hold up the alarms' reactions.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from ioc.incidents import membership
from ioc.incidents.links import Partners
from ioc.incidents.membership import Change
from ioc.incidents.repository import changes, matching
from ioc.incidents.repository.matching import Candidate
from ioc.incidents.types import IncidentStatus, MemberRef

log = logging.getLogger("smartcity.ioc.incidents")


async def link_new(
    session: AsyncSession, new: MemberRef, unit_code: str, partners: Partners, change: Change
) -> None:
    """Link `new` (an alarm just raised or a report just filed, in `unit_code`) as the rules say."""
    if not partners or not await matching.candidates(session, new, partners):
        return
    try:
        async with session.begin_nested():
            await _settle(session, new, unit_code, partners, change)
    except Exception:
        log.exception(
            "could not link into an incident", extra={"member_kind": new.kind.value, "member_id": str(new.id)}
        )


async def _settle(
    session: AsyncSession, new: MemberRef, unit_code: str, partners: Partners, change: Change
) -> None:
    await matching.lock_units(session, [unit_code])
    if await matching.open_incident_of(session, new) is not None:
        return  # linked already (an entry seen again after a crash, or by an officer meanwhile)
    found = await matching.candidates(session, new, partners)
    free = [candidate.member for candidate in found if candidate.incident_id is None]
    target = _nearest_incident(found)
    if target is not None:
        statuses = await changes.lock_incidents(session, [target])
        if statuses.get(target) == IncidentStatus.OPEN.value:
            await membership.join(session, target, [new, *free], change)
            return
        # Closed by hand since the look: what is in no incident may still make one.
    if free:
        await membership.open_incident(session, unit_code, [new, *free], change)


def _nearest_incident(found: list[Candidate]) -> uuid.UUID | None:
    for candidate in found:  # nearest first
        if candidate.incident_id is not None:
            return candidate.incident_id
    return None
