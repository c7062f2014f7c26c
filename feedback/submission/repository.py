"""All SQL of filing reports: the one-statement insert of a report, idempotency keys, uploads and their
attachment, "me too" and follower rows with their counts, and the duplicate search."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, Row, bindparam, delete, select, text, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from feedback.reports.models import IdempotencyKey, Report, ReportPhoto
from feedback.reports.status import OPEN_STATUSES

# -- the report ---------------------------------------------------------------------------------------------

_REPORT_COLUMNS = Report.metadata.tables["feedback_reports"].columns
# The ward and province of the point (as core.units.repository.locate finds them), the number, the report
# and its first timeline entry in one statement: one round trip. No row comes back when no province contains
# the point, and then nothing is written and no number is drawn. Written once as text, so that no statement
# is rebuilt per submission; the final SELECT names the columns in the model's order, typed by them.
_INSERT_REPORT = (
    text(
        """
WITH ward AS (
    SELECT u.code, u.parent_code
    FROM admin_units AS u
    WHERE u.level = 'ward' AND ST_Covers(u.boundary, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
    ORDER BY u.code
    LIMIT 1
),
place AS (
    SELECT (SELECT code FROM ward) AS ward_code,
           coalesce((SELECT parent_code FROM ward), (
               SELECT u.code FROM admin_units AS u
               WHERE u.level = 'province'
                 AND ST_Covers(u.boundary, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
               ORDER BY u.code
               LIMIT 1
           )) AS province_code
),
drawn AS (SELECT nextval('feedback_report_number_seq') AS n FROM place WHERE province_code IS NOT NULL),
report AS (
    INSERT INTO feedback_reports (
        id, code, category_code, description, answers, location, address, province_code, ward_code,
        unit_code, department_code, reporter_id, reporter_contact, api_key_id, source, anonymous, is_public,
        urgent, status, created_at, updated_at, acknowledge_due_at, resolve_due_at, open311_token
    )
    SELECT CAST(:id AS uuid), :code_prefix || lpad(n::text, greatest(6, length(n::text)), '0'),
        :category_code, :description, :answers, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :address,
        place.province_code, place.ward_code, coalesce(place.ward_code, place.province_code),
        :department_code, CAST(:reporter_id AS uuid), :reporter_contact, CAST(:api_key_id AS uuid), :source,
        :anonymous, :is_public, :urgent, 'submitted', :created_at, :created_at, :acknowledge_due_at,
        :resolve_due_at, :open311_token
    FROM drawn, place
    RETURNING *
),
entry AS (
    INSERT INTO feedback_timeline (report_id, at, kind, to_status, actor_id, actor_role, data)
    SELECT id, created_at, 'submitted', 'submitted', reporter_id, :actor_role, '{}'::jsonb FROM report
)
SELECT {columns} FROM report
""".replace("{columns}", ", ".join(column.name for column in _REPORT_COLUMNS))
    )
    .bindparams(
        bindparam("answers", type_=JSONB),
        bindparam("reporter_contact", type_=JSONB),
        bindparam("lat", type_=Float),
        bindparam("lon", type_=Float),
        bindparam("created_at", type_=DateTime(timezone=True)),
        bindparam("acknowledge_due_at", type_=DateTime(timezone=True)),
        bindparam("resolve_due_at", type_=DateTime(timezone=True)),
        bindparam("anonymous", type_=Boolean),
        bindparam("is_public", type_=Boolean),
        bindparam("urgent", type_=Boolean),
    )
    .columns(*_REPORT_COLUMNS)
)


async def insert_report(session: AsyncSession, values: dict[str, Any]) -> Row[Any] | None:
    """Insert a report and its first timeline entry (see _INSERT_REPORT); None when no province contains
    the point, and then nothing is written."""
    return (await session.execute(_INSERT_REPORT, values)).one_or_none()


async def load_report(session: AsyncSession, report_id: uuid.UUID) -> Report:
    return (await session.execute(select(Report).where(col(Report.id) == report_id))).scalar_one()


# -- idempotency keys ---------------------------------------------------------------------------------------

_LOCK = text("SELECT pg_advisory_xact_lock(:lock_id)")
_FIND = text(
    "SELECT report_id, request_hash FROM feedback_idempotency_keys WHERE owner = :owner AND key = :key"
)


async def lock_key(session: AsyncSession, lock_id: int) -> None:
    """Take the transaction-level advisory lock of one (owner, key)."""
    await session.execute(_LOCK, {"lock_id": lock_id})


async def find_key(session: AsyncSession, owner: str, key: str) -> Row[Any] | None:
    """The key's (report_id, request_hash), None when it is new."""
    return (await session.execute(_FIND, {"owner": owner, "key": key})).first()


async def insert_key(
    session: AsyncSession, *, owner: str, key: str, request_hash: str, report_id: uuid.UUID
) -> None:
    await session.execute(
        insert(IdempotencyKey).values(owner=owner, key=key, request_hash=request_hash, report_id=report_id)
    )


# -- photos -------------------------------------------------------------------------------------------------


async def lock_free_uploads(
    session: AsyncSession, photo_ids: Sequence[uuid.UUID], *, uploader_id: uuid.UUID | None
) -> set[uuid.UUID]:
    """Those of `photo_ids` that are uploads of `uploader_id` not attached yet, locked until the end of the
    transaction."""
    owner = (
        col(ReportPhoto.uploader_id).is_(None)
        if uploader_id is None
        else col(ReportPhoto.uploader_id) == uploader_id
    )
    return set(
        (
            await session.execute(
                select(col(ReportPhoto.id))
                .where(col(ReportPhoto.id).in_(photo_ids), owner, col(ReportPhoto.report_id).is_(None))
                .with_for_update()
            )
        ).scalars()
    )


async def attach_upload(
    session: AsyncSession, photo_id: uuid.UUID, report_id: uuid.UUID, *, kind: str, position: int
) -> ReportPhoto:
    return (
        await session.execute(
            update(ReportPhoto)
            .where(col(ReportPhoto.id) == photo_id)
            .values(report_id=report_id, kind=kind, position=position)
            .returning(ReportPhoto)
            # The uploads may sit in the session already: refresh them from the returned row.
            .execution_options(synchronize_session=False, populate_existing=True)
        )
    ).scalar_one()


async def delete_unattached(session: AsyncSession, *, older_than: datetime) -> list[tuple[str, str]]:
    """Remove the uploads never attached and created before `older_than`; their (media, thumbnail) keys."""
    removed = (
        await session.execute(
            delete(ReportPhoto)
            .where(col(ReportPhoto.report_id).is_(None), col(ReportPhoto.created_at) < older_than)
            .returning(col(ReportPhoto.media_key), col(ReportPhoto.thumbnail_key))
            .execution_options(synchronize_session=False)
        )
    ).all()
    return [(row[0], row[1]) for row in removed]


async def keys_in_use(session: AsyncSession, keys: Iterable[str]) -> set[str]:
    """Those of the blob `keys` some photo still refers to."""
    wanted = set(keys)
    return set(
        (
            await session.execute(
                select(col(ReportPhoto.media_key))
                .where(col(ReportPhoto.media_key).in_(wanted))
                .union(
                    select(col(ReportPhoto.thumbnail_key)).where(col(ReportPhoto.thumbnail_key).in_(wanted))
                )
            )
        ).scalars()
    )


# -- supports and followers ---------------------------------------------------------------------------------


async def move_count(session: AsyncSession, report_id: uuid.UUID, column: str, step: int) -> int:
    """Add `step` to the report's `column` (support_count or follower_count) in one UPDATE; the new value."""
    counter: Any = getattr(Report, column)
    value = await session.scalar(
        update(Report)
        .where(col(Report.id) == report_id)
        .values({column: counter + step})
        .returning(counter)
        .execution_options(synchronize_session=False)
    )
    return int(value or 0)


async def add_person(session: AsyncSession, model: Any, report_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Insert a `model` row (ReportSupport or ReportFollower); whether it was not there yet."""
    inserted = await session.scalar(
        insert(model)
        .values(report_id=report_id, user_id=user_id)
        .on_conflict_do_nothing()
        .returning(model.report_id)
    )
    return inserted is not None


async def remove_person(session: AsyncSession, model: Any, report_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Delete a `model` row; whether there was one."""
    removed = await session.scalar(
        delete(model).where(model.report_id == report_id, model.user_id == user_id).returning(model.report_id)
    )
    return removed is not None


# -- duplicate search (see feedback/submission/duplicates.py) -----------------------------------------------

_OPEN_SQL = ", ".join(f"'{status.value}'" for status in sorted(OPEN_STATUSES))

# Only constants are formatted into the text: the statuses of the index predicate.
NEARBY_QUERY = text(
    """
SELECT r.id, r.code, r.category_code, left(r.description, 200) AS description,
       ST_Y(r.location) AS lat, ST_X(r.location) AS lon, r.address, r.ward_code, r.status, r.urgent,
       r.created_at, r.resolve_due_at, r.support_count,
       (SELECT p.thumbnail_key FROM feedback_photos AS p
        WHERE p.report_id = r.id AND p.kind = 'report' ORDER BY p.position LIMIT 1) AS thumbnail_key,
       ST_Distance(r.location::geography, q.point::geography) AS distance_m
FROM feedback_reports AS r,
     (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS point) AS q
WHERE r.status IN (:open_statuses)
  AND r.location && ST_Expand(q.point, :dlon, :dlat)
  AND ST_DWithin(r.location::geography, q.point::geography, :radius)
  AND r.category_code = :category_code
  AND r.is_public AND r.merged_into_id IS NULL
  AND r.created_at >= :since
ORDER BY distance_m, r.created_at DESC, r.id
LIMIT :limit
""".replace(":open_statuses", _OPEN_SQL)
)


@dataclass(frozen=True, slots=True)
class NearbyRow:
    id: Any
    code: str
    category_code: str
    description: str
    lat: float
    lon: float
    address: str | None
    ward_code: str | None
    status: str
    urgent: bool
    created_at: datetime
    resolve_due_at: datetime
    support_count: int
    thumbnail_key: str | None
    distance_m: float


async def nearby_open_rows(
    session: AsyncSession,
    category_code: str,
    lat: float,
    lon: float,
    *,
    dlon: float,
    dlat: float,
    radius_m: float,
    since: datetime,
    limit: int,
) -> list[NearbyRow]:
    """Open, public, not merged reports of the category within `radius_m` of (lat, lon) and the box of
    half-widths (dlon, dlat) around it, created at or after `since`, nearest first."""
    rows = await session.execute(
        NEARBY_QUERY,
        {
            "lat": lat,
            "lon": lon,
            "dlon": dlon,
            "dlat": dlat,
            "radius": float(radius_m),
            "category_code": category_code,
            "since": since,
            "limit": limit,
        },
    )
    return [NearbyRow(**row._mapping) for row in rows]
