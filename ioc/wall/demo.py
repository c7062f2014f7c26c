"""The demo officer `smartcity seed` makes in development, so that `make run` opens a live wall at once.

Development only: the password is public (it is printed by scripts/run.sh and written in the README), so no
other profile ever gets this account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from core.db import create_engine, create_sessionmaker
from core.identity import repository, service
from core.identity.principal import Role
from core.settings import Profile, Settings

DEMO_OFFICER_USERNAME = "ioc.demo"
DEMO_OFFICER_PASSWORD = "ioc-demo-password"  # noqa: S105  (a public development account)
# The demo province: its officer sees every ward.
DEMO_OFFICER_UNIT = "37"


@dataclass(frozen=True, slots=True)
class DemoOfficer:
    username: str
    password: str
    created: bool


async def seed_demo_officer(settings: Settings) -> DemoOfficer:
    if settings.profile is not Profile.DEVELOPMENT:
        raise ValueError("the demo officer exists only in development")
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            created = await repository.get_user_by_username(session, DEMO_OFFICER_USERNAME) is None
            if created:
                await service.create_staff(
                    session,
                    username=DEMO_OFFICER_USERNAME,
                    password=DEMO_OFFICER_PASSWORD,
                    role=Role.OFFICER,
                    unit_code=DEMO_OFFICER_UNIT,
                    display_name="Cán bộ trực IOC (demo)",
                    now=datetime.now(UTC),
                )
                # The command is the unit of work here, as the request is in the API.
                await session.commit()
    finally:
        await engine.dispose()
    return DemoOfficer(DEMO_OFFICER_USERNAME, DEMO_OFFICER_PASSWORD, created)
