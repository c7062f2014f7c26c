"""The callers the fuzz stage sends every generated request as: an admin, an officer, a field worker, a
citizen and an anonymous caller, and the rows they need (the demo province, its report catalogue and their
user rows), written inside the fuzzing transaction that is rolled back after each operation."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.models import User
from core.identity.principal import Principal, Role
from core.identity.tokens import issue_access_token
from core.settings import Settings
from core.units.importer import import_units
from feedback.catalogue.seed import CATEGORIES_FILE, seed_catalogue
from tests.support.units import DEMO

PROVINCE = "37"
WARD = "13666"
_NAMESPACE = uuid.UUID("5f0c0e52-7f1e-4c55-9a55-0f5f2a7e1d01")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sends a fuzzed request; `role` None is an anonymous caller."""

    name: str
    role: Role | None = None
    unit_code: str | None = None

    @property
    def user_id(self) -> uuid.UUID:
        # Fixed ids: the tokens are made once per run, the rows again in each operation's transaction.
        return uuid.uuid5(_NAMESPACE, self.name)

    def user(self) -> User | None:
        if self.role is None:
            return None
        citizen = self.role is Role.CITIZEN
        return User(
            id=self.user_id,
            role=self.role,
            unit_code=self.unit_code,
            display_name=f"Fuzz {self.name}",
            phone="+84910000001" if citizen else None,
            username=None if citizen else f"fuzz-{self.name}",
        )

    def authorization(self, settings: Settings) -> str | None:
        if self.role is None:
            return None
        token, _ = issue_access_token(
            settings, Principal(user_id=self.user_id, role=self.role, unit_code=self.unit_code)
        )
        return f"Bearer {token}"


ANONYMOUS = Caller("anonymous")
CALLERS = (
    Caller("admin", Role.ADMIN),
    Caller("officer", Role.OFFICER, PROVINCE),
    Caller("field_worker", Role.FIELD_STAFF, WARD),
    Caller("citizen", Role.CITIZEN),
    ANONYMOUS,
)

_CATALOGUE: Mapping[str, Any] = yaml.safe_load(CATEGORIES_FILE.read_text(encoding="utf-8"))


async def seed_callers(session: AsyncSession) -> None:
    """The demo province, its catalogue and the callers' users, in the session's transaction."""
    await import_units(session, DEMO)
    await seed_catalogue(session, _CATALOGUE)
    session.add_all([user for caller in CALLERS if (user := caller.user()) is not None])
    await session.flush()
