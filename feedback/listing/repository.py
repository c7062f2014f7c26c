"""The queries behind the report lists: a citizen's own reports, the public feed and map, the officers' inbox.

Every list is keyset-paginated on (sort timestamp, id), so a page costs the same wherever it is in the list
and rows added meanwhile never shift the pages. Each query fetches one row more than asked to know whether
another page follows.

The public map and feed stay on the partial indexes made for them (public, not merged): newest first on
ix_feedback_reports_public_created, the area on ix_feedback_reports_public_location. The planner chooses
between the two by the area's estimated share of the table (a city-wide box walks the newest rows and stops
after `limit`; a small or empty box is answered from the GIST index), so the area is written into the
statement as constants: a generic plan for a parameterised box would pick one shape for every box.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    func,
    literal_column,
    select,
    text,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.bbox import BBox, Circle
from core.cursor import Cursor, Page, fetch_limit, keyset_page
from core.identity.models import User
from core.media.signing import MediaUrls
from feedback.listing.filters import InboxFilters, InboxSort, PublicFilters, inbox_cursor_sort
from feedback.listing.schemas import InboxItem
from feedback.reports.models import Report, ReportPhoto
from feedback.reports.read import photo_url
from feedback.reports.schemas import ReportSummary
from feedback.reports.status import ReportStatus
from mobile_contract.events import LatLon

SUMMARY_LENGTH = 200


# -- Building blocks --------------------------------------------------------------------------------------

# Written exactly as the partial indexes' predicate ("is_public IS TRUE" would not match it).
_PUBLIC = and_(col(Report.is_public), col(Report.merged_into_id).is_(None))
_LON = func.ST_X(col(Report.location)).label("lon")
_LAT = func.ST_Y(col(Report.location)).label("lat")


def _envelope(box: BBox) -> Any:
    # Constants rather than parameters: see the module's docstring. repr() of a float is exact.
    coordinates = ", ".join(repr(float(v)) for v in (box.min_lon, box.min_lat, box.max_lon, box.max_lat))
    return literal_column(f"ST_MakeEnvelope({coordinates}, 4326)")


def _in_area(area: BBox | Circle) -> ColumnElement[bool]:
    box = area.bbox() if isinstance(area, Circle) else area
    inside = col(Report.location).op("&&")(_envelope(box))
    if isinstance(area, BBox):
        return inside
    centre: Any = literal_column(f"ST_SetSRID(ST_MakePoint({float(area.lon)!r}, {float(area.lat)!r}), 4326)")
    return and_(
        inside,
        func.ST_DWithin(func.geography(col(Report.location)), func.geography(centre), float(area.radius_m)),
    )


def _thumbnail_key() -> Any:
    return (
        select(col(ReportPhoto.thumbnail_key))
        .where(col(ReportPhoto.report_id) == col(Report.id), col(ReportPhoto.kind) == "report")
        .order_by(col(ReportPhoto.position))
        .limit(1)
        .correlate(Report)
        .scalar_subquery()
        .label("thumbnail_key")
    )


def _newest_after(cursor: Cursor | None) -> list[ColumnElement[bool]]:
    if cursor is None:
        return []
    return [tuple_(col(Report.created_at), col(Report.id)) < tuple_(cursor.at, cursor.id)]


def _newest(row: Any) -> tuple[datetime, uuid.UUID]:
    return row.created_at, row.id


def _summary_columns() -> list[Any]:
    return [
        col(Report.id),
        col(Report.code),
        col(Report.category_code),
        func.substr(col(Report.description), 1, SUMMARY_LENGTH).label("description"),
        _LON,
        _LAT,
        col(Report.address),
        col(Report.ward_code),
        col(Report.status),
        col(Report.urgent),
        col(Report.created_at),
        col(Report.resolve_due_at),
        col(Report.support_count),
        col(Report.is_public),
        _thumbnail_key(),
    ]


def _thumbnail_url(row: Any, media: MediaUrls) -> str | None:
    if not row.thumbnail_key:
        return None
    return photo_url(row.thumbnail_key, media, public=bool(row.is_public))


def _summary(media: MediaUrls) -> Any:
    def build(row: Any) -> ReportSummary:
        return ReportSummary(
            id=row.id,
            code=row.code,
            category_code=row.category_code,
            description=row.description,
            location=LatLon(lat=row.lat, lon=row.lon),
            address=row.address,
            ward_code=row.ward_code,
            status=row.status,
            urgent=row.urgent,
            created_at=row.created_at,
            resolve_due_at=row.resolve_due_at,
            support_count=row.support_count,
            thumbnail_url=_thumbnail_url(row, media),
        )

    return build


def _public_where(area: BBox | Circle, filters: PublicFilters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [_PUBLIC, _in_area(area)]
    if filters.statuses:
        where.append(col(Report.status).in_([str(s) for s in filters.statuses]))
    if filters.category_codes:
        where.append(col(Report.category_code).in_(list(filters.category_codes)))
    return where


# -- The lists ---------------------------------------------------------------------------------------------

OWN_SORT = "own"
PUBLIC_SORT = "public"


async def own_reports(
    session: AsyncSession,
    reporter_id: uuid.UUID,
    *,
    statuses: Sequence[ReportStatus] = (),
    cursor: Cursor | None = None,
    limit: int = 20,
    media: MediaUrls,
) -> Page[ReportSummary]:
    """A citizen's own reports, newest first, private and merged ones included."""
    statement = select(*_summary_columns()).where(
        col(Report.reporter_id) == reporter_id, *_newest_after(cursor)
    )
    if statuses:
        statement = statement.where(col(Report.status).in_([str(s) for s in statuses]))
    statement = statement.order_by(col(Report.created_at).desc(), col(Report.id).desc()).limit(
        fetch_limit(limit)
    )
    rows = (await session.execute(statement)).all()
    return keyset_page(rows, limit, sort=OWN_SORT, position=_newest, item=_summary(media))


