"""The incident routes: staff of the unit read, officers link, unlink, make and close; every bad input is a
clear problem that changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.identity.principal import Role
from core.settings import Settings
from ioc.alarms.models import AlarmEntry
from ioc.incidents.models import Incident
from ioc.rules.models import AlertRuleVersion
from tests.feedback.support import insert_report
from tests.ioc.incidents.support import events_of, incident_of_two, moved, raise_alarm, react
from tests.support.people import Person, PersonFactory

BASE = "/api/v1/incidents"
IN_OTHER_WARD = (106.1620, 20.4480)  # (lon, lat) in ward 13684


async def _get(client: AsyncClient, who: Person, incident_id: uuid.UUID) -> dict[str, Any]:
    response = await client.get(f"{BASE}/{incident_id}", headers=who.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code


async def test_staff_read_their_units_incidents_and_no_one_else_does(
    client: AsyncClient,
    session: AsyncSession,
    settings: Settings,
    flood: AlertRuleVersion,
    officer: Person,
    person: PersonFactory,
) -> None:
    first, second, incident_id = await incident_of_two(session, settings, flood)
    report = await insert_report(session, category_code="flooding", lat_lon=(20.4320, 106.1712))
    await client.post(
        f"{BASE}/{incident_id}/links", headers=officer.headers, json={"kind": "report", "id": str(report.id)}
    )
    field = await person(Role.FIELD_STAFF, "13666")
    province = await person(Role.OFFICER, "37")
    elsewhere = await person(Role.OFFICER, "13684")
    citizen = await person()

    detail = await _get(client, field, incident_id)
    assert detail["lead_alarm_id"] == str(second.id)
    assert [alarm["id"] for alarm in detail["alarms"]] == [str(first.id), str(second.id)]
    [member] = detail["reports"]
    assert member["code"] == report.code
    assert "reporter_id" not in member
    assert "description" not in member
    assert (await _get(client, province, incident_id))["id"] == str(incident_id)
    _problem(await client.get(f"{BASE}/{incident_id}", headers=elsewhere.headers), 404, "incident_not_found")
    _problem(await client.get(f"{BASE}/{uuid.uuid4()}", headers=officer.headers), 404, "incident_not_found")
    _problem(await client.get(f"{BASE}/{incident_id}", headers=citizen.headers), 403, "forbidden")
    assert (await client.get(f"{BASE}/{incident_id}")).status_code == 401

    listed = await client.get(BASE, headers=officer.headers)
    assert [item["id"] for item in listed.json()["items"]] == [str(incident_id)]
    assert (await client.get(BASE, headers=elsewhere.headers)).json()["items"] == []


async def test_the_list_filters_and_pages(
    client: AsyncClient, session: AsyncSession, settings: Settings, flood: AlertRuleVersion, officer: Person
) -> None:
    *_, older = await incident_of_two(session, settings, flood)
    *_, newer = await incident_of_two(session, settings, flood, east_m=1500)
    await client.post(f"{BASE}/{older}/close", headers=officer.headers)

    async def ids(**params: Any) -> list[str]:
        response = await client.get(BASE, headers=officer.headers, params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids() == [str(newer), str(older)]
    assert await ids(status="open") == [str(newer)]
    assert await ids(status=["open", "closed"]) == [str(newer), str(older)]
    assert await ids(unit_code="13666") == [str(newer), str(older)]
    west, south = moved(east_m=-200, north_m=-200)
    east, north = moved(east_m=300, north_m=200)
    assert await ids(bbox=f"{west},{south},{east},{north}") == [str(older)]
    assert await ids(seen_from="2999-01-01T00:00:00Z") == []
    assert await ids(seen_to="2001-01-01T00:00:00+07:00") == []

    first = (await client.get(BASE, headers=officer.headers, params={"limit": 1})).json()
    assert [item["id"] for item in first["items"]] == [str(newer)]
    second = await client.get(
        BASE, headers=officer.headers, params={"limit": 1, "cursor": first["next_cursor"]}
    )
    assert [item["id"] for item in second.json()["items"]] == [str(older)]
    assert second.json()["next_cursor"] is None

    bad = {
        "status": "burning",
        "unit_code": "1",
        "bbox": "1,2,3",
        "seen_from": "yesterday",
        "limit": "0",
    }
    for name, value in bad.items():
        _problem(
            await client.get(BASE, headers=officer.headers, params={name: value}), 422, "validation_error"
        )
    inverted = {"seen_from": "2026-01-02T00:00:00Z", "seen_to": "2026-01-01T00:00:00Z"}
    _problem(await client.get(BASE, headers=officer.headers, params=inverted), 422, "validation_error")
    _problem(
        await client.get(BASE, headers=officer.headers, params={"unit_code": "13684"}), 403, "outside_unit"
    )
    _problem(
        await client.get(BASE, headers=officer.headers, params={"cursor": "nope"}), 400, "invalid_cursor"
    )


async def test_an_officer_links_an_alarm_by_hand(
    client: AsyncClient, session: AsyncSession, settings: Settings, flood: AlertRuleVersion, officer: Person
) -> None:
    *_, incident_id = await incident_of_two(session, settings, flood)
    lone = await raise_alarm(session, flood, at=moved(east_m=3000))
    await react(session, settings)

    response = await client.post(
        f"{BASE}/{incident_id}/links", headers=officer.headers, json={"kind": "alarm", "id": str(lone.id)}
    )
    assert response.status_code == 200, response.text
    linked = {alarm["id"]: alarm for alarm in response.json()["alarms"]}
    assert linked[str(lone.id)]["linked_by"] == str(officer.id)
    assert response.json()["alarm_count"] == 3
    entry = await session.scalar(
        select(AlarmEntry).where(
            col(AlarmEntry.alarm_id) == lone.id, col(AlarmEntry.kind) == "incident_linked"
        )
    )
    assert entry is not None
    assert entry.actor_id == officer.id
    assert entry.detail["incident_id"] == str(incident_id)
    [updated] = await events_of(session, "alerts.incident_updated")
    assert updated["change"] == {
        "linked": [{"kind": "alarm", "id": str(lone.id)}],
        "by": "officer",
        "actor_id": str(officer.id),
    }


async def test_bad_links_are_refused_and_change_nothing(
    client: AsyncClient,
    session: AsyncSession,
    settings: Settings,
    flood: AlertRuleVersion,
    officer: Person,
    person: PersonFactory,
) -> None:
    first, _, incident_id = await incident_of_two(session, settings, flood)
    *_, other_incident = await incident_of_two(session, settings, flood, east_m=3000)
    theirs = await raise_alarm(session, flood, at=IN_OTHER_WARD, unit_code="13684")
    their_report = await insert_report(
        session, category_code="flooding", lat_lon=(20.4480, 106.1620), unit_code="13684", ward_code="13684"
    )
    field = await person(Role.FIELD_STAFF, "13666")
    before = await _get(client, officer, incident_id)

    async def link(body: dict[str, Any], who: Person = officer, target: uuid.UUID = incident_id) -> Any:
        return await client.post(f"{BASE}/{target}/links", headers=who.headers, json=body)

    _problem(await link({"kind": "alarm", "id": str(uuid.uuid4())}), 404, "alarm_not_found")
    _problem(await link({"kind": "report", "id": str(uuid.uuid4())}), 404, "report_not_found")
    _problem(await link({"kind": "alarm", "id": str(theirs.id)}), 404, "alarm_not_found")
    _problem(await link({"kind": "report", "id": str(their_report.id)}), 404, "report_not_found")
    _problem(await link({"kind": "alarm", "id": str(first.id)}), 409, "already_linked")
    _problem(
        await link({"kind": "alarm", "id": str(first.id)}, target=other_incident), 409, "linked_elsewhere"
    )
    _problem(await link({"kind": "device", "id": str(first.id)}), 422, "validation_error")
    _problem(await link({"kind": "alarm", "id": "not-a-uuid"}), 422, "validation_error")
    _problem(await link({"kind": "alarm", "id": str(first.id), "extra": 1}), 422, "validation_error")
    _problem(await link({"kind": "alarm", "id": str(first.id)}, who=field), 403, "forbidden")
    _problem(
        await link({"kind": "alarm", "id": str(first.id)}, target=uuid.uuid4()), 404, "incident_not_found"
    )
    assert await _get(client, officer, incident_id) == before


async def test_moving_a_member_takes_it_out_of_its_incident(
    client: AsyncClient, session: AsyncSession, settings: Settings, flood: AlertRuleVersion, officer: Person
) -> None:
    first, second, source = await incident_of_two(session, settings, flood)
    *_, target = await incident_of_two(session, settings, flood, east_m=3000)

    response = await client.post(
        f"{BASE}/{target}/links",
        headers=officer.headers,
        json={"kind": "alarm", "id": str(first.id), "move": True},
    )
    assert response.status_code == 200, response.text
    assert response.json()["alarm_count"] == 3
    left = await _get(client, officer, source)
    assert [alarm["id"] for alarm in left["alarms"]] == [str(second.id)]
    assert left["status"] == "open"  # one member left: it stays open


async def test_unlinking_re_chooses_the_lead_and_the_last_member_closes_it(
    client: AsyncClient, session: AsyncSession, settings: Settings, flood: AlertRuleVersion, officer: Person
) -> None:
    first, second, incident_id = await incident_of_two(session, settings, flood)

    response = await client.delete(f"{BASE}/{incident_id}/links/alarm/{second.id}", headers=officer.headers)
    assert response.status_code == 200, response.text
    assert (response.json()["lead_alarm_id"], response.json()["severity"]) == (str(first.id), "warning")
    assert response.json()["status"] == "open"
    _problem(
        await client.delete(f"{BASE}/{incident_id}/links/alarm/{second.id}", headers=officer.headers),
        404,
        "member_not_linked",
    )
    _problem(
        await client.delete(f"{BASE}/{incident_id}/links/device/{second.id}", headers=officer.headers),
        422,
        "validation_error",
    )
    # What an officer took out is not linked again by the rules; a new alarm near the rest joins.
    newcomer = await raise_alarm(session, flood, at=moved(east_m=150))
    await react(session, settings)
    members = {alarm["id"] for alarm in (await _get(client, officer, incident_id))["alarms"]}
    assert members == {str(first.id), str(newcomer.id)}

    for alarm in (first, newcomer):
        response = await client.delete(
            f"{BASE}/{incident_id}/links/alarm/{alarm.id}", headers=officer.headers
        )
        assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["close_reason"]) == ("closed", "empty")
    assert response.json()["footprint"] is None
    [closed] = await events_of(session, "alerts.incident_closed")
    assert closed["change"]["unlinked"] == [{"kind": "alarm", "id": str(newcomer.id)}]
    assert closed["change"]["reason"] == "empty"
    _problem(
        await client.delete(f"{BASE}/{incident_id}/links/alarm/{first.id}", headers=officer.headers),
        409,
        "incident_closed",
    )


async def test_an_officer_makes_an_incident_by_hand(
    client: AsyncClient,
    session: AsyncSession,
    settings: Settings,
    flood: AlertRuleVersion,
    officer: Person,
    person: PersonFactory,
) -> None:
    alarm = await raise_alarm(session, flood)
    theirs = await raise_alarm(session, flood, at=IN_OTHER_WARD, unit_code="13684")
    report = await insert_report(session, category_code="road_damage", lat_lon=(20.4320, 106.1712))
    await react(session, settings)
    members = [{"kind": "alarm", "id": str(alarm.id)}, {"kind": "report", "id": str(report.id)}]

    response = await client.post(BASE, headers=officer.headers, json={"members": members})
    assert response.status_code == 201, response.text
    made = response.json()
    assert (made["unit_code"], made["alarm_count"], made["report_count"]) == ("13666", 1, 1)
    assert made["lead_alarm_id"] == str(alarm.id)
    row = await session.get(Incident, uuid.UUID(made["id"]))
    assert row is not None
    assert row.created_by == officer.id
    [created] = await events_of(session, "alerts.incident_created")
    assert created["change"]["by"] == "officer"

    # A province's officer joins things of two wards: the incident belongs to the province.
    province = await person(Role.OFFICER, "37")
    both = [{"kind": "alarm", "id": str(theirs.id)}, {"kind": "alarm", "id": str(alarm.id)}]
    _problem(
        await client.post(BASE, headers=province.headers, json={"members": both}), 409, "linked_elsewhere"
    )
    moved_in = await client.post(BASE, headers=province.headers, json={"members": both, "move": True})
    assert moved_in.status_code == 201, moved_in.text
    assert moved_in.json()["unit_code"] == "37"
    # The ward's officer no longer sees it; the first incident keeps its report.
    _problem(
        await client.get(f"{BASE}/{moved_in.json()['id']}", headers=officer.headers),
        404,
        "incident_not_found",
    )
    assert (await _get(client, officer, uuid.UUID(made["id"])))["report_count"] == 1

    bodies: list[dict[str, Any]] = [
        {"members": []},
        {"members": [members[0], members[0]]},
        {"members": [{"kind": "alarm"}]},
        {"members": members, "title": "x"},
    ]
    for body in bodies:
        _problem(await client.post(BASE, headers=officer.headers, json=body), 422, "validation_error")
    _problem(
        await client.post(
            BASE, headers=officer.headers, json={"members": [{"kind": "alarm", "id": str(theirs.id)}]}
        ),
        404,
        "alarm_not_found",
    )
    field = await person(Role.FIELD_STAFF, "13666")
    _problem(await client.post(BASE, headers=field.headers, json={"members": members}), 403, "forbidden")


async def test_closing_by_hand(
    client: AsyncClient, session: AsyncSession, settings: Settings, flood: AlertRuleVersion, officer: Person
) -> None:
    first, _, incident_id = await incident_of_two(session, settings, flood)

    response = await client.post(f"{BASE}/{incident_id}/close", headers=officer.headers)
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["close_reason"]) == ("closed", "officer")
    [closed] = await events_of(session, "alerts.incident_closed")
    assert closed["change"] == {"by": "officer", "actor_id": str(officer.id), "reason": "officer"}
    _problem(
        await client.post(f"{BASE}/{incident_id}/close", headers=officer.headers), 409, "incident_closed"
    )
    _problem(
        await client.post(
            f"{BASE}/{incident_id}/links",
            headers=officer.headers,
            json={"kind": "alarm", "id": str(first.id)},
        ),
        409,
        "incident_closed",
    )
    _problem(
        await client.post(f"{BASE}/{uuid.uuid4()}/close", headers=officer.headers), 404, "incident_not_found"
    )
    # Its alarms are free again: an officer may put them in a new incident.
    again = await client.post(
        BASE, headers=officer.headers, json={"members": [{"kind": "alarm", "id": str(first.id)}]}
    )
    assert again.status_code == 201, again.text
