"""Changing an incident's members, the same way for the rules and for officers: link, unlink, open, close;
then recompute what the incident derives from its members, add incident_linked / incident_unlinked entries
to each alarm's timeline and tell the live channel.

The alarm entries carry no event of their own (event_type None): the incident event says the same, once.
Callers lock first: the units' linking locks (automatic linking), then the incidents' rows in id order.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar.working_days import LOCAL_ZONE
from core.errors import Message, ProblemError
from ioc.alarms import journal
from ioc.alarms.repository.journal import facts_of
from ioc.incidents import events
from ioc.incidents.repository import changes, reads
from ioc.incidents.schemas import IncidentSummary
from ioc.incidents.types import IncidentCloseReason, MemberKind, MemberRef


@dataclass(frozen=True, slots=True)
class Change:
    """Who changes incidents (None: the rules), when, and how wide footprints are."""

    actor_id: uuid.UUID | None
    now: datetime
    buffer_m: float


def across_provinces() -> ProblemError:
    return ProblemError(
        409,
        "incident_across_provinces",
        Message(
            "Các thành phần của một sự cố phải thuộc cùng một tỉnh",
            "The members of an incident must lie in one province",
        ),
    )


async def _recomputed(session: AsyncSession, incident_id: uuid.UUID, change: Change) -> IncidentSummary:
    row = await changes.recompute(session, incident_id, buffer_m=change.buffer_m, now=change.now)
    if row.across_provinces:
        raise across_provinces()
    return IncidentSummary.from_row(row)


async def _journal(
    session: AsyncSession, members: Sequence[MemberRef], kind: str, incident: IncidentSummary, change: Change
) -> None:
    for member in members:
        if member.kind is not MemberKind.ALARM:
            continue
        facts = await facts_of(session, member.id)
        if facts is not None:
            await journal.record(
                session,
                facts,
                kind=kind,
                event_type=None,
                actor_id=change.actor_id,
                detail={"incident_id": str(incident.id), "incident_code": incident.code},
                at=change.now,
            )


def _listed(members: Sequence[MemberRef]) -> list[dict[str, str]]:
    return [member.as_data() for member in members]


async def open_incident(
    session: AsyncSession, unit_code: str, members: Sequence[MemberRef], change: Change
) -> IncidentSummary:
    """A new incident of `members` (those already in an open incident are left out)."""
    code_prefix = f"SC-{change.now.astimezone(LOCAL_ZONE).year}-"
    incident_id = await changes.insert_incident(
        session, unit_code=unit_code, code_prefix=code_prefix, created_by=change.actor_id, now=change.now
    )
    linked = await changes.add_members(session, incident_id, members, by=change.actor_id, now=change.now)
    incident = await _recomputed(session, incident_id, change)
    await _journal(session, linked, journal.INCIDENT_LINKED, incident, change)
    await events.tell(
        session, events.CREATED, incident, {"linked": _listed(linked), **events.by(change.actor_id)}
    )
    return incident


async def join(
    session: AsyncSession, incident_id: uuid.UUID, members: Sequence[MemberRef], change: Change
) -> list[MemberRef]:
    """Link `members` to the (locked, open) incident; returns those linked (not those already in an open
    incident)."""
    linked = await changes.add_members(session, incident_id, members, by=change.actor_id, now=change.now)
    if linked:
        incident = await _recomputed(session, incident_id, change)
        await _journal(session, linked, journal.INCIDENT_LINKED, incident, change)
        await events.tell(
            session, events.UPDATED, incident, {"linked": _listed(linked), **events.by(change.actor_id)}
        )
    return linked


async def leave(session: AsyncSession, incident_id: uuid.UUID, member: MemberRef, change: Change) -> bool:
    """Unlink `member` from the (locked, open) incident; False when it was not in it. An incident left
    with no member closes (reason empty); one with a single member stays open."""
    if not await changes.unlink_member(session, incident_id, member, by=change.actor_id, now=change.now):
        return False
    incident = await _recomputed(session, incident_id, change)
    await _journal(session, [member], journal.INCIDENT_UNLINKED, incident, change)
    said: dict[str, Any] = {"unlinked": _listed([member]), **events.by(change.actor_id)}
    if incident.alarm_count + incident.report_count == 0:
        await close(session, [incident_id], IncidentCloseReason.EMPTY, change, extra=said)
    else:
        await events.tell(session, events.UPDATED, incident, said)
    return True


async def close(
    session: AsyncSession,
    incident_ids: Sequence[uuid.UUID],
    reason: IncidentCloseReason,
    change: Change,
    *,
    only_finished: bool = False,
    extra: dict[str, Any] | None = None,
) -> list[IncidentSummary]:
    """Close the (locked) open incidents among `incident_ids`; with `only_finished`, only those whose
    alarms are all cleared and reports all done. Returns those closed."""
    rows = await changes.close(
        session,
        incident_ids,
        reason=reason.value,
        by=change.actor_id,
        now=change.now,
        only_finished=only_finished,
    )
    closed = [IncidentSummary.from_row(row) for row in rows]
    for incident in closed:
        said = {**(extra or events.by(change.actor_id)), "reason": reason.value}
        await events.tell(session, events.CLOSED, incident, said)
    return closed


async def refresh(session: AsyncSession, incident_id: uuid.UUID, change: Change) -> IncidentSummary:
    """Recompute the (locked) incident after its alarms changed; tell the live channel only when what
    the map shows of it changed (lead, severity, titles, unit)."""
    before = IncidentSummary.from_row(await _current(session, incident_id))
    after = await _recomputed(session, incident_id, change)
    shown = ("lead_alarm_id", "severity", "title_vi", "title_en", "unit_code")
    if any(getattr(before, name) != getattr(after, name) for name in shown):
        said: dict[str, Any] = {**events.by(None)}
        if before.lead_alarm_id != after.lead_alarm_id:
            said["lead_alarm_from"] = None if before.lead_alarm_id is None else str(before.lead_alarm_id)
        if before.severity != after.severity:
            said["severity_from"] = before.severity.value
        await events.tell(session, events.UPDATED, after, said)
    return after


async def _current(session: AsyncSession, incident_id: uuid.UUID) -> Any:
    row = await reads.summary(session, incident_id)
    if row is None:
        raise LookupError(incident_id)
    return row
