"""Refused warnings: each gets a clear problem and changes nothing (no warning, message or push stored)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from tests.ioc.warnings.conftest import (
    ACROSS_TWO_WARDS,
    CROSSING,
    IN_NAM_DINH,
    OUTSIDE_PROVINCE,
    WARNINGS,
    Follower,
    assert_problem,
    counts,
    iso,
    polygon,
    publish,
    warning_body,
)
from tests.support.alarms import make_alarm, make_rule
from tests.support.people import Person, PersonFactory


@pytest.fixture
async def unchanged(units: AsyncSession, session: AsyncSession, follower: Follower) -> AsyncIterator[None]:
    """Fails the test if it stored a warning, a message or a notification (a follower is there to get one)."""
    await follower(["13666", "13684"])
    before = await counts(session)
    yield
    assert await counts(session) == before


def _in(hours: float) -> str:
    return iso(datetime.now(UTC) + timedelta(hours=hours))


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"area": {"ward_codes": []}}, ["body", "area"]),
        ({"area": {}}, ["body", "area"]),
        ({"onset": _in(2), "expires": _in(1)}, ["body"]),
        ({"onset": _in(1), "expires": _in(1)}, ["body"]),
        ({"onset": _in(-3), "expires": _in(-1)}, ["body", "expires"]),
        ({"area": {"polygon": polygon(CROSSING)}}, ["body", "area", "polygon"]),
        ({"area": {"polygon": polygon(IN_NAM_DINH[:-1])}}, ["body", "area", "polygon"]),
        ({"area": {"polygon": {"type": "Polygon", "coordinates": [IN_NAM_DINH, IN_NAM_DINH]}}}, None),
        ({"area": {"polygon": polygon([[200.0, 20.4], *IN_NAM_DINH[1:-1], [200.0, 20.4]])}}, None),
        ({"area": {"ward_codes": ["1366"]}}, None),
        ({"category": "Weather"}, ["body", "category"]),
        ({"urgency": "Soon"}, ["body", "urgency"]),
        ({"severity": "critical"}, ["body", "severity"]),
        ({"certainty": "Sure"}, ["body", "certainty"]),
        ({"headline": {"vi": "Ngập sâu"}}, ["body", "headline", "en"]),
        ({"headline": {"vi": "Ngập\u0007 sâu", "en": "Flooding"}}, ["body", "headline", "vi"]),
        ({"description": {"vi": "   ", "en": "Flooding"}}, ["body", "description", "vi"]),
        ({"headline": {"vi": "x" * 161, "en": "Flooding"}}, ["body", "headline", "vi"]),
        ({"onset": "2026-07-01T10:00:00"}, ["body", "onset"]),
        ({"expires": "9999-12-31T23:59:59Z"}, ["body", "expires"]),
        ({"sender": "someone@else"}, ["body", "sender"]),
    ],
    ids=[
        "no ward and no polygon",
        "an empty area",
        "expiry before onset",
        "expiry at onset",
        "already expired",
        "self-intersecting polygon",
        "unclosed ring",
        "polygon with a hole",
        "longitude out of range",
        "malformed ward code",
        "unknown category",
        "unknown urgency",
        "unknown severity",
        "unknown certainty",
        "no English",
        "control character",
        "blank text",
        "headline too long",
        "time without offset",
        "time out of range",
        "unknown member",
    ],
)
async def test_invalid_warnings_are_refused_with_422(
    client: httpx.AsyncClient, officer: Person, changes: dict[str, Any], where: list[str] | None
) -> None:
    response = await publish(client, officer, **changes)

    problem = assert_problem(response, 422, "validation_error")
    if where is not None:
        assert [error["location"][: len(where)] for error in problem["errors"]] == [where], problem["errors"]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    "ring",
    [OUTSIDE_PROVINCE, [[106.24, 20.49], [106.26, 20.49], [106.26, 20.51], [106.24, 20.51], [106.24, 20.49]]],
)
async def test_a_polygon_outside_the_province_is_refused(
    client: httpx.AsyncClient, officer: Person, ring: list[list[float]]
) -> None:
    response = await publish(client, officer, area={"polygon": polygon(ring)})

    problem = assert_problem(response, 422, "outside_province")
    assert problem["errors"][0]["location"] == ["body", "area", "polygon"]


@pytest.mark.usefixtures("unchanged")
async def test_a_code_of_no_ward_is_refused(client: httpx.AsyncClient, officer: Person) -> None:
    for code in ("99999", "00037"):
        response = await publish(client, officer, area={"ward_codes": ["13666", code]})
        problem = assert_problem(response, 422, "unit_not_found")
        assert code in problem["detail"]


@pytest.mark.usefixtures("unchanged")
async def test_an_officer_may_not_address_a_ward_outside_his_units(
    client: httpx.AsyncClient, ward_officer: Person
) -> None:
    chosen = await publish(client, ward_officer, area={"ward_codes": ["13666", "13684"]})
    assert "13684" in assert_problem(chosen, 403, "outside_unit")["detail"]

    # The polygon reaches into 13684 as well.
    drawn = await publish(client, ward_officer, area={"polygon": polygon(ACROSS_TWO_WARDS)})
    assert "13684" in assert_problem(drawn, 403, "outside_unit")["detail"]


@pytest.mark.usefixtures("unchanged")
async def test_only_officers_and_admins_publish(
    client: httpx.AsyncClient, units: AsyncSession, person: PersonFactory
) -> None:
    for role, unit in ((Role.CITIZEN, None), (Role.FIELD_STAFF, "13666")):
        caller = await person(role, unit)
        assert_problem(await publish(client, caller), 403, "forbidden")
    assert_problem(await client.post(WARNINGS, json=warning_body()), 401, "unauthenticated")


@pytest.mark.usefixtures("unchanged")
async def test_an_unknown_alarm_or_one_of_another_unit_is_refused(
    client: httpx.AsyncClient, ward_officer: Person, admin: Person, session: AsyncSession
) -> None:
    elsewhere = await make_alarm(session, await make_rule(session, admin.id), unit_code="13684")

    for alarm_id in (uuid.uuid4(), elsewhere.id):
        response = await publish(client, ward_officer, alarm_id=str(alarm_id))
        problem = assert_problem(response, 422, "validation_error")
        assert problem["errors"][0]["location"] == ["body", "alarm_id"]


@pytest.mark.usefixtures("unchanged")
async def test_an_unknown_warning_is_404_everywhere(client: httpx.AsyncClient, officer: Person) -> None:
    missing = f"{WARNINGS}/{uuid.uuid4()}"

    assert_problem(await client.get(missing), 404, "warning_not_found")
    assert_problem(await client.get(f"{missing}.cap"), 404, "warning_not_found")
    assert_problem(
        await client.put(missing, json=warning_body(), headers=officer.headers), 404, "warning_not_found"
    )
    assert_problem(await client.post(f"{missing}/cancel", headers=officer.headers), 404, "warning_not_found")
    assert_problem(await client.get(f"{WARNINGS}/not-an-id"), 422, "validation_error")


async def test_a_cancelled_warning_takes_no_further_message(
    client: httpx.AsyncClient, officer: Person, session: AsyncSession
) -> None:
    warning = (await publish(client, officer)).json()
    cancelled = await client.post(f"{WARNINGS}/{warning['id']}/cancel", headers=officer.headers)
    assert cancelled.status_code == 200, cancelled.text
    before = await counts(session)

    updated = await client.put(f"{WARNINGS}/{warning['id']}", json=warning_body(), headers=officer.headers)
    again = await client.post(f"{WARNINGS}/{warning['id']}/cancel", headers=officer.headers)

    assert_problem(updated, 409, "warning_cancelled")
    assert_problem(again, 409, "warning_cancelled")
    assert await counts(session) == before


async def test_an_update_outside_the_officers_units_changes_nothing(
    client: httpx.AsyncClient, officer: Person, ward_officer: Person, session: AsyncSession
) -> None:
    province_wide = (await publish(client, officer, area={"ward_codes": ["13666", "13684"]})).json()
    mine = (await publish(client, ward_officer)).json()
    before = await counts(session)
    url = f"{WARNINGS}/{province_wide['id']}"

    assert_problem(
        await client.put(url, json=warning_body(), headers=ward_officer.headers), 403, "outside_unit"
    )
    assert_problem(await client.post(f"{url}/cancel", headers=ward_officer.headers), 403, "outside_unit")
    # His own warning cannot be moved beyond his ward either.
    moved = await client.put(
        f"{WARNINGS}/{mine['id']}",
        json=warning_body(area={"ward_codes": ["13684"]}),
        headers=ward_officer.headers,
    )
    assert_problem(moved, 403, "outside_unit")
    assert await counts(session) == before
    assert (await client.get(url)).json()["msg_type"] == "Alert"
