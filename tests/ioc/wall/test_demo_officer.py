"""The demo officer `smartcity seed` makes for `make run`: an officer of the whole demo province with the
password the README gives, made once, and never outside the development profile."""

from __future__ import annotations

import asyncpg
import pytest

from core.identity.passwords import verify_password
from core.settings import Profile, Settings
from ioc.wall.demo import DEMO_OFFICER_PASSWORD, DEMO_OFFICER_USERNAME, seed_demo_officer
from iot.ingest.writer import asyncpg_dsn


async def test_the_demo_officer_is_made_once_with_the_known_password(live_settings: Settings) -> None:
    development = live_settings.model_copy(update={"profile": Profile.DEVELOPMENT})
    connection = await asyncpg.connect(asyncpg_dsn(live_settings))
    try:
        await connection.execute("DELETE FROM users WHERE username = $1", DEMO_OFFICER_USERNAME)
        first = await seed_demo_officer(development)
        again = await seed_demo_officer(development)
        rows = await connection.fetch(
            "SELECT role, unit_code, password_hash, is_active FROM users WHERE username = $1",
            DEMO_OFFICER_USERNAME,
        )
    finally:
        await connection.execute("DELETE FROM users WHERE username = $1", DEMO_OFFICER_USERNAME)
        await connection.close()

    assert (first.created, again.created) == (True, False)
    assert (first.username, first.password) == (DEMO_OFFICER_USERNAME, DEMO_OFFICER_PASSWORD)
    [row] = rows
    assert (row["role"], row["unit_code"], row["is_active"]) == ("officer", "37", True)
    assert (await verify_password(row["password_hash"], DEMO_OFFICER_PASSWORD)).ok


@pytest.mark.parametrize("profile", [Profile.TEST, Profile.PRODUCTION])
async def test_no_other_profile_gets_it(live_settings: Settings, profile: Profile) -> None:
    with pytest.raises(ValueError, match="only in development"):
        await seed_demo_officer(live_settings.model_copy(update={"profile": profile}))
