"""Accepting and declining an offer: the first to accept is assigned and the others are told; every refusal
is a clear problem and changes nothing."""

from __future__ import annotations

import uuid

import httpx
import pytest

from core.identity.principal import Role
from ioc.alarms import events, journal
from ioc.types import Severity
from tests.ioc.dispatch.helpers import ELSEWHERE, OTHER_WARD, World
from tests.support.people import Person


def accept_path(alarm_id: uuid.UUID) -> str:
    return f"/api/v1/alerts/{alarm_id}/dispatch/accept"


def decline_path(alarm_id: uuid.UUID) -> str:
    return f"/api/v1/alerts/{alarm_id}/dispatch/decline"


async def _offered(world: World, count: int = 3) -> tuple[uuid.UUID, list[Person]]:
    workers = [await world.staff(100 * (index + 1)) for index in range(count)]
    alarm = await world.alarm(Severity.MAJOR)
    await world.react()
    return alarm.id, workers


async def test_the_first_to_accept_is_assigned_and_the_others_are_told(
    client: httpx.AsyncClient, world: World
) -> None:
    alarm_id, (first, second, third) = await _offered(world)

    answer = await client.post(accept_path(alarm_id), headers=second.headers)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["assignee_id"] == str(second.id)
    assert body["offer"]["answer"] == "accepted"
    assert (await world.alarm_row(alarm_id)).assignee_id == second.id
    assert await world.offered_to(alarm_id, answer="accepted") == {second.id}
    assert await world.offered_to(alarm_id, answer="withdrawn") == {first.id, third.id}
    for other in (first, third):
        [told] = await world.pushes(other.id, "dispatch_taken")
        assert told.data["alarm_id"] == str(alarm_id)
        assert told.title_en.startswith("Taken")
    assert await world.pushes(second.id, "dispatch_taken") == []
    [dispatch] = await world.dispatches(alarm_id)
    assert (dispatch.status, dispatch.accepted_by) == ("accepted", second.id)
    [entry] = await world.timeline(alarm_id, journal.DISPATCH_ACCEPTED)
    assert entry.actor_id == second.id
    [event] = await world.events(alarm_id, events.DISPATCH_ACCEPTED)
    assert event.data["change"] == {"assignee_id": str(second.id), "actor_id": str(second.id)}
    assert event.data["alarm"]["assignee_id"] == str(second.id)

    again = await client.post(accept_path(alarm_id), headers=second.headers)
    assert again.status_code == 200
    assert len(await world.timeline(alarm_id, journal.DISPATCH_ACCEPTED)) == 1


async def test_an_alarm_already_taken_is_a_409(client: httpx.AsyncClient, world: World) -> None:
    alarm_id, (first, second, third) = await _offered(world)
    assert (await client.post(accept_path(alarm_id), headers=first.headers)).status_code == 200

    for path in (accept_path(alarm_id), decline_path(alarm_id)):
        answer = await client.post(path, headers=second.headers)
        assert answer.status_code == 409
        assert answer.json()["code"] == "dispatch_taken"
    assert (await world.alarm_row(alarm_id)).assignee_id == first.id
    assert await world.offered_to(alarm_id, answer="withdrawn") == {second.id, third.id}


async def test_an_alarm_not_offered_to_the_caller_is_a_403(client: httpx.AsyncClient, world: World) -> None:
    alarm_id, _ = await _offered(world, count=3)
    fourth = await world.staff(400)

    for path in (accept_path(alarm_id), decline_path(alarm_id)):
        answer = await client.post(path, headers=fourth.headers)
        assert answer.status_code == 403
        assert answer.json()["code"] == "not_offered"
    assert (await world.alarm_row(alarm_id)).assignee_id is None


async def test_an_unknown_or_another_units_alarm_is_a_404(client: httpx.AsyncClient, world: World) -> None:
    outsider = await world.staff(100, unit_code=OTHER_WARD)
    lon, lat = ELSEWHERE
    theirs = await world.alarm(Severity.MINOR, unit_code="13693", lon=lon, lat=lat)

    for alarm_id in (uuid.uuid4(), theirs.id):
        for path in (accept_path(alarm_id), decline_path(alarm_id)):
            answer = await client.post(path, headers=outsider.headers)
            assert answer.status_code == 404, answer.text
            assert answer.json()["code"] == "alarm_not_found"


