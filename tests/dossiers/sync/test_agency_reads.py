"""The agency's read side: one of its dossiers as we hold it, and its applicants' ratings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from dossiers.models import DossierRating
from tests.dossiers.sync.support import (
    OTHER_AGENCY_CODE,
    SyncCaller,
    apology_item,
    code_for,
    dossier_item,
    local,
    send,
    status_item,
    stored,
)

SYNC = "/api/v1/dossiers/sync"


async def test_the_agency_reads_its_dossier_with_steps_and_apologies(
    client: httpx.AsyncClient, caller: SyncCaller, other_caller: SyncCaller
) -> None:
    code = code_for(1)
    await send(
        client,
        caller,
        dossier_item(code),
        status_item(code, 4, local(2025, 4, 24, 10), public=False),
        apology_item(code, local(2025, 4, 29, 9), local(2025, 5, 6, 9)),
    )
    response = await client.get(f"{SYNC}/dossiers/{code}", headers=caller.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == 4
    assert body["has_id_number"] is True
    assert "id_number" not in body["steps"][0]
    assert [(step["status"], step["public"]) for step in body["steps"]] == [(2, True), (4, False)]
    assert body["apologies"][0]["by_agency"] is True
    assert body["forced_late"] is True
    assert body["on_time"] == "overdue"
    # Another agency's key sees nothing of it, as if it did not exist.
    other = await client.get(f"{SYNC}/dossiers/{code}", headers=other_caller.headers)
    unknown = await client.get(
        f"{SYNC}/dossiers/{code_for(2, agency=OTHER_AGENCY_CODE)}", headers=other_caller.headers
    )
    assert (other.status_code, other.json()["code"]) == (404, "dossier_not_found")
    assert other.json()["title"] == unknown.json()["title"]


async def test_the_agency_reads_its_ratings_in_pages(
    client: httpx.AsyncClient, caller: SyncCaller, other_caller: SyncCaller, session: AsyncSession
) -> None:
    start = datetime.now(UTC) - timedelta(days=3)
    for number in range(1, 4):
        await send(client, caller, dossier_item(code_for(number)))
        dossier = await stored(session, code_for(number))
        session.add(
            DossierRating(
                dossier_id=dossier.id,
                rating="satisfied",
                comment=f"#{number}",
                created_at=start + timedelta(days=number),
            )
        )
    await session.flush()
    first = (await client.get(f"{SYNC}/ratings", params={"limit": 2}, headers=caller.headers)).json()
    assert [(item["code"], item["comment"]) for item in first["items"]] == [
        (code_for(1), "#1"),
        (code_for(2), "#2"),
    ]
    rest = (
        await client.get(
            f"{SYNC}/ratings", params={"limit": 2, "cursor": first["next_cursor"]}, headers=caller.headers
        )
    ).json()
    assert [item["code"] for item in rest["items"]] == [code_for(3)]
    since = (start + timedelta(days=2)).isoformat()
    recent = (await client.get(f"{SYNC}/ratings", params={"since": since}, headers=caller.headers)).json()
    assert [item["code"] for item in recent["items"]] == [code_for(2), code_for(3)]
    theirs = (await client.get(f"{SYNC}/ratings", headers=other_caller.headers)).json()
    assert theirs["items"] == []
