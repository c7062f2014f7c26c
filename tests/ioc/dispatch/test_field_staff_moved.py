"""alerts.field_staff_moved: each stored duty and position is announced through the outbox in the same
transaction, with the position only while on duty; a refused position announces nothing; and the live
channel hands the event to officers and admins, never to other field staff."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from api.ws.connection import Connection, LiveEvent
from api.ws.replay import matches
from core.events.access import may_receive
from core.events.stream import cursor_key
from core.identity.principal import Principal, Role
from ioc.dispatch.moves import FIELD_STAFF_MOVED
from tests.ioc.dispatch.helpers import WARD, World, north

STATUS = "/api/v1/me/field-status"


async def _moves(world: World, user_id: uuid.UUID) -> list[Any]:
    return await world.rows(
        "SELECT type, unit_code, subject_id, data, ST_X(location) AS lon, ST_Y(location) AS lat "
        "FROM event_outbox WHERE type = :t AND subject_id = :s ORDER BY id",
        t=FIELD_STAFF_MOVED,
        s=str(user_id),
    )


async def test_a_stored_position_is_announced_and_going_off_duty_too(
    client: httpx.AsyncClient, world: World
) -> None:
    worker = await world.person(Role.FIELD_STAFF, WARD)
    lon, lat = north(150)

    on = await client.put(
        STATUS, json={"on_duty": True, "lat": lat, "lon": lon, "accuracy_m": 8}, headers=worker.headers
    )
    off = await client.put(STATUS, json={"on_duty": False}, headers=worker.headers)

    assert (on.status_code, off.status_code) == (200, 200), (on.text, off.text)
    moved, left = await _moves(world, worker.id)
    assert (moved.unit_code, moved.subject_id) == (WARD, str(worker.id))
    assert (moved.lon, moved.lat) == (pytest.approx(lon), pytest.approx(lat))
    assert moved.data["user_id"] == str(worker.id)
    assert (moved.data["on_duty"], moved.data["available"]) == (True, True)
    assert (moved.data["lat"], moved.data["lon"]) == (pytest.approx(lat), pytest.approx(lon))
    assert moved.data["recorded_at"] is not None
    assert (left.data["on_duty"], left.data["lat"], left.data["lon"]) == (False, None, None)
    assert (left.lon, left.lat) == (None, None)


async def test_a_refused_position_announces_nothing(client: httpx.AsyncClient, world: World) -> None:
    worker = await world.person(Role.FIELD_STAFF, WARD)

    far = await client.put(
        STATUS, json={"on_duty": True, "lat": 10.0, "lon": 100.0, "accuracy_m": 8}, headers=worker.headers
    )
    impossible = await client.put(STATUS, json={"on_duty": True, "lat": 95, "lon": 0}, headers=worker.headers)

    assert (far.status_code, impossible.status_code) == (422, 422)
    assert await _moves(world, worker.id) == []


def _connection(role: Role) -> Connection:
    connection = Connection(10, lambda code, reason: None)
    connection.principal = Principal(user_id=uuid.uuid4(), role=role, unit_code=WARD)
    connection.live = True
    return connection


async def test_the_live_channel_gives_it_to_officers_and_admins_only() -> None:
    event = LiveEvent(cursor=cursor_key("1-0"), text="{}", lon=None, lat=None, type=FIELD_STAFF_MOVED)
    received = {}
    for role in (Role.OFFICER, Role.ADMIN, Role.FIELD_STAFF):
        connection = _connection(role)
        connection.offer(event)
        received[role] = connection.queue.qsize()

    assert received == {Role.OFFICER: 1, Role.ADMIN: 1, Role.FIELD_STAFF: 0}
    # A replay after a reconnection applies the same rule; other alerts reach field staff as before.
    routes = {"alerts": frozenset({WARD})}
    envelope: dict[str, object] = {"type": FIELD_STAFF_MOVED, "unit_code": WARD}
    assert matches(routes, None, envelope, Role.OFFICER)
    assert not matches(routes, None, envelope, Role.FIELD_STAFF)
    assert matches(routes, None, {"type": "alerts.raised", "unit_code": WARD}, Role.FIELD_STAFF)
    assert not may_receive(None, FIELD_STAFF_MOVED)
