"""People for tests: a user row with a valid access token, without going through sign-in."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.models import User
from core.identity.principal import Principal, Role
from core.identity.tokens import issue_access_token
from core.settings import Settings

_phones = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Person:
    user: User
    principal: Principal
    headers: dict[str, str]

    @property
    def id(self) -> uuid.UUID:
        return self.user.id


# The `person` fixture: `await person(Role.OFFICER, "13666")`.
PersonFactory = Callable[..., Awaitable[Person]]


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def make_person(
    session: AsyncSession,
    settings: Settings,
    role: Role = Role.CITIZEN,
    unit_code: str | None = None,
    *,
    display_name: str | None = None,
) -> Person:
    """A user row and a valid access token for it (citizens get a unique phone, staff a username)."""
    suffix = uuid.uuid4().hex[:10]
    user = User(
        id=uuid.uuid4(),
        role=role,
        unit_code=unit_code,
        display_name=display_name or f"Người dùng {suffix}",
        phone=f"+8491{next(_phones):07d}" if role is Role.CITIZEN else None,
        username=None if role is Role.CITIZEN else f"staff-{suffix}",
    )
    session.add(user)
    await session.flush()
    principal = Principal(user_id=user.id, role=role, unit_code=unit_code)
    token, _ = issue_access_token(settings, principal)
    return Person(user=user, principal=principal, headers=bearer(token))
