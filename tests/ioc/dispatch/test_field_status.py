"""PUT/GET /api/v1/me/field-status and GET /api/v1/field-staff: positions kept only while on duty and fresh;
impossible positions refused with nothing changed; officers see the staff of their units."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from core.identity.principal import Role
from tests.ioc.dispatch.helpers import OTHER_WARD, PROVINCE, WARD, World, north
from tests.support.people import Person

STATUS = "/api/v1/me/field-status"
STAFF = "/api/v1/field-staff"


def _on_duty(metres: float = 100, **more: Any) -> dict[str, Any]:
    lon, lat = north(metres)
    return {"on_duty": True, "lat": lat, "lon": lon, "accuracy_m": 8, **more}


async def _stored(world: World, worker: Person) -> Any:
    rows = await world.rows(
        "SELECT on_duty, ST_X(position) AS lon, ST_Y(position) AS lat, accuracy_m, position_at "
        "FROM field_staff_status WHERE user_id = :u",
        u=worker.id,
    )
    return rows[0] if rows else None


async def test_on_duty_keeps_the_position_and_off_duty_erases_it(
    client: httpx.AsyncClient, world: World
) -> None:
    worker = await world.person(Role.FIELD_STAFF, WARD)
    before = await client.get(STATUS, headers=worker.headers)
    assert before.status_code == 200
    assert before.json()["on_duty"] is False
    assert before.json()["updated_at"] is None

    body = _on_duty(recorded_at=(datetime.now(UTC) - timedelta(seconds=20)).isoformat())
    answer = await client.put(STATUS, json=body, headers=worker.headers)

    assert answer.status_code == 200, answer.text
    read = answer.json()
    assert (read["on_duty"], read["available"]) == (True, True)
    assert read["lat"] == pytest.approx(body["lat"])
    assert read["lon"] == pytest.approx(body["lon"])
    assert read["accuracy_m"] == 8
    assert datetime.fromisoformat(read["recorded_at"]) == datetime.fromisoformat(body["recorded_at"])
    assert (await client.get(STATUS, headers=worker.headers)).json() == read

    off = await client.put(STATUS, json={"on_duty": False}, headers=worker.headers)

    assert off.status_code == 200
    assert off.json()["on_duty"] is False
    assert off.json()["lat"] is None
    assert off.json()["updated_at"] is not None
    stored = await _stored(world, worker)
    assert (stored.on_duty, stored.lon, stored.lat, stored.accuracy_m, stored.position_at) == (
        False,
        None,
        None,
        None,
        None,
    )


async def test_a_position_off_duty_is_not_kept(client: httpx.AsyncClient, world: World) -> None:
    worker = await world.person(Role.FIELD_STAFF, WARD)
    answer = await client.put(STATUS, json={**_on_duty(), "on_duty": False}, headers=worker.headers)
    assert answer.status_code == 200
    assert (await _stored(world, worker)).lat is None


IMPOSSIBLE = {
    "latitude above 90": {"lat": 90.5},
    "longitude below -180": {"lon": -180.5},
    "negative accuracy": {"accuracy_m": -1},
    "accuracy over 5 km": {"accuracy_m": 5001},
    "a string for a number": {"lat": "north"},
    "recorded in the future": {"recorded_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()},
    "a time without offset": {"recorded_at": "2026-01-01T08:00:00"},
    "on duty without a position": {"lat": None},
    "an unknown field": {"speed": 3},
}


@pytest.mark.parametrize("change", IMPOSSIBLE.values(), ids=IMPOSSIBLE.keys())
async def test_an_impossible_position_is_refused_and_nothing_changes(
    client: httpx.AsyncClient, world: World, change: dict[str, Any]
) -> None:
    worker = await world.person(Role.FIELD_STAFF, WARD)
    assert (await client.put(STATUS, json=_on_duty(50), headers=worker.headers)).status_code == 200
    before = await _stored(world, worker)

    answer = await client.put(STATUS, json={**_on_duty(900), **change}, headers=worker.headers)

    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "validation_error"
    assert await _stored(world, worker) == before


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
async def test_not_a_number_is_refused(client: httpx.AsyncClient, world: World, number: str) -> None:
    worker = await world.person(Role.FIELD_STAFF, WARD)
    raw = f'{{"on_duty": true, "lat": {number}, "lon": 106.17, "accuracy_m": 5}}'
    answer = await client.put(
        STATUS, content=raw, headers={**worker.headers, "content-type": "application/json"}
    )
    assert answer.status_code == 422
    assert await _stored(world, worker) is None


async def test_a_position_outside_the_province_is_refused(client: httpx.AsyncClient, world: World) -> None:
    worker = await world.person(Role.FIELD_STAFF, WARD)
    answer = await client.put(STATUS, json=_on_duty(40_000), headers=worker.headers)
    assert answer.status_code == 422
    assert answer.json()["code"] == "outside_province"
    assert await _stored(world, worker) is None


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.OFFICER, Role.ADMIN])
async def test_only_field_staff_report_a_field_status(
    client: httpx.AsyncClient, world: World, role: Role
) -> None:
    caller = await world.person(role, WARD if role is Role.OFFICER else None)
    for answer in (
        await client.put(STATUS, json=_on_duty(), headers=caller.headers),
        await client.get(STATUS, headers=caller.headers),
    ):
        assert answer.status_code == 403
        assert answer.json()["code"] == "forbidden"
    assert (await client.get(STATUS)).status_code == 401


async def test_a_stale_position_reads_as_off_duty(client: httpx.AsyncClient, world: World) -> None:
    worker = await world.staff(100, recorded_at=datetime.now(UTC) - timedelta(minutes=16))
    read = (await client.get(STATUS, headers=worker.headers)).json()
    assert (read["on_duty"], read["available"], read["lat"]) == (False, False, None)


async def test_a_worker_with_an_accepted_dispatch_is_not_available(
    client: httpx.AsyncClient, world: World
) -> None:
    worker = await world.staff(100)
    alarm = await world.alarm()
    await world.react()
    assert (
        await client.post(f"/api/v1/alerts/{alarm.id}/dispatch/accept", headers=worker.headers)
    ).is_success

    read = (await client.get(STATUS, headers=worker.headers)).json()

    assert (read["on_duty"], read["available"]) == (True, False)


async def test_officers_list_the_staff_on_duty_of_their_units(
    client: httpx.AsyncClient, world: World
) -> None:
    here = await world.staff(100)
    province_wide = await world.staff(200, unit_code=PROVINCE)
    elsewhere = await world.staff(300, unit_code=OTHER_WARD)
    await world.staff(on_duty=False)
    await world.staff(400, recorded_at=datetime.now(UTC) - timedelta(hours=1))
    ward_officer = await world.person(Role.OFFICER, WARD)
    province_officer = await world.person(Role.OFFICER, PROVINCE)

    seen = (await client.get(STAFF, headers=ward_officer.headers)).json()
    assert [item["user_id"] for item in seen["items"]] == [str(here.id)]
    assert seen["items"][0]["available"] is True
    assert seen["items"][0]["unit_code"] == WARD
    assert seen["items"][0]["lat"] == pytest.approx(north(100)[1])

    everyone = {str(w.id) for w in (here, province_wide, elsewhere)}
    pages: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(STAFF, params=params, headers=province_officer.headers)).json()
        pages.extend(item["user_id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert set(pages) == everyone
    assert len(pages) == 3

    one_ward = await client.get(STAFF, params={"unit_code": OTHER_WARD}, headers=province_officer.headers)
    assert [item["user_id"] for item in one_ward.json()["items"]] == [str(elsewhere.id)]


async def test_another_units_staff_list_is_refused(client: httpx.AsyncClient, world: World) -> None:
    officer = await world.person(Role.OFFICER, WARD)
    worker = await world.person(Role.FIELD_STAFF, WARD)
    answer = await client.get(STAFF, params={"unit_code": OTHER_WARD}, headers=officer.headers)
    assert answer.status_code == 403
    assert answer.json()["code"] == "outside_unit"
    assert (await client.get(STAFF, headers=worker.headers)).status_code == 403
    bad_cursor = await client.get(STAFF, params={"cursor": "nonsense"}, headers=officer.headers)
    assert bad_cursor.status_code == 400


async def test_deleting_the_worker_removes_his_status(world: World) -> None:
    worker = await world.staff(100)
    await world.session.execute(text("DELETE FROM users WHERE id = :u"), {"u": worker.id})
    assert await _stored(world, worker) is None
