"""The SQL of the rules' admin side: rules and their versions, the list's page, the rule engine's wake-up,
and the checks a definition needs from the database (units that exist, a zone's validity and place).
Writes go through the caller's unit of work; nothing here commits."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import and_, literal, or_, select, text, tuple_
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.cursor import Cursor, fetch_limit
from core.units.models import AdminUnit
from ioc.rules.models import AlertRule, AlertRuleVersion
from ioc.rules.schemas import RuleFilter

# The rule engine LISTENs here and reloads its rules; the payload is the changed rule's id. Delivered when
# (and if) the change commits.
NOTIFY_CHANNEL = "smartcity_rules"

_NOTIFY = text("SELECT pg_notify(:channel, :payload)")

_ZONE_VALIDITY = text("""
SELECT ST_IsValid(z.g) AS valid, ST_IsValidReason(z.g) AS reason
FROM (SELECT ST_GeomFromText(:wkt, 4326) AS g) AS z
""")

# Covered by the union of the provinces it touches (the GIST index finds them): a zone may straddle two
# provinces of the system, never leave them. Only asked of a valid zone: GEOS may fail on an invalid one.
_ZONE_IN_PROVINCES = text("""
SELECT coalesce(ST_CoveredBy(z.g, (
    SELECT ST_Union(u.boundary) FROM admin_units AS u
    WHERE u.level = 'province' AND ST_Intersects(u.boundary, z.g)
)), false)
FROM (SELECT ST_GeomFromText(:wkt, 4326) AS g) AS z
""")

_ZONE_MEETS_UNITS = text("""
SELECT EXISTS (
    SELECT 1 FROM admin_units AS u
    WHERE u.code = ANY(:codes) AND ST_Intersects(u.boundary, ST_GeomFromText(:wkt, 4326))
)
""")


def _current() -> Any:
    return and_(
        col(AlertRuleVersion.rule_id) == col(AlertRule.id),
        col(AlertRuleVersion.version) == col(AlertRule.current_version),
    )


async def find_rule(
    session: AsyncSession, rule_id: uuid.UUID, *, for_update: bool = False
) -> AlertRule | None:
    """The rule unless it was deleted; locked when asked, so that two changes to it queue up."""
    query = select(AlertRule).where(col(AlertRule.id) == rule_id, col(AlertRule.deleted_at).is_(None))
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def rule_with_version(
    session: AsyncSession, rule_id: uuid.UUID
) -> tuple[AlertRule, AlertRuleVersion] | None:
    """(rule, its current version), unless the rule was deleted."""
    query = (
        select(AlertRule, AlertRuleVersion)
        .join(AlertRuleVersion, _current())
        .where(col(AlertRule.id) == rule_id, col(AlertRule.deleted_at).is_(None))
    )
    row = (await session.execute(query)).one_or_none()
    return None if row is None else (row[0], row[1])


async def page_of_rules(
    session: AsyncSession, filters: RuleFilter, position: Cursor | None, limit: int
) -> list[tuple[AlertRule, AlertRuleVersion]]:
    """(rule, current version) rows, newest first from after `position`, keyset on (created_at, id);
    fetch_limit(limit) of them."""
    query = (
        select(AlertRule, AlertRuleVersion)
        .join(AlertRuleVersion, _current())
        .where(col(AlertRule.deleted_at).is_(None))
    )
    if filters.kind is not None:
        query = query.where(col(AlertRule.kind) == filters.kind)
    if filters.enabled is not None:
        query = query.where(col(AlertRule.enabled) == filters.enabled)
    if filters.alarm_type is not None:
        query = query.where(col(AlertRuleVersion.alarm_type) == filters.alarm_type)
    if filters.unit_code is not None:
        province = (
            select(col(AdminUnit.parent_code))
            .where(col(AdminUnit.code) == filters.unit_code)
            .scalar_subquery()
        )
        query = query.where(
            or_(
                col(AlertRuleVersion.unit_codes).is_(None),
                col(AlertRuleVersion.unit_codes).op("&&")(array([literal(filters.unit_code), province])),
            )
        )
    if position is not None:
        query = query.where(tuple_(col(AlertRule.created_at), col(AlertRule.id)) < (position.at, position.id))
    query = query.order_by(col(AlertRule.created_at).desc(), col(AlertRule.id).desc()).limit(
        fetch_limit(limit)
    )
    return [(row[0], row[1]) for row in await session.execute(query)]


async def page_of_versions(
    session: AsyncSession, rule_id: uuid.UUID, before_version: int | None, limit: int
) -> Sequence[AlertRuleVersion]:
    """The rule's versions, newest first, below `before_version` when given; fetch_limit(limit) of them."""
    query = select(AlertRuleVersion).where(col(AlertRuleVersion.rule_id) == rule_id)
    if before_version is not None:
        query = query.where(col(AlertRuleVersion.version) < before_version)
    query = query.order_by(col(AlertRuleVersion.version).desc()).limit(fetch_limit(limit))
    return (await session.execute(query)).scalars().all()


async def find_version(session: AsyncSession, rule_id: uuid.UUID, version: int) -> AlertRuleVersion | None:
    query = select(AlertRuleVersion).where(
        col(AlertRuleVersion.rule_id) == rule_id, col(AlertRuleVersion.version) == version
    )
    return (await session.execute(query)).scalar_one_or_none()


async def notify_rules_changed(session: AsyncSession, rule_id: uuid.UUID) -> None:
    await session.execute(_NOTIFY, {"channel": NOTIFY_CHANNEL, "payload": str(rule_id)})


async def missing_units(session: AsyncSession, codes: Collection[str]) -> list[str]:
    """The codes among `codes` that name no administrative unit, sorted."""
    query = select(col(AdminUnit.code)).where(col(AdminUnit.code).in_(sorted(codes)))
    found = set((await session.execute(query)).scalars())
    return sorted(set(codes) - found)


async def zone_validity(session: AsyncSession, wkt: str) -> tuple[bool, str]:
    """Whether the polygon is valid (OGC), and PostGIS' reason when it is not."""
    row = (await session.execute(_ZONE_VALIDITY, {"wkt": wkt})).one()
    return bool(row.valid), str(row.reason)


async def zone_in_provinces(session: AsyncSession, wkt: str) -> bool:
    """Whether the valid polygon lies inside the provinces (its edge may follow their outline)."""
    return bool((await session.execute(_ZONE_IN_PROVINCES, {"wkt": wkt})).scalar_one())


async def zone_meets_units(session: AsyncSession, wkt: str, codes: Collection[str]) -> bool:
    """Whether the valid polygon touches any of the units."""
    found = await session.execute(_ZONE_MEETS_UNITS, {"wkt": wkt, "codes": sorted(codes)})
    return bool(found.scalar_one())
