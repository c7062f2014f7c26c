"""Two reports of one cluster filed at the same moment, in two transactions: the rule's lock makes the
second wait for the first and count it, so the third report of the cluster raises its alarm. Without it,
each would count only itself and the report before them, and the surge would go unseen."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.identity.models import User
from core.identity.principal import Role
from ioc.rules.surge import on_new_report
from tests.feedback.support import IN_WARD, insert_report
from tests.ioc.rules.test_surge import SURGE
from tests.support.alarms import DEFINITION
from tests.support.committed import committed_catalogue


@pytest.fixture
async def committed_rule(engine: AsyncEngine) -> AsyncIterator[uuid.UUID]:
    """A surge rule with committed reference data (units, categories, its author); everything the test
    wrote is removed afterwards."""
    checked = DEFINITION.validate_python(SURGE)
    rule_id = uuid.uuid4()
    admin = uuid.uuid4()
    async with committed_catalogue(engine):
        async with AsyncSession(engine, expire_on_commit=False) as session:
            session.add(
                User(id=admin, role=Role.ADMIN, username=f"admin-{admin.hex[:8]}", display_name="Quản trị")
            )
            await session.flush()
            await session.execute(
                text(
                    "INSERT INTO alert_rules (id, kind, current_version, created_by) "
                    "VALUES (:id, 'report_surge', 1, :admin)"
                ),
                {"id": rule_id, "admin": admin},
            )
            await session.execute(
                text(
                    "INSERT INTO alert_rule_versions (rule_id, version, definition, name, alarm_type, "
                    "created_by) VALUES (:id, 1, CAST(:definition AS jsonb), :name, :type, :admin)"
                ),
                {
                    "id": rule_id,
                    "definition": checked.model_dump_json(),
                    "name": checked.name,
                    "type": checked.alarm_type,
                    "admin": admin,
                },
            )
            await session.commit()
        try:
            yield rule_id
        finally:
            async with AsyncSession(engine) as session:
                found = await session.scalars(
                    text("SELECT id FROM alarms WHERE rule_id = :id"), {"id": rule_id}
                )
                alarm_ids = [str(alarm_id) for alarm_id in found]
                await session.execute(
                    text("DELETE FROM event_outbox WHERE subject_id = ANY(:ids)"), {"ids": alarm_ids}
                )
                await session.execute(text("DELETE FROM alarms WHERE rule_id = :id"), {"id": rule_id})
                await session.execute(
                    text("DELETE FROM alert_rule_states WHERE rule_id = :id"), {"id": rule_id}
                )
                await session.execute(text("DELETE FROM alert_rules WHERE id = :id"), {"id": rule_id})
                await session.execute(
                    text(
                        "DELETE FROM event_outbox WHERE type LIKE 'feedback.%' "
                        "AND data->>'category_code' = 'flooding'"
                    )
                )
                await session.execute(text("DELETE FROM feedback_reports WHERE category_code = 'flooding'"))
                await session.execute(text("DELETE FROM users WHERE id = :id"), {"id": admin})
                await session.commit()


async def test_racing_reports_of_one_cluster_make_one_alarm(
    engine: AsyncEngine, committed_rule: uuid.UUID
) -> None:
    now = datetime.now(UTC)
    lat, lon = IN_WARD

    async def file(seconds: int, metres: float, hold: float) -> None:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            filed = await insert_report(
                session,
                category_code="flooding",
                lat_lon=(lat + metres / 111_000, lon),
                created_at=now + timedelta(seconds=seconds),
                answers={"water_depth_cm": 30},
            )
            await on_new_report(session, filed)
            # Keep the transaction open a moment, so the other one surely arrives meanwhile.
            await session.execute(text("SELECT pg_sleep(:hold)"), {"hold": hold})

    await file(0, 0, 0)
    await asyncio.gather(file(10, 50, 0.3), file(10, 80, 0.3))
    async with AsyncSession(engine) as session:
        rows = (
            await session.execute(
                text("SELECT id, count, status, details FROM alarms WHERE rule_id = :id"),
                {"id": committed_rule},
            )
        ).all()
        [alarm] = rows
        kinds = (
            await session.scalars(
                text("SELECT kind FROM alarm_timeline WHERE alarm_id = :id ORDER BY id"), {"id": alarm.id}
            )
        ).all()
    assert (alarm.status, alarm.details["reports"]) == ("active_unacknowledged", 3)
    assert list(kinds) == ["raised"]
