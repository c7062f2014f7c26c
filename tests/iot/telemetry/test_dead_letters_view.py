"""The admins' view of dead letters: newest first, by reason, in cursor pages; nobody else may see it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from core.identity.principal import Role
from tests.iot.support import WARD
from tests.iot.telemetry.support import add_dead_letter, count
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("units")

PATH = "/api/v1/ingest/dead-letters"


async def _pages(client: AsyncClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(10):
        response = await client.get(
            PATH, headers=headers, params={**params, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("too many pages")


async def test_newest_first_by_reason_in_pages(
    client: AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    now = utcnow()
    same_moment = now - timedelta(minutes=1)
    ids = [
        await add_dead_letter(session, reason="malformed_json", received_at=now - timedelta(minutes=3)),
        await add_dead_letter(
            session,
            reason="unknown_device",
            received_at=same_moment,
            topic="city/v1/devices/0b9a/telemetry",
            device_ref="0b9a",
        ),
        await add_dead_letter(session, reason="malformed_json", received_at=same_moment, payload="x" * 2048),
        await add_dead_letter(session, reason="oversized_payload", received_at=now),
    ]
    admin = await person(Role.ADMIN)
    everything = await _pages(client, admin.headers, limit=1)
    assert [item["id"] for item in everything] == [ids[3], ids[2], ids[1], ids[0]]
    malformed = await _pages(client, admin.headers, reason="malformed_json", limit=1)
    assert [item["id"] for item in malformed] == [ids[2], ids[0]]
    two = await _pages(client, admin.headers, reason=["unknown_device", "oversized_payload"])
    assert [item["id"] for item in two] == [ids[3], ids[1]]
    shown = everything[2]
    assert shown == {
        "id": ids[1],
        "received_at": shown["received_at"],
        "topic": "city/v1/devices/0b9a/telemetry",
        "device_ref": "0b9a",
        "reason": "unknown_device",
        "detail": "detail",
        "payload": "{oops",
        "payload_bytes": 5,
    }
    assert everything[1]["payload_bytes"] == 2048


async def test_only_admins_and_bad_queries_are_refused(
    client: AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    await add_dead_letter(session)
    before = await count(session, "ingest_dead_letters")
    officer = await person(Role.OFFICER, WARD)
    citizen = await person()
    assert (await client.get(PATH, headers=officer.headers)).status_code == 403
    assert (await client.get(PATH, headers=citizen.headers)).status_code == 403
    assert (await client.get(PATH)).status_code == 401
    admin = await person(Role.ADMIN)
    bad_reason = await client.get(PATH, headers=admin.headers, params={"reason": "bored"})
    assert bad_reason.status_code == 422
    assert bad_reason.json()["code"] == "validation_error"
    assert (await client.get(PATH, headers=admin.headers, params={"limit": 0})).status_code == 422
    bad_cursor = await client.get(PATH, headers=admin.headers, params={"cursor": "Zm9v"})
    assert bad_cursor.status_code == 400
    assert bad_cursor.json()["code"] == "invalid_cursor"
    assert await count(session, "ingest_dead_letters") == before
