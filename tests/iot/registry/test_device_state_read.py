"""The registry shows each device's latest state: null until anything arrived, and the list stays one
query (the state is a LEFT JOIN)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core.identity.principal import Role
from tests.iot.telemetry.support import add_device, set_state
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("units")

SEEN = datetime(2026, 11, 22, 8, 30, 0, 250000, tzinfo=UTC)


@pytest.fixture
def statements(connection: AsyncConnection) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(connection.sync_connection, "before_cursor_execute", record)
    yield seen
    event.remove(connection.sync_connection, "before_cursor_execute", record)


async def test_state_is_null_until_something_arrives_then_shown(
    client: AsyncClient, session: AsyncSession, person: PersonFactory, statements: list[str]
) -> None:
    silent = await add_device(session)
    speaking = await add_device(session)
    await set_state(
        session,
        speaking.id,
        seq=42,
        ts=SEEN,
        metrics={"pm25": 35.2, "pm10": 51.0},
        last_seen_at=SEEN,
        reported_state="online",
        reported_at=SEEN,
        online=True,
        online_changed_at=SEEN,
    )
    admin = await person(Role.ADMIN)
    one = (await client.get(f"/api/v1/devices/{speaking.id}", headers=admin.headers)).json()
    assert one["state"] == {
        "online": True,
        "online_changed_at": "2026-11-22T08:30:00.250000Z",
        "last_seen_at": "2026-11-22T08:30:00.250000Z",
        "ts": "2026-11-22T08:30:00.250000Z",
        "seq": 42,
        "metrics": {"pm25": 35.2, "pm10": 51.0},
        "reported_state": "online",
        "last_event_type": None,
        "last_event_at": None,
    }
    assert (await client.get(f"/api/v1/devices/{silent.id}", headers=admin.headers)).json()["state"] is None
    statements.clear()
    listed = (await client.get("/api/v1/devices", headers=admin.headers)).json()["items"]
    assert {item["id"]: item["state"] is None for item in listed} == {
        str(silent.id): True,
        str(speaking.id): False,
    }
    device_queries = [sql for sql in statements if "FROM devices" in sql]
    assert len(device_queries) == 1
    assert "LEFT OUTER JOIN device_state" in device_queries[0]
