"""Changing incidents: a new one, members in and out, recomputing what an incident derives from its
members, closing. Every statement runs in the caller's transaction; nothing here commits.

Callers lock first (ioc.incidents.repository.matching.lock_units, then `lock_incidents`), so that what is
read after the locks is what the change is decided on: each statement in READ COMMITTED sees what
committed before it started, so the checks come in statements after the locks, never inside them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import String

from ioc.incidents.repository.matching import OPEN_REPORT_SQL
from ioc.incidents.repository.reads import SUMMARY_COLUMNS
from ioc.incidents.types import MemberKind, MemberRef
from ioc.types import SEVERITY_RANK

_UUIDS = ARRAY(UUID(as_uuid=True))
_RANK = "CASE severity " + " ".join(f"WHEN '{s.value}' THEN {r}" for s, r in SEVERITY_RANK.items()) + " END"

_INSERT = text("""
INSERT INTO incidents (code, unit_code, status, severity, title_vi, title_en, first_seen_at, last_seen_at,
                       created_at, updated_at, created_by)
VALUES (:code_prefix || lpad(nextval('ioc_incident_number_seq')::text, 6, '0'), :unit_code, 'open',
        'indeterminate', '', '', :now, :now, :now, :now, :created_by)
RETURNING id
""")


async def insert_incident(
    session: AsyncSession, *, unit_code: str, code_prefix: str, created_by: uuid.UUID | None, now: datetime
) -> uuid.UUID:
    """A new open incident with no member yet: add members, then recompute it."""
    row = (
        await session.execute(
            _INSERT,
            {"code_prefix": code_prefix, "unit_code": unit_code, "created_by": created_by, "now": now},
        )
    ).one()
    incident_id: uuid.UUID = row.id
    return incident_id


_LOCK = text("""
SELECT id, status, unit_code FROM incidents WHERE id = ANY(:ids) ORDER BY id FOR UPDATE
""").bindparams(bindparam("ids", type_=_UUIDS))


async def lock_incidents(session: AsyncSession, incident_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Lock the incidents in id order (the one order every path uses); their statuses by id."""
    if not incident_ids:
        return {}
    rows = (await session.execute(_LOCK, {"ids": sorted(set(incident_ids))})).all()
    return {row.id: row.status for row in rows}


_ADD = text("""
INSERT INTO incident_members (incident_id, member_kind, member_id, linked_at, linked_by)
SELECT :incident_id, t.kind, t.id, :now, :by
FROM unnest(CAST(:kinds AS text[]), CAST(:ids AS uuid[])) AS t(kind, id)
ON CONFLICT (member_kind, member_id) WHERE unlinked_at IS NULL AND incident_open DO NOTHING
RETURNING member_kind, member_id
""").bindparams(bindparam("kinds", type_=ARRAY(String())), bindparam("ids", type_=_UUIDS))


async def add_members(
    session: AsyncSession,
    incident_id: uuid.UUID,
    members: Sequence[MemberRef],
    *,
    by: uuid.UUID | None,
    now: datetime,
) -> list[MemberRef]:
    """Link `members`; those already in an open incident are left out. Returns the ones linked."""
    if not members:
        return []
    rows = (
        await session.execute(
            _ADD,
            {
                "incident_id": incident_id,
                "kinds": [member.kind.value for member in members],
                "ids": [member.id for member in members],
                "by": by,
                "now": now,
            },
        )
    ).all()
    return sorted(MemberRef(MemberKind(row.member_kind), row.member_id) for row in rows)


_UNLINK = text("""
UPDATE incident_members SET unlinked_at = greatest(:now, linked_at), unlinked_by = :by
WHERE incident_id = :incident_id AND member_kind = :kind AND member_id = :id AND unlinked_at IS NULL
RETURNING id
""")


async def unlink_member(
    session: AsyncSession, incident_id: uuid.UUID, member: MemberRef, *, by: uuid.UUID | None, now: datetime
) -> bool:
    """Take `member` out of the incident; False when it was not in it. Never stamped before its link, even
    when the process that linked it had a clock slightly ahead."""
    row = (
        await session.execute(
            _UNLINK,
            {"incident_id": incident_id, "kind": member.kind.value, "id": member.id, "by": by, "now": now},
        )
    ).first()
    return row is not None


