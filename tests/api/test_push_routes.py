"""Phones register, update and unregister their FCM tokens through /api/v1/me/devices."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.models import User
from core.push.service import MAX_DEVICES_PER_USER
from core.settings import Settings
from tests.support.push import Rows, bearer, fcm_token, make_user

DEVICES = "/api/v1/me/devices"


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


@pytest.fixture
async def alice(session: AsyncSession) -> uuid.UUID:
    user_id = await make_user(session)
    await session.commit()
    return user_id


@pytest.fixture
async def bob(session: AsyncSession) -> uuid.UUID:
    user_id = await make_user(session)
    await session.commit()
    return user_id


async def put(
    client: httpx.AsyncClient, settings: Settings, user_id: uuid.UUID, device_id: str, **body: Any
) -> httpx.Response:
    return await client.put(f"{DEVICES}/{device_id}", json=body, headers=bearer(settings, user_id))


async def test_a_new_device_is_registered_with_201(
    client: httpx.AsyncClient, settings: Settings, alice: uuid.UUID, rows: Rows
) -> None:
    token = fcm_token("alice-phone")
    response = await put(client, settings, alice, "phone-1", token=token, platform="android", language="vi")

    assert response.status_code == 201, response.text
    body = response.json()
    assert {k: body[k] for k in ("device_id", "platform", "language")} == {
        "device_id": "phone-1",
        "platform": "android",
        "language": "vi",
    }
    assert "token" not in body
    [row] = await rows.devices_of(alice)
    assert (row.device_id, row.token, row.platform, row.language) == ("phone-1", token, "android", "vi")

    listed = await client.get(DEVICES, headers=bearer(settings, alice))
    assert listed.status_code == 200
    assert [d["device_id"] for d in listed.json()] == ["phone-1"]


async def test_registering_the_same_device_again_updates_it_with_200(
    client: httpx.AsyncClient, settings: Settings, alice: uuid.UUID, rows: Rows
) -> None:
    await put(client, settings, alice, "phone-1", token=fcm_token("old"), platform="android", language="vi")
    [before] = await rows.devices_of(alice)
    new_token = fcm_token("rotated")

    response = await put(
        client, settings, alice, "phone-1", token=new_token, platform="android", language="en"
    )

    assert response.status_code == 200, response.text
    assert response.json()["language"] == "en"
    [after] = await rows.devices_of(alice)
    assert (after.id, after.token, after.language) == (before.id, new_token, "en")
    assert after.last_seen_at > before.last_seen_at


async def test_a_token_moves_to_the_account_that_registers_it_last(
    client: httpx.AsyncClient, settings: Settings, alice: uuid.UUID, bob: uuid.UUID, rows: Rows
) -> None:
    # One phone: Alice signed out, Bob signed in on the same app installation.
    token = fcm_token("shared")
    assert (
        await put(client, settings, alice, "install-1", token=token, platform="ios", language="vi")
    ).status_code == 201

    response = await put(client, settings, bob, "install-1", token=token, platform="ios", language="en")

    assert response.status_code == 201
    assert await rows.devices_of(alice) == []
    [row] = await rows.devices_of(bob)
    assert (row.token, row.language) == (token, "en")
    assert (await client.get(DEVICES, headers=bearer(settings, alice))).json() == []


async def test_a_token_moves_between_devices_of_one_account(
    client: httpx.AsyncClient, settings: Settings, alice: uuid.UUID, rows: Rows
) -> None:
    token = fcm_token("reinstalled")
    await put(client, settings, alice, "old-install", token=token, platform="android", language="vi")
    await put(client, settings, alice, "new-install", token=token, platform="android", language="vi")

    assert [row.device_id for row in await rows.devices_of(alice)] == ["new-install"]


async def test_unregister_removes_the_device(
    client: httpx.AsyncClient, settings: Settings, alice: uuid.UUID, rows: Rows
) -> None:
    await put(client, settings, alice, "phone-1", token=fcm_token("a"), platform="web", language="en")
    await put(client, settings, alice, "phone-2", token=fcm_token("b"), platform="ios", language="vi")

    response = await client.delete(f"{DEVICES}/phone-1", headers=bearer(settings, alice))

    assert response.status_code == 204
    assert response.content == b""
    assert [row.device_id for row in await rows.devices_of(alice)] == ["phone-2"]
    again = await client.delete(f"{DEVICES}/phone-1", headers=bearer(settings, alice))
    assert_problem(again, 404, "device_not_found")


async def test_another_users_device_is_not_found_and_stays(
    client: httpx.AsyncClient, settings: Settings, alice: uuid.UUID, bob: uuid.UUID, rows: Rows
) -> None:
    await put(client, settings, alice, "phone-1", token=fcm_token("alice"), platform="android", language="vi")

    english = await client.delete(
        f"{DEVICES}/phone-1", headers={**bearer(settings, bob), "Accept-Language": "en"}
    )

    body = assert_problem(english, 404, "device_not_found")
    assert body["title"] == "Device not found"
    assert body["detail"] == "This account has no device phone-1"
    assert [row.device_id for row in await rows.devices_of(alice)] == ["phone-1"]


@pytest.mark.parametrize(
    ("device_id", "body", "where"),
    [
        ("phone-1", {"token": "", "platform": "android", "language": "vi"}, "token"),
        ("phone-1", {"token": "   ", "platform": "android", "language": "vi"}, "token"),
        ("phone-1", {"token": fcm_token("x") + " tail", "platform": "android", "language": "vi"}, "token"),
        ("phone-1", {"token": fcm_token("x") + "\n", "platform": "android", "language": "vi"}, "token"),
        ("phone-1", {"token": "short:token", "platform": "android", "language": "vi"}, "token"),
        ("phone-1", {"token": "a" * 4097, "platform": "android", "language": "vi"}, "token"),
        ("phone-1", {"token": 12345, "platform": "android", "language": "vi"}, "token"),
        ("phone-1", {"platform": "android", "language": "vi"}, "token"),
        ("phone-1", {"token": fcm_token("x"), "platform": "windows", "language": "vi"}, "platform"),
        ("phone-1", {"token": fcm_token("x"), "platform": "android", "language": "fr"}, "language"),
        ("phone-1", {"token": fcm_token("x"), "platform": "android"}, "language"),
        ("a b", {"token": fcm_token("x"), "platform": "android", "language": "vi"}, "device_id"),
        ("d" * 129, {"token": fcm_token("x"), "platform": "android", "language": "vi"}, "device_id"),
    ],
)
async def test_bad_input_is_a_422_problem_and_changes_nothing(
    client: httpx.AsyncClient,
    settings: Settings,
    alice: uuid.UUID,
    rows: Rows,
    device_id: str,
    body: dict[str, Any],
    where: str,
) -> None:
    original = fcm_token("original")
    await put(client, settings, alice, "phone-1", token=original, platform="ios", language="en")
    [before] = await rows.devices_of(alice)

    response = await client.put(f"{DEVICES}/{device_id}", json=body, headers=bearer(settings, alice))

    problem = assert_problem(response, 422, "validation_error")
    assert where in {error["location"][-1] for error in problem["errors"]}
    assert await rows.devices_of(alice) == [before]


async def test_the_least_recently_seen_devices_are_forgotten_past_the_limit(
    client: httpx.AsyncClient, settings: Settings, alice: uuid.UUID, rows: Rows
) -> None:
    async def register(index: int) -> None:
        response = await put(
            client,
            settings,
            alice,
            f"phone-{index}",
            token=f"{'t' * 40}{index}",
            platform="android",
            language="vi",
        )
        assert response.status_code in (200, 201), response.text

    for index in range(MAX_DEVICES_PER_USER + 2):
        await register(index)
    kept = {row.device_id for row in await rows.devices_of(alice)}
    assert kept == {f"phone-{index}" for index in range(2, MAX_DEVICES_PER_USER + 2)}

    # phone-2 is seen again, so phone-3 is now the one least recently seen.
    await register(2)
    await register(MAX_DEVICES_PER_USER + 2)
    kept = {row.device_id for row in await rows.devices_of(alice)}
    assert "phone-2" in kept
    assert "phone-3" not in kept
    assert len(kept) == MAX_DEVICES_PER_USER


async def test_a_deactivated_account_cannot_register(
    client: httpx.AsyncClient, settings: Settings, alice: uuid.UUID, session: AsyncSession, rows: Rows
) -> None:
    await session.execute(update(User).where(User.id == alice).values(is_active=False))  # type: ignore[arg-type]
    await session.commit()

    response = await put(
        client, settings, alice, "phone-1", token=fcm_token("x"), platform="ios", language="vi"
    )

    assert_problem(response, 404, "account_not_found")
    assert await rows.devices_of(alice) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", DEVICES), ("PUT", f"{DEVICES}/phone-1"), ("DELETE", f"{DEVICES}/phone-1")],
)
async def test_every_route_needs_a_signed_in_user(client: httpx.AsyncClient, method: str, path: str) -> None:
    body = {"token": fcm_token("x"), "platform": "android", "language": "vi"} if method == "PUT" else None
    response = await client.request(method, path, json=body)
    assert_problem(response, 401, "unauthenticated")


def test_the_openapi_document_declares_the_device_routes(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    put_operation = paths[f"{DEVICES}/{{device_id}}"]["put"]
    assert {"200", "201", "401", "404", "422"} <= set(put_operation["responses"])
    delete_operation = paths[f"{DEVICES}/{{device_id}}"]["delete"]
    assert {"204", "401", "404", "422"} <= set(delete_operation["responses"])
    assert "device_not_found" in delete_operation["responses"]["404"]["description"]
    assert {"200", "401"} <= set(paths[DEVICES]["get"]["responses"])