async def public_feed(
    session: AsyncSession,
    area: BBox | Circle,
    filters: PublicFilters,
    *,
    cursor: Cursor | None = None,
    limit: int = 20,
    media: MediaUrls,
) -> Page[ReportSummary]:
    """Public, not merged reports in the area, newest first (also within a radius: not nearest first)."""
    statement = (
        select(*_summary_columns())
        .where(*_public_where(area, filters), *_newest_after(cursor))
        .order_by(col(Report.created_at).desc(), col(Report.id).desc())
        .limit(fetch_limit(limit))
    )
    rows = (await session.execute(statement)).all()
    return keyset_page(rows, limit, sort=PUBLIC_SORT, position=_newest, item=_summary(media))


def _utc_text(moment: datetime) -> str:
    # As pydantic writes an aware datetime in UTC: seconds, microseconds when there are any, and "Z".
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _feature(row: Any) -> dict[str, Any]:
    """A GeoJSON feature as plain data: the map answers hundreds of these, and building a model for each
    costs more than the query (MapFeature documents the same shape)."""
    report_id = str(row.id)
    return {
        "type": "Feature",
        "id": report_id,
        "geometry": {"type": "Point", "coordinates": [row.lon, row.lat]},
        "properties": {
            "id": report_id,
            "code": row.code,
            "category_code": row.category_code,
            "status": row.status,
            "urgent": row.urgent,
            "support_count": row.support_count,
            "created_at": _utc_text(row.created_at),
        },
    }


# The map's query as text: it is sent with new constants for every box (see the module's docstring), and
# compiling an expression tree again each time would cost more than running the query.
_MAP_SQL = """
SELECT id, code, category_code, status, urgent, support_count, created_at,
       ST_X(location) AS lon, ST_Y(location) AS lat
FROM feedback_reports
WHERE is_public AND merged_into_id IS NULL AND location && {envelope}{filters}
ORDER BY created_at DESC, id DESC
LIMIT :limit
"""


async def public_map_rows(
    session: AsyncSession,
    bbox: BBox,
    filters: PublicFilters,
    *,
    cursor: Cursor | None = None,
    limit: int = 500,
) -> Sequence[Any]:
    """The map layer's rows (one more than `limit` when another page follows), newest first."""
    conditions: list[str] = []
    values: dict[str, Any] = {"limit": fetch_limit(limit)}
    expanding: list[BindParameter[Any]] = []
    if filters.statuses:
        conditions.append("status IN :statuses")
        values["statuses"] = [str(s) for s in filters.statuses]
        expanding.append(bindparam("statuses", expanding=True))
    if filters.category_codes:
        conditions.append("category_code IN :categories")
        values["categories"] = list(filters.category_codes)
        expanding.append(bindparam("categories", expanding=True))
    if cursor is not None:
        conditions.append("(created_at, id) < (:after_at, :after_id)")
        values |= {"after_at": cursor.at, "after_id": cursor.id}
    envelope = ", ".join(repr(float(v)) for v in (bbox.min_lon, bbox.min_lat, bbox.max_lon, bbox.max_lat))
    statement = text(
        _MAP_SQL.format(
            envelope=f"ST_MakeEnvelope({envelope}, 4326)",
            filters="".join(f" AND {c}" for c in conditions),
        )
    ).bindparams(*expanding)
    return (await session.execute(statement, values)).all()


async def public_map(
    session: AsyncSession,
    bbox: BBox,
    filters: PublicFilters,
    *,
    cursor: Cursor | None = None,
    limit: int = 500,
) -> dict[str, Any]:
    """Public, not merged reports in the box as a GeoJSON FeatureCollection (a MapFeatureCollection as
    plain data, ready for json.dumps), newest first."""
    rows = await public_map_rows(session, bbox, filters, cursor=cursor, limit=limit)
    page: Page[dict[str, Any]] = keyset_page(rows, limit, sort=PUBLIC_SORT, position=_newest, item=_feature)
    return {"type": "FeatureCollection", "features": page.items, "next_cursor": page.next_cursor}