# Every derived column from the live members, in one statement. The lead: active alarms before cleared
# ones, then the most severe, then the oldest. The unit: the members' own when they share one, else their
# common province (null when they have none: the caller refuses such a change).
_RECOMPUTE = text(f"""
WITH live AS (
    SELECT member_kind, member_id FROM incident_members WHERE incident_id = :id AND unlinked_at IS NULL
),
alarm_members AS (
    SELECT a.id, a.unit_code, a.location, a.severity, a.title_vi, a.title_en, a.raised_at, a.last_seen_at,
           a.cleared_at
    FROM live JOIN alarms a ON live.member_kind = 'alarm' AND a.id = live.member_id
),
report_members AS (
    SELECT r.id, r.unit_code, r.location, r.created_at, c.name_vi, c.name_en
    FROM live
    JOIN feedback_reports r ON live.member_kind = 'report' AND r.id = live.member_id
    JOIN feedback_categories c ON c.code = r.category_code
),
lead AS (
    SELECT id, severity, title_vi, title_en FROM alarm_members
    ORDER BY (cleared_at IS NULL) DESC, {_RANK} DESC, raised_at, id
    LIMIT 1
),
first_report AS (SELECT name_vi, name_en FROM report_members ORDER BY created_at, id LIMIT 1),
everything AS (
    SELECT unit_code, location, raised_at AS first_at, last_seen_at AS last_at FROM alarm_members
    UNION ALL
    SELECT unit_code, location, created_at, created_at FROM report_members
),
provinces AS (
    SELECT DISTINCT CASE WHEN u.level = 'province' THEN u.code ELSE u.parent_code END AS code
    FROM (SELECT DISTINCT unit_code FROM everything) e JOIN admin_units u ON u.code = e.unit_code
),
shape AS (
    SELECT
        CASE
            WHEN count(DISTINCT unit_code) = 1 THEN min(unit_code)
            WHEN (SELECT count(*) FROM provinces WHERE code IS NOT NULL) = 1
                THEN (SELECT min(code) FROM provinces)
        END AS unit_code,
        ST_Buffer(ST_ConvexHull(ST_Collect(location))::geography, :buffer_m)::geometry AS footprint,
        min(first_at) AS first_seen_at,
        max(last_at) AS last_seen_at,
        count(*) AS members
    FROM everything
)
UPDATE incidents i SET
    unit_code = coalesce(shape.unit_code, i.unit_code),
    lead_alarm_id = (SELECT id FROM lead),
    severity = coalesce((SELECT severity FROM lead), 'indeterminate'),
    title_vi = coalesce((SELECT title_vi FROM lead), (SELECT name_vi FROM first_report), i.title_vi),
    title_en = coalesce((SELECT title_en FROM lead), (SELECT name_en FROM first_report), i.title_en),
    footprint = shape.footprint,
    first_seen_at = coalesce(shape.first_seen_at, i.first_seen_at),
    last_seen_at = coalesce(shape.last_seen_at, i.last_seen_at),
    alarm_count = (SELECT count(*) FROM alarm_members),
    report_count = (SELECT count(*) FROM report_members),
    updated_at = :now
FROM shape
WHERE i.id = :id
RETURNING {SUMMARY_COLUMNS}, (shape.unit_code IS NULL AND shape.members > 0) AS across_provinces
""")  # noqa: S608  (built from constants)


async def recompute(
    session: AsyncSession, incident_id: uuid.UUID, *, buffer_m: float, now: datetime
) -> Row[Any]:
    """Lead, severity, titles, unit, footprint, times and counts from the live members; the summary row
    (with `across_provinces`: the members have no common unit)."""
    return (await session.execute(_RECOMPUTE, {"id": incident_id, "buffer_m": buffer_m, "now": now})).one()


# Finished: no live alarm still active and no live report still open.
_FINISHED = f"""
NOT EXISTS (
    SELECT 1 FROM incident_members m JOIN alarms a ON a.id = m.member_id
    WHERE m.incident_id = i.id AND m.member_kind = 'alarm' AND m.unlinked_at IS NULL AND a.cleared_at IS NULL
)
AND NOT EXISTS (
    SELECT 1 FROM incident_members m JOIN feedback_reports r ON r.id = m.member_id
    WHERE m.incident_id = i.id AND m.member_kind = 'report' AND m.unlinked_at IS NULL
      AND r.status IN ({OPEN_REPORT_SQL})
)"""  # noqa: S608

_CLOSE = text(f"""
UPDATE incidents i SET status = 'closed', closed_at = :now, closed_by = :by, close_reason = :reason,
                       updated_at = :now
WHERE i.id = ANY(:ids) AND i.status = 'open' AND (NOT :only_finished OR ({_FINISHED}))
RETURNING {SUMMARY_COLUMNS}
""").bindparams(bindparam("ids", type_=_UUIDS))  # noqa: S608  (built from constants)

_RELEASE = text("""
UPDATE incident_members SET incident_open = false WHERE incident_id = ANY(:ids) AND incident_open
""").bindparams(bindparam("ids", type_=_UUIDS))


async def close(
    session: AsyncSession,
    incident_ids: Sequence[uuid.UUID],
    *,
    reason: str,
    by: uuid.UUID | None,
    now: datetime,
    only_finished: bool,
) -> list[Row[Any]]:
    """Close the open incidents among `incident_ids` (with `only_finished`, those whose members are all
    done) and free their members for other incidents; the summaries of those closed. Lock them first."""
    if not incident_ids:
        return []
    rows = list(
        (
            await session.execute(
                _CLOSE,
                {
                    "ids": list(incident_ids),
                    "reason": reason,
                    "by": by,
                    "now": now,
                    "only_finished": only_finished,
                },
            )
        ).all()
    )
    if rows:
        await session.execute(_RELEASE, {"ids": [row.id for row in rows]})
    return rows


_LOOK_FINISHED = text(f"""
SELECT i.id FROM incidents i WHERE i.status = 'open' AND {_FINISHED} ORDER BY i.id LIMIT :limit
""")  # noqa: S608  (built from constants)


async def finished_open_incidents(session: AsyncSession, limit: int) -> list[uuid.UUID]:
    """Open incidents whose members are all done, read without locks (close them with `close`)."""
    return list((await session.scalars(_LOOK_FINISHED, {"limit": limit})).all())


_TOUCH = text("""
UPDATE incidents i SET last_seen_at = seen.last_seen_at
FROM (
    SELECT m.incident_id, max(a.last_seen_at) AS last_seen_at
    FROM incident_members m JOIN alarms a ON a.id = m.member_id
    WHERE m.member_kind = 'alarm' AND m.member_id = ANY(:ids) AND m.unlinked_at IS NULL AND m.incident_open
    GROUP BY m.incident_id
) seen
WHERE i.id = seen.incident_id AND seen.last_seen_at > i.last_seen_at
""").bindparams(bindparam("ids", type_=_UUIDS))


async def touch_last_seen(session: AsyncSession, alarm_ids: Sequence[uuid.UUID]) -> None:
    """Carry the repeats of member alarms into their incidents' last_seen_at (no other change)."""
    if alarm_ids:
        await session.execute(_TOUCH, {"ids": list(alarm_ids)})
