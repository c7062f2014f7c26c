"""A citizen sees their account and all personal data held, and can delete the account: personal data is
erased, sessions end, the row stays anonymous for the reports that name it as author."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from tests.core.identity.support import (
    PHONE,
    PHONE_E164,
    count,
    make_staff,
    problem,
    row,
    sign_in_citizen,
    sign_in_staff,
)
from tests.support.people import bearer

ME = "/api/v1/me"


async def test_me_shows_the_callers_account(client: httpx.AsyncClient, session: AsyncSession) -> None:
    tokens = await sign_in_citizen(client, session)
    response = await client.get(ME, headers=bearer(tokens["access_token"]))
    assert response.status_code == 200
    account = response.json()
    assert account["id"] == tokens["user"]["id"]
    assert (account["role"], account["phone"], account["language"]) == ("citizen", PHONE_E164, "vi")
    assert "password_hash" not in account


async def test_the_export_holds_everything_kept_about_the_caller(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    tokens = await sign_in_citizen(client, session)
    code = (await row(session, "SELECT body FROM sms_outbox"))["body"]

    response = await client.get(f"{ME}/data", headers=bearer(tokens["access_token"]))

    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    assert data["account"]["phone"] == PHONE_E164
    assert len(data["sessions"]) == 1
    assert data["sessions"][0]["revoked_at"] is None
    assert len(data["sign_in_codes"]) == 1
    assert data["sign_in_codes"][0]["consumed_at"] is not None
    assert [message["body"] for message in data["text_messages"]] == [code]
    # Secrets are not personal data to hand out: no hashes, no tokens.
    text = response.text
    assert "hash" not in text
    assert tokens["refresh_token"] not in text


async def test_deleting_the_account_erases_personal_data_and_ends_every_session(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    phone = await sign_in_citizen(client, session)
    tablet = await sign_in_citizen(client, session)
    users_before = await count(session, "SELECT count(*) FROM users")

    response = await client.delete(ME, headers=bearer(phone["access_token"]))

    assert response.status_code == 204
    account = await row(
        session,
        "SELECT phone, display_name, username, password_hash, is_active, deleted_at "
        "FROM users WHERE id = :id",
        id=phone["user"]["id"],
    )
    assert account["deleted_at"] is not None
    assert {key: value for key, value in account.items() if key != "deleted_at"} == {
        "phone": None,
        "display_name": None,
        "username": None,
        "password_hash": None,
        "is_active": False,
    }
    # The row stays, so that reports keep an (anonymous) author.
    assert await count(session, "SELECT count(*) FROM users") == users_before
    assert await count(session, "SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NULL") == 0
    assert await count(session, "SELECT count(*) FROM otp_challenges WHERE phone = :p", p=PHONE_E164) == 0
    assert await count(session, "SELECT count(*) FROM sms_outbox WHERE phone = :p", p=PHONE_E164) == 0
    for tokens in (phone, tablet):
        problem(
            await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}),
            401,
            "refresh_token_invalid",
        )
    # Access tokens handed out before the deletion stop working at once, on every route.
    for tokens in (phone, tablet):
        for method, path in (("GET", ME), ("DELETE", ME), ("GET", "/api/v1/me/devices")):
            problem(
                await client.request(method, path, headers=bearer(tokens["access_token"])),
                401,
                "invalid_token",
            )


async def test_the_number_can_open_a_new_account_after_deletion(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    old = await sign_in_citizen(client, session)
    assert (await client.delete(ME, headers=bearer(old["access_token"]))).status_code == 204

    new = await sign_in_citizen(client, session, PHONE, PHONE_E164)

    assert new["user"]["id"] != old["user"]["id"]
    assert new["user"]["phone"] == PHONE_E164


async def test_one_citizen_deleting_leaves_another_untouched(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    alice = await sign_in_citizen(client, session, "0911111111", "+84911111111")
    bob = await sign_in_citizen(client, session, "0922222222", "+84922222222")

    assert (await client.delete(ME, headers=bearer(bob["access_token"]))).status_code == 204

    me = await client.get(ME, headers=bearer(alice["access_token"]))
    assert me.json()["phone"] == "+84911111111"
    assert (
        await count(
            session,
            "SELECT count(*) FROM refresh_tokens WHERE user_id = :id AND revoked_at IS NULL",
            id=alice["user"]["id"],
        )
        == 1
    )
    assert await count(session, "SELECT count(*) FROM sms_outbox WHERE phone = '+84911111111'") == 1
    data = (await client.get(f"{ME}/data", headers=bearer(alice["access_token"]))).json()
    assert "+84922222222" not in str(data)


async def test_staff_accounts_are_not_deleted_by_their_owner(
    client: httpx.AsyncClient, units: AsyncSession
) -> None:
    await make_staff(units, "officer.one", Role.OFFICER, "13666")
    tokens = await sign_in_staff(client, "officer.one")

    problem(await client.delete(ME, headers=bearer(tokens["access_token"])), 403, "forbidden")

    assert (await row(units, "SELECT deleted_at, is_active FROM users WHERE username = 'officer.one'")) == {
        "deleted_at": None,
        "is_active": True,
    }
    assert (await client.get(ME, headers=bearer(tokens["access_token"]))).json()["username"] == "officer.one"


async def test_the_account_routes_need_a_valid_token(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    tokens = await sign_in_citizen(client, session)
    problem(await client.get(ME), 401, "unauthenticated")
    problem(await client.get(f"{ME}/data", headers=bearer("not.a.token")), 401, "invalid_token")
    problem(
        await client.delete(ME, headers={"authorization": f"Basic {tokens['access_token']}"}),
        401,
        "unauthenticated",
    )
    assert await count(session, "SELECT count(*) FROM users WHERE deleted_at IS NOT NULL") == 0


async def test_deletion_forgets_the_push_devices_and_the_export_lists_them(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    tokens = await sign_in_citizen(client, session)
    headers = bearer(tokens["access_token"])
    device = {"token": "f" * 150, "platform": "android", "language": "vi"}
    assert (await client.put("/api/v1/me/devices/phone-1", json=device, headers=headers)).status_code == 201

    export = (await client.get(f"{ME}/data", headers=headers)).json()
    assert [d["device_id"] for d in export["devices"]] == ["phone-1"]
    assert device["token"] not in str(export), "the push token itself is not shown"

    assert (await client.delete(ME, headers=headers)).status_code == 204
    user_id = tokens["user"]["id"]
    assert await count(session, "SELECT count(*) FROM device_tokens WHERE user_id = :u", u=user_id) == 0
