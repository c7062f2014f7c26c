"""Ending every session of a user at once, including the access tokens already handed out.

Access tokens are stateless and live up to access_token_minutes. When an account is deleted, or a stolen
refresh token is detected, the user's tokens issued until now must stop working at once: Redis keeps
"sessions ended at T" per user for as long as such a token can live, and the authenticated policy refuses a
token issued at or before T.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from redis.asyncio import Redis

from core.identity.principal import Principal
from core.settings import Settings


def _key(user_id: uuid.UUID) -> str:
    return f"auth:sessions-ended:{user_id}"


async def end_all_sessions(redis: Redis, settings: Settings, user_id: uuid.UUID, now: datetime) -> None:
    # Kept a minute longer than a token lives, to cover clock skew between API processes.
    await redis.set(_key(user_id), int(now.timestamp()), ex=settings.access_token_minutes * 60 + 60)


async def sessions_ended(redis: Redis, principal: Principal) -> bool:
    """True when the principal's token was issued before the user's sessions were ended."""
    ended = await redis.get(_key(principal.user_id))
    if ended is None:
        return False
    return principal.issued_at is None or principal.issued_at <= int(ended)
