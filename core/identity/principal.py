"""Who is calling: the roles of the product and the authenticated principal a request carries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    CITIZEN = "citizen"
    OFFICER = "officer"
    FIELD_STAFF = "field_staff"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.OFFICER, Role.FIELD_STAFF, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Principal:
    """A signed-in user, as read from a verified access token."""

    user_id: uuid.UUID
    role: Role
    # Officers and field staff belong to an administrative unit (a province or a ward); citizens and admins
    # may have none.
    unit_code: str | None = None
    # The access token's id, for logs and revocation lists.
    token_id: str | None = None
    # When the access token was issued (Unix seconds), to refuse tokens older than an "all sessions ended".
    issued_at: int | None = None
    # The sign-in the token belongs to (its refresh-token family): a logout or a reused refresh token ends
    # that session's access tokens at once.
    session_id: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES
