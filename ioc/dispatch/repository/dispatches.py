"""Dispatches and their offers: opening one, offering a ring to the nearest, answers, and the task's queue.

Every change of a dispatch happens with its alarm's row locked (the officers' actions lock it too), so the
alarm row is the one lock that orders accept, decline, the task and the officers: nothing here locks a
dispatch row by itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ioc.alarms.events import AlarmFacts
from ioc.alarms.repository.journal import FACTS_COLUMNS, facts_from_row
from ioc.dispatch.models import DispatchStatus, OfferAnswer
from ioc.dispatch.repository.field_status import BUSY

# The task skips an alarm someone else is changing and comes back to it at its next tick.
_FACTS_SKIP_LOCKED = text(
    f"SELECT {FACTS_COLUMNS} FROM alarms a WHERE a.id = :id FOR UPDATE SKIP LOCKED"  # noqa: S608
)

_OPEN = text("""
INSERT INTO dispatches (alarm_id, status, ring, ring_at, opened_at)
VALUES (:alarm_id, 'open', 0, :now, :now)
ON CONFLICT (alarm_id) WHERE status = 'open' DO NOTHING
RETURNING id
""")

_DISPATCH_COLUMNS = """
    d.id, d.alarm_id, d.status, d.ring, d.ring_at, d.opened_at, d.closed_at, d.accepted_by,
    (SELECT count(*) FROM dispatch_offers o WHERE o.dispatch_id = d.id AND o.answer IS NULL) AS open_offers"""

_ONE = text(f"SELECT {_DISPATCH_COLUMNS} FROM dispatches d WHERE d.id = :id")  # noqa: S608
_OF_ALARM = text(
    f"SELECT {_DISPATCH_COLUMNS} FROM dispatches d WHERE d.alarm_id = :alarm_id "  # noqa: S608
    "ORDER BY d.opened_at, d.id"
)

# The next ring: the nearest available field staff of the alarm's unit (or of its province) on duty with a
# fresh position, within the radius, not yet offered this dispatch. An alarm with no point is measured from
# its unit's centroid.
_OFFER_RING = text(f"""
WITH target AS (
    SELECT coalesce(a.location, u.centroid)::geography AS point, a.unit_code, u.parent_code
    FROM alarms a JOIN admin_units u ON u.code = a.unit_code
    WHERE a.id = :alarm_id
), nearest AS (
    SELECT s.user_id, ST_Distance(s.position::geography, t.point) AS distance_m
    FROM field_staff_status s
    JOIN users p ON p.id = s.user_id
    CROSS JOIN target t
    WHERE s.on_duty AND s.position_at >= :fresh_after
      AND p.role = 'field_staff' AND p.is_active AND p.deleted_at IS NULL
      AND (p.unit_code = t.unit_code OR p.unit_code = t.parent_code)
      AND ST_DWithin(s.position::geography, t.point, :radius_m)
      AND NOT EXISTS (
          SELECT 1 FROM dispatch_offers o WHERE o.dispatch_id = :dispatch_id AND o.staff_id = s.user_id
      )
      AND NOT {BUSY}
    ORDER BY distance_m, s.user_id
    LIMIT :ring_size
)
INSERT INTO dispatch_offers (dispatch_id, alarm_id, staff_id, ring, distance_m, offered_at)
SELECT :dispatch_id, :alarm_id, n.user_id, :ring, n.distance_m, :now FROM nearest n
RETURNING id, staff_id, distance_m
""")  # noqa: S608

_SET_RING = text("UPDATE dispatches SET ring = :ring, ring_at = :now WHERE id = :id")

_CLOSE = text("""
UPDATE dispatches SET status = :status, closed_at = :now, accepted_by = :accepted_by
WHERE id = :id AND status = 'open'
""")

_CLOSE_OPEN_OFFERS = text("""
UPDATE dispatch_offers SET answer = :answer, answered_at = :now
WHERE dispatch_id = :dispatch_id AND answer IS NULL
RETURNING id, staff_id
""")

_OFFER_COLUMNS = """
    o.id, o.dispatch_id, o.alarm_id, o.staff_id, o.ring, o.distance_m, o.offered_at, o.answer,
    o.answered_at, o.reason, d.status AS dispatch_status"""

# The caller's offer in the alarm's latest dispatch that offered him anything.
_OFFER_OF = text(f"""
SELECT {_OFFER_COLUMNS}
FROM dispatch_offers o JOIN dispatches d ON d.id = o.dispatch_id
WHERE o.alarm_id = :alarm_id AND o.staff_id = :staff_id
ORDER BY o.offered_at DESC, o.id DESC
LIMIT 1
""")  # noqa: S608

_OFFERS_OF_DISPATCH = text(f"""
SELECT {_OFFER_COLUMNS}
FROM dispatch_offers o JOIN dispatches d ON d.id = o.dispatch_id
WHERE o.dispatch_id = :dispatch_id
ORDER BY o.ring, o.distance_m, o.id
""")  # noqa: S608

_ANSWER = text("""
UPDATE dispatch_offers SET answer = :answer, answered_at = :now, reason = :reason
WHERE id = :id AND answer IS NULL
""")

_OPEN_OFFERS_OF_STAFF = text(f"""
SELECT {_OFFER_COLUMNS}
FROM dispatch_offers o JOIN dispatches d ON d.id = o.dispatch_id
WHERE o.staff_id = :staff_id AND o.answer IS NULL AND d.status = 'open'
ORDER BY o.offered_at DESC, o.id DESC
LIMIT :limit
""")  # noqa: S608

# Open dispatches the task must look at: their alarm no longer needs anyone, or their ring waited long
# enough, or every offer of theirs is answered.
_DUE = text("""
SELECT d.id, d.alarm_id
FROM dispatches d JOIN alarms a ON a.id = d.alarm_id
WHERE d.status = 'open'
  AND (
      a.cleared_at IS NOT NULL OR a.assignee_id IS NOT NULL OR d.ring_at <= :answered_before
      OR NOT EXISTS (SELECT 1 FROM dispatch_offers o WHERE o.dispatch_id = d.id AND o.answer IS NULL)
  )
