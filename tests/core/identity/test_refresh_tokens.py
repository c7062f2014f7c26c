"""Refresh tokens rotate on every use; a rotated token used again revokes its family; so does logout."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth_routes import get_now
from tests.core.identity.support import count, problem, refreshed, row, sign_in_citizen
from tests.support.people import bearer

REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def test_a_refresh_rotates_the_token_within_its_family(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    first = await sign_in_citizen(client, session)

    second = await refreshed(client, first["refresh_token"])

    assert second["refresh_token"] != first["refresh_token"]
    assert second["user"] == first["user"]
    old = await row(
        session,
        "SELECT id, family_id, rotated_at, revoked_at FROM refresh_tokens WHERE token_hash = :h",
        h=digest(first["refresh_token"]),
    )
    new = await row(
        session,
        "SELECT family_id, parent_id, rotated_at, revoked_at FROM refresh_tokens WHERE token_hash = :h",
        h=digest(str(second["refresh_token"])),
    )
    assert old["rotated_at"] is not None
    assert old["revoked_at"] is None
    assert (new["family_id"], new["parent_id"]) == (old["family_id"], old["id"])
    assert new["rotated_at"] is None
    assert new["revoked_at"] is None
    me = await client.get("/api/v1/me", headers=bearer(str(second["access_token"])))
    assert me.status_code == 200


async def test_tokens_are_stored_only_as_hashes(client: httpx.AsyncClient, session: AsyncSession) -> None:
    tokens = await sign_in_citizen(client, session)
    assert (
        await count(
            session,
            "SELECT count(*) FROM refresh_tokens WHERE token_hash = :h",
            h=digest(tokens["refresh_token"]),
        )
        == 1
    )
    assert (
        await count(
            session,
            "SELECT count(*) FROM refresh_tokens r WHERE row_to_json(r)::text LIKE :t",
            t=f"%{tokens['refresh_token']}%",
        )
        == 0
    )


async def test_reusing_a_rotated_token_revokes_the_whole_family(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    first = await sign_in_citizen(client, session)
    second = await refreshed(client, first["refresh_token"])
    third = await refreshed(client, str(second["refresh_token"]))

    body = problem(
        await client.post(REFRESH, json={"refresh_token": first["refresh_token"]}),
        401,
        "refresh_token_reused",
    )

    assert "revoked" in body["detail"] or "thu hồi" in body["detail"]
    # The revocation is kept although the request was refused.
    family = (
        await row(
            session,
            "SELECT family_id FROM refresh_tokens WHERE token_hash = :h",
            h=digest(first["refresh_token"]),
        )
    )["family_id"]
    assert await count(session, "SELECT count(*) FROM refresh_tokens WHERE family_id = :f", f=family) == 3
    assert (
        await count(
            session,
            "SELECT count(*) FROM refresh_tokens WHERE family_id = :f AND revoked_at IS NULL",
            f=family,
        )
        == 0
    )
    # The newest token of the family, which the thief or the owner holds, no longer works either.
    problem(
        await client.post(REFRESH, json={"refresh_token": third["refresh_token"]}),
        401,
        "refresh_token_invalid",
    )


async def test_reuse_leaves_other_sign_ins_alone(client: httpx.AsyncClient, session: AsyncSession) -> None:
    phone = await sign_in_citizen(client, session)
    tablet = await sign_in_citizen(client, session)
    await refreshed(client, phone["refresh_token"])

    problem(
        await client.post(REFRESH, json={"refresh_token": phone["refresh_token"]}),
        401,
        "refresh_token_reused",
    )

    await refreshed(client, tablet["refresh_token"])


async def test_logout_revokes_the_family(client: httpx.AsyncClient, session: AsyncSession) -> None:
    tokens = await sign_in_citizen(client, session)
    current = await refreshed(client, tokens["refresh_token"])

    response = await client.post(
        LOGOUT, json={"refresh_token": current["refresh_token"]}, headers=bearer(str(current["access_token"]))
    )

    assert response.status_code == 204
    assert response.content == b""
    assert await count(session, "SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NULL") == 0
    problem(
        await client.post(REFRESH, json={"refresh_token": current["refresh_token"]}),
        401,
        "refresh_token_invalid",
    )
    # The access token of that sign-in ended with it.
    again = await client.post(
        LOGOUT, json={"refresh_token": current["refresh_token"]}, headers=bearer(str(current["access_token"]))
    )
    problem(again, 401, "invalid_token")


async def test_logout_needs_a_signed_in_caller(client: httpx.AsyncClient, session: AsyncSession) -> None:
    tokens = await sign_in_citizen(client, session)
    response = await client.post(LOGOUT, json={"refresh_token": tokens["refresh_token"]})
    problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"] == "Bearer"
    assert await count(session, "SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NOT NULL") == 0


async def test_nobody_can_log_out_someone_elses_session(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    alice = await sign_in_citizen(client, session, "0911111111", "+84911111111")
    bob = await sign_in_citizen(client, session, "0922222222", "+84922222222")

    problem(
        await client.post(
            LOGOUT, json={"refresh_token": alice["refresh_token"]}, headers=bearer(bob["access_token"])
        ),
        400,
        "refresh_token_invalid",
    )

    assert await count(session, "SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NOT NULL") == 0
    await refreshed(client, alice["refresh_token"])


async def test_an_expired_token_is_refused_and_left_as_it_was(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    tokens = await sign_in_citizen(client, session)
    stored = await row(session, "SELECT expires_at FROM refresh_tokens")
    app.dependency_overrides[get_now] = lambda: stored["expires_at"] + timedelta(seconds=1)

    problem(
        await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]}),
        401,
        "refresh_token_invalid",
    )

    assert await row(session, "SELECT rotated_at, revoked_at FROM refresh_tokens") == {
        "rotated_at": None,
        "revoked_at": None,
    }
    assert await count(session, "SELECT count(*) FROM refresh_tokens") == 1


async def test_an_unknown_token_is_refused(client: httpx.AsyncClient, session: AsyncSession) -> None:
    problem(
        await client.post(REFRESH, json={"refresh_token": "not-a-token-we-issued"}),
        401,
        "refresh_token_invalid",
    )
    problem(await client.post(REFRESH, json={"refresh_token": ""}), 422, "validation_error")
    assert await count(session, "SELECT count(*) FROM refresh_tokens") == 0


async def test_an_expired_access_token_says_so(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    tokens = await sign_in_citizen(client, session)
    issued = (await row(session, "SELECT created_at FROM refresh_tokens"))["created_at"]
    # An access token issued 16 minutes ago (the clock moved back for the sign-in) has expired.
    app.dependency_overrides[get_now] = lambda: issued - timedelta(minutes=16)
    old = await refreshed(client, tokens["refresh_token"])
    response = await client.get("/api/v1/me", headers=bearer(str(old["access_token"])))
    problem(response, 401, "token_expired")
    assert "invalid_token" in response.headers["www-authenticate"]
