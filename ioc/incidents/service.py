"""What officers do with incidents by hand, and what staff read: the rules of each route, no HTTP.

Staff see the incidents of their units (an incident's unit covers all its members, so whoever sees an
incident may see each of them); another unit's incident, or an alarm or report outside the caller's units,
is a 404 like a missing one. Changes lock the units' linking locks, then the incidents in id order (the
order automatic linking uses), and decide on what they read after the locks.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.cursor import decode_cursor, keyset_page
from core.errors import Message, ProblemError
from core.identity.principal import Principal
from core.identity.scope import UnitScope, unit_scope
from ioc.incidents import membership
from ioc.incidents.links import current_links
from ioc.incidents.membership import Change
from ioc.incidents.repository import changes, matching, reads
from ioc.incidents.repository.reads import IncidentFilter, MemberInfo
from ioc.incidents.schemas import (
    IncidentAlarm,
    IncidentCreate,
    IncidentDetail,
    IncidentPage,
    IncidentReport,
    IncidentSummary,
    LinkIn,
)
from ioc.incidents.types import IncidentCloseReason, IncidentStatus, MemberKind, MemberRef

CURSOR_SORT = "incidents"


def incident_not_found(incident_id: uuid.UUID) -> ProblemError:
    return ProblemError(
        404,
        "incident_not_found",
        Message(f"Không tìm thấy sự cố {incident_id}", f"No incident {incident_id}"),
    )


def member_not_found(member: MemberRef) -> ProblemError:
    if member.kind is MemberKind.ALARM:
        return ProblemError(
            404, "alarm_not_found", Message(f"Không tìm thấy cảnh báo {member.id}", f"No alarm {member.id}")
        )
    return ProblemError(
        404, "report_not_found", Message(f"Không tìm thấy phản ánh {member.id}", f"No report {member.id}")
    )


def incident_closed() -> ProblemError:
    return ProblemError(
        409,
        "incident_closed",
        Message("Sự cố đã đóng, không thể thay đổi", "The incident is closed and cannot change"),
    )


def linked_elsewhere(member: MemberRef) -> ProblemError:
    return ProblemError(
        409,
        "linked_elsewhere",
        Message(
            f"{member.id} đang thuộc một sự cố khác đang mở; gửi move: true để chuyển sang",
            f"{member.id} is in another open incident; send move: true to move it here",
        ),
    )


def _change(principal: Principal) -> Change:
    return Change(
        actor_id=principal.user_id, now=datetime.now(UTC), buffer_m=current_links().footprint_buffer_m
    )


async def _visible(session: AsyncSession, scope: UnitScope, incident_id: uuid.UUID) -> Any:
    row = await reads.summary(session, incident_id)
    if row is None or not scope.allows(row.unit_code):
        raise incident_not_found(incident_id)
    return row


async def _visible_member(session: AsyncSession, scope: UnitScope, member: MemberRef) -> MemberInfo:
    info = await reads.member_info(session, member)
    if info is None or not scope.allows(info.unit_code):
        raise member_not_found(member)
    return info


async def _lock_open(session: AsyncSession, incident_id: uuid.UUID, *others: uuid.UUID | None) -> None:
    """Lock the incident (and the others, in id order); 409 incident_closed unless it is open."""
    statuses = await changes.lock_incidents(session, [incident_id, *(key for key in others if key)])
    if statuses.get(incident_id) != IncidentStatus.OPEN.value:
        raise incident_closed()


async def list_incidents(
    session: AsyncSession, scope: UnitScope, filters: IncidentFilter, *, cursor: str | None, limit: int
) -> IncidentPage:
    position = decode_cursor(CURSOR_SORT, cursor)
    rows = await reads.page(session, scope, filters, position, limit)
    page = keyset_page(
        rows,
        limit,
        sort=CURSOR_SORT,
        position=lambda row: (row.created_at, row.id),
        item=IncidentSummary.from_row,
    )
    return IncidentPage(items=page.items, next_cursor=page.next_cursor)


async def _detail(session: AsyncSession, incident_id: uuid.UUID) -> IncidentDetail:
    row = await reads.summary(session, incident_id)
    if row is None:
        raise incident_not_found(incident_id)
    return IncidentDetail(
        **IncidentSummary.from_row(row).model_dump(),
        alarms=[IncidentAlarm.from_row(alarm) for alarm in await reads.member_alarms(session, incident_id)],
        reports=[
            IncidentReport.from_row(report) for report in await reads.member_reports(session, incident_id)
        ],
    )


async def read(session: AsyncSession, principal: Principal, incident_id: uuid.UUID) -> IncidentDetail:
    await _visible(session, await unit_scope(session, principal), incident_id)
    return await _detail(session, incident_id)


async def _take_out(
    session: AsyncSession, infos: Sequence[MemberInfo], *, keep: uuid.UUID | None, move: bool, change: Change
) -> None:
    """Take the members out of the other open incidents they are in (409 linked_elsewhere without
    `move`); those incidents were locked by the caller."""
    for info in infos:
        if info.incident_id is None or info.incident_id == keep:
            continue
        if not move:
            raise linked_elsewhere(info.member)
        await membership.leave(session, info.incident_id, info.member, change)


async def link(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, body: LinkIn
) -> IncidentDetail:
    scope = await unit_scope(session, principal)
    member = body.ref()
    incident = await _visible(session, scope, incident_id)
    info = await _visible_member(session, scope, member)
    await matching.lock_units(session, [incident.unit_code, info.unit_code])
    await _lock_open(session, incident_id, info.incident_id)
    info = await _visible_member(session, scope, member)  # as it is now that nobody else links it
    if info.incident_id == incident_id:
        raise ProblemError(
            409,
            "already_linked",
            Message(f"{member.id} đã thuộc sự cố này", f"{member.id} is already in this incident"),
        )
    change = _change(principal)
    await _take_out(session, [info], keep=incident_id, move=body.move, change=change)
    if not await membership.join(session, incident_id, [member], change):
        raise linked_elsewhere(member)
    return await _detail(session, incident_id)


async def create(session: AsyncSession, principal: Principal, body: IncidentCreate) -> IncidentDetail:
    scope = await unit_scope(session, principal)
    refs = [member.ref() for member in body.members]
    infos = [await _visible_member(session, scope, ref) for ref in refs]
    await matching.lock_units(session, [info.unit_code for info in infos])
    await changes.lock_incidents(session, [info.incident_id for info in infos if info.incident_id])
    infos = [await _visible_member(session, scope, ref) for ref in refs]
    change = _change(principal)
    await _take_out(session, infos, keep=None, move=body.move, change=change)
    incident = await membership.open_incident(session, infos[0].unit_code, refs, change)
    if incident.alarm_count + incident.report_count != len(refs):
        raise linked_elsewhere(refs[0])  # another officer linked one of them in the meantime
    return await _detail(session, incident.id)


async def unlink(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, member: MemberRef
) -> IncidentDetail:
    await _visible(session, await unit_scope(session, principal), incident_id)
    await _lock_open(session, incident_id)
    if not await membership.leave(session, incident_id, member, _change(principal)):
        raise ProblemError(
            404,
            "member_not_linked",
            Message(f"{member.id} không thuộc sự cố này", f"{member.id} is not in this incident"),
        )
    return await _detail(session, incident_id)


async def close(session: AsyncSession, principal: Principal, incident_id: uuid.UUID) -> IncidentDetail:
    await _visible(session, await unit_scope(session, principal), incident_id)
    await _lock_open(session, incident_id)
    await membership.close(session, [incident_id], IncidentCloseReason.OFFICER, _change(principal))
    return await _detail(session, incident_id)
