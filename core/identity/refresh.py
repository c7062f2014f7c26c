"""Rotating refresh tokens, stored server-side.

A refresh token is 32 random bytes (URL-safe text); the database keeps only its SHA-256, which is enough for
a value that cannot be guessed. Every use rotates it: the used token is marked rotated and a child is issued
in the same family. A rotated token presented again means two parties hold it (it leaked, or was stolen), so
the whole family is revoked and both must sign in again. Logout revokes the family too. Either way the
family's access tokens, which name it in their `sid` claim, are ended at once (core/identity/revocation.py).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Message, ProblemError
from core.identity import repository
from core.identity.models import RefreshToken

logger = logging.getLogger("smartcity.identity")

TOKEN_BYTES = 32


class PersistentRefusalError(ProblemError):
    """A refusal whose database changes must be kept: counted failed attempts, a revoked token family.

    The request's unit of work rolls back on any exception, so a route answers this one with a problem
    response instead of raising it (see api/auth_routes.py). Raised anywhere else, it is still the right
    problem; only its bookkeeping is lost.
    """


class TokenReusedError(PersistentRefusalError):
    """A rotated token came back: its family is revoked, and the caller ends that sign-in's access tokens."""

    def __init__(self, family_id: uuid.UUID) -> None:
        super().__init__(
            401,
            "refresh_token_reused",
            Message(
                "Token làm mới đã được dùng trước đó; mọi phiên của lần đăng nhập này đã bị thu hồi",
                "This refresh token was already used; every session of that sign-in has been revoked",
            ),
        )
        self.family_id = family_id


@dataclass(frozen=True, slots=True)
class IssuedRefreshToken:
    token: str
    row: RefreshToken


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invalid() -> ProblemError:
    return ProblemError(
        401,
        "refresh_token_invalid",
        Message(
            "Phiên đăng nhập không còn hiệu lực, hãy đăng nhập lại", "The session has ended; sign in again"
        ),
    )


async def issue(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    lifetime: timedelta,
    now: datetime,
    parent: RefreshToken | None = None,
) -> IssuedRefreshToken:
    """A new token: the first of a family at sign-in, or the child of `parent` on rotation."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    token_id = uuid.uuid4()
    row = RefreshToken(
        id=token_id,
        user_id=user_id,
        # A family is named after its first token.
        family_id=parent.family_id if parent is not None else token_id,
        parent_id=parent.id if parent is not None else None,
        token_hash=hash_token(token),
        created_at=now,
        # Each rotation extends the session: a phone used every few weeks stays signed in.
        expires_at=now + lifetime,
    )
    await repository.add_refresh_token(session, row)
    return IssuedRefreshToken(token=token, row=row)


async def rotate(
    session: AsyncSession, presented: str, *, lifetime: timedelta, now: datetime
) -> IssuedRefreshToken:
    """Exchange a live token for its child; 401 refresh_token_invalid, or refresh_token_reused (a
    TokenReusedError: the family is revoked) when the token was already rotated."""
    row = await repository.refresh_token_by_hash(session, hash_token(presented))
    if row is None:
        logger.warning("unknown refresh token presented")
        raise invalid()
    if row.revoked_at is not None:
        logger.warning(
            "revoked refresh token presented",
            extra={"user_id": str(row.user_id), "family_id": str(row.family_id)},
        )
        raise invalid()
    if row.rotated_at is not None:
        revoked = await repository.revoke_family(session, row.family_id, now)
        logger.warning(
            "rotated refresh token reused: family revoked",
            extra={"user_id": str(row.user_id), "family_id": str(row.family_id), "revoked": revoked},
        )
        raise TokenReusedError(row.family_id)
    if row.expires_at <= now:
        logger.info("expired refresh token presented", extra={"user_id": str(row.user_id)})
        raise invalid()
    await repository.mark_rotated(session, row, now)
    return await issue(session, row.user_id, lifetime=lifetime, now=now, parent=row)


async def revoke(session: AsyncSession, presented: str, *, user_id: uuid.UUID, now: datetime) -> uuid.UUID:
    """Logout: revoke the family of a token that belongs to `user_id` and return it; revoking twice is
    harmless."""
    row = await repository.refresh_token_by_hash(session, hash_token(presented))
    if row is None or row.user_id != user_id:
        # Someone else's token is treated as unknown: it must not be revocable, nor confirmed to exist.
        logger.warning(
            "logout with a refresh token that is not the caller's", extra={"user_id": str(user_id)}
        )
        raise ProblemError(
            400,
            "refresh_token_invalid",
            Message(
                "Token làm mới không thuộc phiên đăng nhập của bạn",
                "This refresh token is not one of your sessions",
            ),
        )
    await repository.revoke_family(session, row.family_id, now)
    return row.family_id
