"""Phones carry the wards the person follows on their registration (PUT /api/v1/me/devices/{id}): checked,
kept when an app leaves them out, and what decides who hears of a warning."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.push.models import MAX_WARDS_PER_DEVICE
from core.push.repository import devices
from tests.ioc.warnings.conftest import assert_problem
from tests.support.people import Person, PersonFactory
from tests.support.push import Rows, fcm_token

DEVICES = "/api/v1/me/devices"


@pytest.fixture
async def citizen(units: AsyncSession, person: PersonFactory) -> Person:
    return await person()


async def _register(client: httpx.AsyncClient, who: Person, **extra: Any) -> httpx.Response:
    body = {"token": fcm_token("wards"), "platform": "ios", "language": "en", **extra}
    return await client.put(f"{DEVICES}/phone-1", json=body, headers=who.headers)


async def test_wards_are_stored_and_kept_when_left_out(
    client: httpx.AsyncClient, citizen: Person, rows: Rows
) -> None:
    created = await _register(client, citizen, wards=["13666", "13684", "13666"])
    assert created.status_code == 201, created.text
    assert created.json()["wards"] == ["13666", "13684"]

    # An app that knows nothing of wards re-registers (a rotated token): the wards stay.
    kept = await _register(client, citizen)
    assert kept.status_code == 200
    assert kept.json()["wards"] == ["13666", "13684"]
    [row] = await rows.all(devices, user_id=citizen.id)
    assert row.wards == ["13666", "13684"]

    cleared = await _register(client, citizen, wards=[])
    assert cleared.json()["wards"] == []
    listed = (await client.get(DEVICES, headers=citizen.headers)).json()
    assert listed[0]["wards"] == []


async def test_a_phone_registered_without_wards_follows_none(
    client: httpx.AsyncClient, citizen: Person
) -> None:
    response = await _register(client, citizen)

    assert response.status_code == 201
    assert response.json()["wards"] == []


@pytest.mark.parametrize(
    ("wards", "code"),
    [
        (["13666", "99999"], "unit_not_found"),
        (["37"], "validation_error"),
        (["1366a"], "validation_error"),
        ([str(13000 + n) for n in range(MAX_WARDS_PER_DEVICE + 1)], "validation_error"),
        ("13666", "validation_error"),
    ],
    ids=["unknown ward", "a province", "not a code", "too many", "not a list"],
)
async def test_bad_wards_are_refused_and_change_nothing(
    client: httpx.AsyncClient, citizen: Person, rows: Rows, wards: Any, code: str
) -> None:
    await _register(client, citizen, wards=["13666"])

    response = await _register(client, citizen, wards=wards)

    problem = assert_problem(response, 422, code)
    assert problem["errors"][0]["location"][:2] == ["body", "wards"]
    [row] = await rows.all(devices, user_id=citizen.id)
    assert row.wards == ["13666"]