ORDER BY d.ring_at, d.id
LIMIT :limit
""")

_ASSIGN = text("""
UPDATE alarms SET assignee_id = :staff_id, updated_at = :now
WHERE id = :id AND assignee_id IS NULL AND cleared_at IS NULL
RETURNING id
""")


@dataclass(frozen=True, slots=True)
class DispatchRow:
    id: uuid.UUID
    alarm_id: uuid.UUID
    status: DispatchStatus
    ring: int
    ring_at: datetime
    opened_at: datetime
    closed_at: datetime | None
    accepted_by: uuid.UUID | None
    open_offers: int


@dataclass(frozen=True, slots=True)
class OfferRow:
    id: uuid.UUID
    dispatch_id: uuid.UUID
    alarm_id: uuid.UUID
    staff_id: uuid.UUID
    ring: int
    distance_m: float
    offered_at: datetime
    answer: OfferAnswer | None
    answered_at: datetime | None
    reason: str | None
    dispatch_status: DispatchStatus


@dataclass(frozen=True, slots=True)
class Offered:
    id: uuid.UUID
    staff_id: uuid.UUID
    distance_m: float


@dataclass(frozen=True, slots=True)
class Closed:
    id: uuid.UUID
    staff_id: uuid.UUID


def _dispatch(row: Any) -> DispatchRow:
    return DispatchRow(**{**row._asdict(), "status": DispatchStatus(row.status)})


def _offer(row: Any) -> OfferRow:
    return OfferRow(
        **{
            **row._asdict(),
            "answer": None if row.answer is None else OfferAnswer(row.answer),
            "dispatch_status": DispatchStatus(row.dispatch_status),
        }
    )


async def lock_alarm_unless_busy(session: AsyncSession, alarm_id: uuid.UUID) -> AlarmFacts | None:
    """The alarm, locked for this transaction; None when it is gone or another transaction holds it."""
    row = (await session.execute(_FACTS_SKIP_LOCKED, {"id": alarm_id})).first()
    return None if row is None else facts_from_row(row)


async def open_dispatch(session: AsyncSession, alarm_id: uuid.UUID, now: datetime) -> uuid.UUID | None:
    """A new open dispatch for the alarm; None when one is open already."""
    value = await session.scalar(_OPEN, {"alarm_id": alarm_id, "now": now})
    return None if value is None else uuid.UUID(str(value))


async def dispatch(session: AsyncSession, dispatch_id: uuid.UUID) -> DispatchRow | None:
    row = (await session.execute(_ONE, {"id": dispatch_id})).first()
    return None if row is None else _dispatch(row)


async def dispatches_of(session: AsyncSession, alarm_id: uuid.UUID) -> list[DispatchRow]:
    """Every dispatch of the alarm, oldest first."""
    return [_dispatch(row) for row in await session.execute(_OF_ALARM, {"alarm_id": alarm_id})]


async def offer_ring(
    session: AsyncSession,
    *,
    dispatch_id: uuid.UUID,
    alarm_id: uuid.UUID,
    ring: int,
    radius_m: float,
    ring_size: int,
    fresh_after: datetime,
    now: datetime,
) -> list[Offered]:
    """Offer the alarm to the next `ring_size` nearest within `radius_m`; who was offered, nearest first."""
    rows = await session.execute(
        _OFFER_RING,
        {
            "dispatch_id": dispatch_id,
            "alarm_id": alarm_id,
            "ring": ring,
            "radius_m": radius_m,
            "ring_size": ring_size,
            "fresh_after": fresh_after,
            "now": now,
        },
    )
    offered = [Offered(row.id, row.staff_id, float(row.distance_m)) for row in rows]
    return sorted(offered, key=lambda o: (o.distance_m, str(o.staff_id)))


async def set_ring(session: AsyncSession, dispatch_id: uuid.UUID, ring: int, now: datetime) -> None:
    await session.execute(_SET_RING, {"id": dispatch_id, "ring": ring, "now": now})


async def close_dispatch(
    session: AsyncSession,
    dispatch_id: uuid.UUID,
    status: DispatchStatus,
    now: datetime,
    *,
    accepted_by: uuid.UUID | None = None,
) -> None:
    await session.execute(
        _CLOSE, {"id": dispatch_id, "status": status.value, "now": now, "accepted_by": accepted_by}
    )


async def close_open_offers(
    session: AsyncSession, dispatch_id: uuid.UUID, answer: OfferAnswer, now: datetime
) -> list[Closed]:
    """Answer every offer of the dispatch still open with `answer`; whose they were."""
    rows = await session.execute(
        _CLOSE_OPEN_OFFERS, {"dispatch_id": dispatch_id, "answer": answer.value, "now": now}
    )
    return [Closed(row.id, row.staff_id) for row in rows]


async def offer_of(session: AsyncSession, alarm_id: uuid.UUID, staff_id: uuid.UUID) -> OfferRow | None:
    row = (await session.execute(_OFFER_OF, {"alarm_id": alarm_id, "staff_id": staff_id})).first()
    return None if row is None else _offer(row)


async def offers_of_dispatch(session: AsyncSession, dispatch_id: uuid.UUID) -> list[OfferRow]:
    return [_offer(row) for row in await session.execute(_OFFERS_OF_DISPATCH, {"dispatch_id": dispatch_id})]


async def open_offers_of(session: AsyncSession, staff_id: uuid.UUID, *, limit: int) -> list[OfferRow]:
    rows = await session.execute(_OPEN_OFFERS_OF_STAFF, {"staff_id": staff_id, "limit": limit})
    return [_offer(row) for row in rows]


async def answer_offer(
    session: AsyncSession, offer_id: uuid.UUID, answer: OfferAnswer, now: datetime, *, reason: str | None
) -> None:
    await session.execute(_ANSWER, {"id": offer_id, "answer": answer.value, "now": now, "reason": reason})


async def due(
    session: AsyncSession, *, answered_before: datetime, limit: int
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(dispatch id, alarm id) of open dispatches the task must move on, oldest ring first."""
    rows = await session.execute(_DUE, {"answered_before": answered_before, "limit": limit})
    return [(row.id, row.alarm_id) for row in rows]


async def assign(session: AsyncSession, alarm_id: uuid.UUID, staff_id: uuid.UUID, now: datetime) -> bool:
    """Make `staff_id` the assignee of an active alarm nobody has; False when it has one or is cleared."""
    value = await session.scalar(_ASSIGN, {"id": alarm_id, "staff_id": staff_id, "now": now})
    return value is not None
