"""What a new alarm or report may link with: one statement over the alarms (and, for an alarm, the reports)
within its partners' distance and window, in its unit; and the locks that keep two linkers apart.

Distances are on geography; the geometry GIST indexes pre-select within a circle in degrees wide enough for
the largest distance (a degree of longitude shrinks with the latitude's cosine). Reports are read from the
partial index of open reports, plus those no longer open that are still members of an open incident.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Float, Integer, String

from feedback.reports.status import OPEN_STATUSES
from ioc.incidents.links import Partners, Reach
from ioc.incidents.types import MemberKind, MemberRef

METRES_PER_DEGREE = 111_320.0
# pg_advisory_xact_lock(namespace, hashtext(unit)): linking in one unit, one transaction at a time.
UNIT_LOCK_NAMESPACE = 0x1C1D

# The same list as the partial index of open reports, so the planner can use it.
OPEN_REPORT_SQL = ", ".join(f"'{status.value}'" for status in sorted(OPEN_STATUSES))

_PAIRS = """{name} AS (
    SELECT * FROM unnest(CAST(:{name}_codes AS text[]), CAST(:{name}_distances AS float8[]),
                         CAST(:{name}_windows AS integer[])) AS p(code, distance_m, window_s)
)"""

# The new thing, and the box around it that the GIST indexes search (a scalar the planner can use in an
# index condition).
_NEW_ALARM = """new AS MATERIALIZED (
    SELECT a.id, a.location, a.unit_code, a.raised_at AS at,
           ST_Expand(a.location, :box_degrees / greatest(cos(radians(ST_Y(a.location))), 0.01)) AS box
    FROM alarms a WHERE a.id = :id AND a.location IS NOT NULL
)"""
_NEW_REPORT = """new AS MATERIALIZED (
    SELECT r.id, r.location, r.unit_code, r.created_at AS at,
           ST_Expand(r.location, :box_degrees / greatest(cos(radians(ST_Y(r.location))), 0.01)) AS box
    FROM feedback_reports r WHERE r.id = :id
)"""

_NEAR = "{column} && (SELECT box FROM new)"
_REACH = """ST_DWithin({column}::geography, new.location::geography, p.distance_m)"""
_IN_WINDOW = "p.window_s * interval '1 second'"
_NEVER_UNLINKED = """NOT EXISTS (
    SELECT 1 FROM incident_members h
    WHERE h.member_kind = '{kind}' AND h.member_id = {column} AND h.unlinked_at IS NOT NULL
)"""
_LIVE_MEMBER = "m.unlinked_at IS NULL AND m.incident_open"

_ALARMS = f"""
SELECT 'alarm' AS kind, a.id, m.incident_id,
       ST_Distance(a.location::geography, new.location::geography) AS distance_m
FROM new
JOIN alarms a ON a.unit_code = new.unit_code AND a.id <> new.id AND {_NEAR.format(column="a.location")}
JOIN alarm_pairs p ON p.code = a.type
LEFT JOIN incident_members m ON m.member_kind = 'alarm' AND m.member_id = a.id AND {_LIVE_MEMBER}
WHERE {_REACH.format(column="a.location")}
  AND a.last_seen_at >= new.at - {_IN_WINDOW}
  AND a.raised_at <= new.at + {_IN_WINDOW}
  AND (m.incident_id IS NOT NULL
       OR (a.cleared_at IS NULL AND {_NEVER_UNLINKED.format(kind="alarm", column="a.id")}))"""  # noqa: S608

_OPEN_REPORTS = f"""
SELECT 'report' AS kind, r.id, m.incident_id,
       ST_Distance(r.location::geography, new.location::geography) AS distance_m
FROM new
JOIN feedback_reports r ON r.status IN ({OPEN_REPORT_SQL}) AND {_NEAR.format(column="r.location")}
    AND r.unit_code = new.unit_code
JOIN report_pairs p ON p.code = r.category_code
LEFT JOIN incident_members m ON m.member_kind = 'report' AND m.member_id = r.id AND {_LIVE_MEMBER}
WHERE r.merged_into_id IS NULL
  AND {_REACH.format(column="r.location")}
  AND r.created_at BETWEEN new.at - {_IN_WINDOW} AND new.at + {_IN_WINDOW}
  AND (m.incident_id IS NOT NULL OR {_NEVER_UNLINKED.format(kind="report", column="r.id")})"""  # noqa: S608

_MEMBER_REPORTS = f"""
SELECT 'report' AS kind, r.id, m.incident_id,
       ST_Distance(r.location::geography, new.location::geography) AS distance_m
FROM new
JOIN incident_members m ON m.member_kind = 'report' AND {_LIVE_MEMBER}
JOIN feedback_reports r ON r.id = m.member_id AND r.unit_code = new.unit_code
    AND r.status NOT IN ({OPEN_REPORT_SQL})
JOIN report_pairs p ON p.code = r.category_code
WHERE {_REACH.format(column="r.location")}
  AND r.created_at BETWEEN new.at - {_IN_WINDOW} AND new.at + {_IN_WINDOW}"""  # noqa: S608


def _candidates_sql(new: str, branches: tuple[str, ...]) -> str:
    pairs = ",\n".join(_PAIRS.format(name=name) for name in ("alarm_pairs", "report_pairs"))
    return f"WITH {new},\n{pairs}\n" + "\nUNION ALL\n".join(branches)


def _typed(statement: str) -> TextClause:
    return text(statement).bindparams(
        *(
            bindparam(f"{name}_{part}", type_=ARRAY(kind))
            for name in ("alarm_pairs", "report_pairs")
            for part, kind in (("codes", String()), ("distances", Float()), ("windows", Integer()))
        )
    )


# Built from the constants above, never from input; by (kind of the new thing, alarm partners, report
# partners), only the branches that can find something.
_STATEMENTS: dict[tuple[MemberKind, bool, bool], TextClause] = {
    (MemberKind.REPORT, True, False): _typed(_candidates_sql(_NEW_REPORT, (_ALARMS,))),
    (MemberKind.ALARM, True, False): _typed(_candidates_sql(_NEW_ALARM, (_ALARMS,))),
    (MemberKind.ALARM, False, True): _typed(_candidates_sql(_NEW_ALARM, (_OPEN_REPORTS, _MEMBER_REPORTS))),
    (MemberKind.ALARM, True, True): _typed(
        _candidates_sql(_NEW_ALARM, (_ALARMS, _OPEN_REPORTS, _MEMBER_REPORTS))
    ),
}


@dataclass(frozen=True, slots=True)
class Candidate:
    member: MemberRef
    incident_id: uuid.UUID | None  # the open incident it is in, if any
    distance_m: float


def _pair_parameters(name: str, reaches: dict[str, Reach]) -> dict[str, object]:
    codes = sorted(reaches)
    return {
        f"{name}_codes": codes,
        f"{name}_distances": [reaches[code].distance_m for code in codes],
        f"{name}_windows": [reaches[code].window_seconds for code in codes],
    }


async def candidates(session: AsyncSession, new: MemberRef, partners: Partners) -> list[Candidate]:
    """Alarms and reports `new` may link with, nearest first (none when it has no place)."""
    statement = _STATEMENTS.get((new.kind, bool(partners.alarms), bool(partners.reports)))
    if statement is None:
        return []  # reports link only with alarms
    parameters: dict[str, object] = {
        "id": new.id,
        "box_degrees": partners.max_distance_m / METRES_PER_DEGREE,
        **_pair_parameters("alarm_pairs", partners.alarms),
        **_pair_parameters("report_pairs", partners.reports),
    }
    rows = (await session.execute(statement, parameters)).all()
    found = [
        Candidate(
            member=MemberRef(MemberKind(row.kind), row.id),
            incident_id=row.incident_id,
            distance_m=float(row.distance_m),
        )
        for row in rows
    ]
    return sorted(found, key=lambda candidate: (candidate.distance_m, candidate.member))


_LOCK_UNITS = text(
    "SELECT pg_advisory_xact_lock(:namespace, hashtext(code)) FROM unnest(CAST(:codes AS text[])) AS code"
).bindparams(bindparam("codes", type_=ARRAY(String())))


async def lock_units(session: AsyncSession, unit_codes: Sequence[str]) -> None:
    """Hold, until the transaction ends, the linking lock of each unit, always in the same order (no
    deadlock between two linkers); taking one again in the same transaction costs nothing."""
    codes = sorted(set(unit_codes))
    if codes:
        await session.execute(_LOCK_UNITS, {"namespace": UNIT_LOCK_NAMESPACE, "codes": codes})


_OPEN_INCIDENT_OF = text("""
SELECT incident_id FROM incident_members
WHERE member_kind = :kind AND member_id = :id AND unlinked_at IS NULL AND incident_open
""")


async def open_incident_of(session: AsyncSession, member: MemberRef) -> uuid.UUID | None:
    value = await session.scalar(_OPEN_INCIDENT_OF, {"kind": member.kind.value, "id": member.id})
    return value if isinstance(value, uuid.UUID) else None


_OPEN_INCIDENTS_OF_ALARMS = text("""
SELECT DISTINCT incident_id FROM incident_members
WHERE member_kind = 'alarm' AND member_id = ANY(:ids) AND unlinked_at IS NULL AND incident_open
ORDER BY incident_id
""").bindparams(bindparam("ids", type_=ARRAY(UUID(as_uuid=True))))


async def open_incidents_of_alarms(session: AsyncSession, alarm_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    return list((await session.scalars(_OPEN_INCIDENTS_OF_ALARMS, {"ids": list(alarm_ids)})).all())


@dataclass(frozen=True, slots=True)
class NewAlarm:
    id: uuid.UUID
    type: str
    unit_code: str


_ALARMS_TO_LINK = text("""
SELECT id, type, unit_code FROM alarms WHERE id = ANY(:ids) AND location IS NOT NULL ORDER BY id
""").bindparams(bindparam("ids", type_=ARRAY(UUID(as_uuid=True))))


async def alarms_to_link(session: AsyncSession, alarm_ids: Sequence[uuid.UUID]) -> list[NewAlarm]:
    """The alarms among `alarm_ids` that have a place (those without one link with nothing)."""
    rows = (await session.execute(_ALARMS_TO_LINK, {"ids": list(alarm_ids)})).all()
    return [NewAlarm(id=row.id, type=row.type, unit_code=row.unit_code) for row in rows]