async def test_a_cleared_alarm_cannot_be_accepted(client: httpx.AsyncClient, world: World) -> None:
    alarm_id, (first, *_) = await _offered(world)
    await world.clear(alarm_id)

    answer = await client.post(accept_path(alarm_id), headers=first.headers)

    assert answer.status_code == 409
    assert answer.json()["code"] == "alarm_cleared"
    assert (await world.alarm_row(alarm_id)).assignee_id is None


async def test_declining_records_the_reason_and_closes_the_offer(
    client: httpx.AsyncClient, world: World
) -> None:
    alarm_id, (first, *_) = await _offered(world)

    answer = await client.post(
        decline_path(alarm_id), json={"reason": "Đang ở hiện trường khác"}, headers=first.headers
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["answer"] == "declined"
    [row] = [o for o in await world.offers(alarm_id) if o.staff_id == first.id]
    assert (row.answer, row.reason) == ("declined", "Đang ở hiện trường khác")
    [entry] = await world.timeline(alarm_id, journal.DISPATCH_DECLINED)
    assert entry.comment == "Đang ở hiện trường khác"
    [event] = await world.events(alarm_id, events.UPDATED)
    assert event.data["change"]["dispatch"] == "declined"

    for path in (decline_path(alarm_id), accept_path(alarm_id)):
        again = await client.post(path, headers=first.headers)
        assert again.status_code == 409
        assert again.json()["code"] == "offer_closed"
    assert (await world.alarm_row(alarm_id)).assignee_id is None


async def test_declining_without_a_body_and_with_a_bad_one(client: httpx.AsyncClient, world: World) -> None:
    alarm_id, (first, second, _) = await _offered(world)
    assert (await client.post(decline_path(alarm_id), headers=first.headers)).status_code == 200
    too_long = await client.post(decline_path(alarm_id), json={"reason": "x" * 501}, headers=second.headers)
    assert too_long.status_code == 422
    assert second.id in await world.offered_to(alarm_id, answer=None)


@pytest.mark.parametrize("role", [Role.OFFICER, Role.CITIZEN, Role.ADMIN])
async def test_only_field_staff_answer_offers(client: httpx.AsyncClient, world: World, role: Role) -> None:
    alarm_id, _ = await _offered(world, count=1)
    caller = await world.person(role, "13666" if role is Role.OFFICER else None)
    answer = await client.post(accept_path(alarm_id), headers=caller.headers)
    assert answer.status_code == 403
    assert answer.json()["code"] == "forbidden"


async def test_a_worker_lists_his_open_offers(client: httpx.AsyncClient, world: World) -> None:
    alarm_id, (first, *_) = await _offered(world)
    mine = (await client.get("/api/v1/me/dispatch-offers", headers=first.headers)).json()
    assert [offer["alarm_id"] for offer in mine] == [str(alarm_id)]
    assert mine[0]["alarm"]["severity"] == "major"
    await client.post(decline_path(alarm_id), headers=first.headers)
    assert (await client.get("/api/v1/me/dispatch-offers", headers=first.headers)).json() == []


async def test_staff_of_the_unit_read_the_dispatches_of_an_alarm(
    client: httpx.AsyncClient, world: World
) -> None:
    alarm_id, (first, *_) = await _offered(world)
    officer = await world.person(Role.OFFICER, "13666")
    outsider = await world.person(Role.OFFICER, OTHER_WARD)
    await client.post(accept_path(alarm_id), headers=first.headers)

    [dispatch] = (await client.get(f"/api/v1/alerts/{alarm_id}/dispatches", headers=officer.headers)).json()

    assert dispatch["status"] == "accepted"
    assert dispatch["accepted_by"] == str(first.id)
    assert [offer["answer"] for offer in dispatch["offers"]] == ["accepted", "withdrawn", "withdrawn"]
    hidden = await client.get(f"/api/v1/alerts/{alarm_id}/dispatches", headers=outsider.headers)
    assert hidden.status_code == 404