# -- The officers' inbox -----------------------------------------------------------------------------------


def inbox_statement(
    units: frozenset[str] | None,
    filters: InboxFilters,
    sort: InboxSort,
    cursor: Cursor | None,
    limit: int,
) -> Select[Any]:
    """Reports of `units` (None: every unit) matching `filters`, in `sort` order after `cursor`."""
    statement = select(
        *_summary_columns(),
        col(Report.unit_code),
        col(Report.department_code),
        col(Report.sla_state),
        col(Report.anonymous),
        col(Report.acknowledge_due_at),
        col(Report.assignee_id),
        col(User.display_name).label("reporter_name"),
    ).outerjoin(User, col(User.id) == col(Report.reporter_id))
    where: list[ColumnElement[bool]] = []
    if units is not None:
        where.append(col(Report.unit_code).in_(sorted(units)))
    listed: list[tuple[Any, Sequence[Any]]] = [
        (Report.status, [str(s) for s in filters.statuses]),
        (Report.category_code, filters.category_codes),
        (Report.unit_code, filters.unit_codes),
        (Report.department_code, filters.department_codes),
        (Report.sla_state, [str(s) for s in filters.sla_states]),
    ]
    where += [col(column).in_(list(values)) for column, values in listed if values]
    if filters.urgent is not None:
        where.append(col(Report.urgent).is_(filters.urgent))
    if filters.assignee_id is not None:
        where.append(col(Report.assignee_id) == filters.assignee_id)
    if filters.code_prefix:
        where.append(col(Report.code).startswith(filters.code_prefix, autoescape=True))
    if filters.created_from is not None:
        where.append(col(Report.created_at) >= filters.created_from)
    if filters.created_to is not None:
        where.append(col(Report.created_at) < filters.created_to)
    key = col(Report.resolve_due_at) if sort is InboxSort.DEADLINE else col(Report.created_at)
    if cursor is not None:
        after = tuple_(key, col(Report.id))
        position = tuple_(cursor.at, cursor.id)
        where.append(after < position if sort is InboxSort.NEWEST else after > position)
    order = [key.desc(), col(Report.id).desc()] if sort is InboxSort.NEWEST else [key.asc(), col(Report.id)]
    return statement.where(*where).order_by(*order).limit(fetch_limit(limit))


def inbox_key(sort: InboxSort) -> str:
    return "resolve_due_at" if sort is InboxSort.DEADLINE else "created_at"


def _inbox_item(media: MediaUrls) -> Any:
    def build(row: Any) -> InboxItem:
        return InboxItem(
            id=row.id,
            code=row.code,
            category_code=row.category_code,
            description=row.description,
            location=LatLon(lat=row.lat, lon=row.lon),
            address=row.address,
            ward_code=row.ward_code,
            unit_code=row.unit_code,
            department_code=row.department_code,
            status=row.status,
            sla_state=row.sla_state,
            urgent=row.urgent,
            anonymous=row.anonymous,
            support_count=row.support_count,
            created_at=row.created_at,
            acknowledge_due_at=row.acknowledge_due_at,
            resolve_due_at=row.resolve_due_at,
            assignee_id=row.assignee_id,
            reporter_name=row.reporter_name,
            thumbnail_url=_thumbnail_url(row, media),
        )

    return build


async def inbox(
    session: AsyncSession,
    units: frozenset[str] | None,
    filters: InboxFilters,
    *,
    sort: InboxSort = InboxSort.DEADLINE,
    cursor: Cursor | None = None,
    limit: int = 20,
    media: MediaUrls,
) -> Page[InboxItem]:
    rows = (await session.execute(inbox_statement(units, filters, sort, cursor, limit))).all()
    key = inbox_key(sort)
    return keyset_page(
        rows,
        limit,
        sort=inbox_cursor_sort(sort),
        position=lambda row: (getattr(row, key), row.id),
        item=_inbox_item(media),
    )


async def inbox_batches(
    session: AsyncSession,
    units: frozenset[str] | None,
    filters: InboxFilters,
    *,
    sort: InboxSort,
    cap: int,
    batch: int = 1000,
    media: MediaUrls,
) -> AsyncIterator[list[InboxItem]]:
    """Every matching inbox row, up to `cap`, in batches (each one keyset query), for exports."""
    cursor: Cursor | None = None
    left = cap
    while left > 0:
        size = min(batch, left)
        rows = (await session.execute(inbox_statement(units, filters, sort, cursor, size))).all()[:size]
        if not rows:
            return
        yield [_inbox_item(media)(row) for row in rows]
        left -= len(rows)
        if len(rows) < size:
            return
        last = rows[-1]
        cursor = Cursor(at=getattr(last, inbox_key(sort)), id=last.id)
