"""Helpers shared by the identity tests: sign people in through the real API, read rows with plain SQL.

Rows are read with SQL rather than through the ORM so that a test never sees an object its own session
cached before the app changed the row.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity import service
from core.identity.models import User
from core.identity.principal import Role

PHONE = "0912345678"
PHONE_E164 = "+84912345678"
STAFF_PASSWORD = "correct horse battery staple"


async def latest_code(session: AsyncSession, phone_e164: str) -> str:
    body = await session.scalar(
        text("SELECT body FROM sms_outbox WHERE phone = :phone ORDER BY created_at DESC LIMIT 1"),
        {"phone": phone_e164},
    )
    assert body is not None, f"no text message to {phone_e164}"
    found = re.search(r"\b([0-9]{6})\b", body)
    assert found is not None, body
    return found.group(1)


async def request_code(client: httpx.AsyncClient, session: AsyncSession, phone: str, phone_e164: str) -> str:
    response = await client.post("/api/v1/auth/otp/request", json={"phone": phone})
    assert response.status_code == 202, response.text
    return await latest_code(session, phone_e164)


async def sign_in_citizen(
    client: httpx.AsyncClient, session: AsyncSession, phone: str = PHONE, phone_e164: str = PHONE_E164
) -> dict[str, Any]:
    code = await request_code(client, session, phone, phone_e164)
    response = await client.post("/api/v1/auth/otp/verify", json={"phone": phone, "code": code})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


async def refreshed(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    """The new token pair for a live refresh token."""
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": token})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def make_staff(
    session: AsyncSession,
    username: str,
    role: Role = Role.OFFICER,
    unit_code: str | None = "13666",
    password: str = STAFF_PASSWORD,
) -> User:
    user = await service.create_staff(
        session,
        username=username,
        password=password,
        role=role,
        unit_code=unit_code,
        display_name=None,
        now=datetime.now(UTC),
    )
    await session.flush()
    return user


async def sign_in_staff(
    client: httpx.AsyncClient, username: str, password: str = STAFF_PASSWORD
) -> dict[str, Any]:
    response = await client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


async def count(session: AsyncSession, sql: str, **params: Any) -> int:
    return int(await session.scalar(text(sql), params) or 0)


async def row(session: AsyncSession, sql: str, **params: Any) -> dict[str, Any]:
    found = (await session.execute(text(sql), params)).mappings().first()
    assert found is not None, sql
    return dict(found)


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def new_id() -> str:
    return str(uuid.uuid4())
