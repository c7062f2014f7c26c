"""Reading back what a lifecycle change left behind: the report row, its timeline, events and pushes.

Raw SQL rather than the ORM: the test session's objects do not see what the app's sessions changed.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

BASE = "/api/v1/feedback"


async def post(
    client: httpx.AsyncClient,
    report_id: uuid.UUID,
    action: str,
    headers: dict[str, str],
    body: dict[str, Any] | None = None,
) -> httpx.Response:
    return await client.post(
        f"{BASE}/{report_id}/{action}", json={} if body is None else body, headers=headers
    )


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


async def row(session: AsyncSession, report_id: uuid.UUID) -> dict[str, Any]:
    found = await session.scalar(
        text("SELECT to_jsonb(r) - 'location' FROM feedback_reports AS r WHERE id = :id"), {"id": report_id}
    )
    assert found is not None
    return dict(found)


async def timeline(session: AsyncSession, report_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await session.execute(
        text(
            "SELECT kind, from_status, to_status, actor_id, actor_role, note, data FROM feedback_timeline "
            "WHERE report_id = :id ORDER BY id"
        ),
        {"id": report_id},
    )
    return [dict(r._mapping) for r in rows]


async def events(session: AsyncSession, report_id: uuid.UUID) -> list[tuple[str, dict[str, Any]]]:
    rows = await session.execute(
        text("SELECT type, data, unit_code FROM event_outbox WHERE subject_id = :id ORDER BY id"),
        {"id": str(report_id)},
    )
    return [(r.type, {**r.data, "_unit_code": r.unit_code}) for r in rows]


async def pushed_users(session: AsyncSession, report_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.execute(
        text(
            "SELECT user_id FROM notifications WHERE data->>'report_id' = :id AND user_id IS NOT "
            "NULL ORDER BY "
            "created_at, id"
        ),
        {"id": str(report_id)},
    )
    return [r.user_id for r in rows]


async def pushes(session: AsyncSession, report_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await session.execute(
        text(
            "SELECT user_id, topic, title_vi, title_en, body_vi, body_en, data FROM notifications "
            "WHERE data->>'report_id' = :id ORDER BY created_at, id"
        ),
        {"id": str(report_id)},
    )
    return [dict(r._mapping) for r in rows]


async def follow(session: AsyncSession, report_id: uuid.UUID, *user_ids: uuid.UUID) -> None:
    for user_id in user_ids:
        await session.execute(
            text("INSERT INTO feedback_followers (report_id, user_id) VALUES (:r, :u)"),
            {"r": report_id, "u": user_id},
        )
    await session.execute(
        text(
            "UPDATE feedback_reports SET follower_count = "
            "(SELECT count(*) FROM feedback_followers WHERE report_id = :r) WHERE id = :r"
        ),
        {"r": report_id},
    )


async def support(session: AsyncSession, report_id: uuid.UUID, *user_ids: uuid.UUID) -> None:
    for user_id in user_ids:
        await session.execute(
            text("INSERT INTO feedback_supports (report_id, user_id) VALUES (:r, :u)"),
            {"r": report_id, "u": user_id},
        )
    await session.execute(
        text(
            "UPDATE feedback_reports SET support_count = "
            "(SELECT count(*) FROM feedback_supports WHERE report_id = :r) WHERE id = :r"
        ),
        {"r": report_id},
    )


async def state(session: AsyncSession, report_id: uuid.UUID) -> dict[str, Any]:
    """Everything a refused change must leave alone."""
    return {
        "row": await row(session, report_id),
        "timeline": await timeline(session, report_id),
        "events": await events(session, report_id),
        "pushes": await pushes(session, report_id),
    }
