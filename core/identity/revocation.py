"""Ending sessions at once, including the access tokens already handed out.

Access tokens are stateless and live up to access_token_minutes. Redis keeps, for as long as such a token can
live, "all sessions of this user ended at T" (account deletion) and "this sign-in ended" (logout, a reused
refresh token revoking its family; the access token names its sign-in in the `sid` claim). The authenticated
policy and the live channel refuse a token issued at or before T, or of an ended sign-in.

When Redis cannot be asked, staff tokens are refused (503 session_check_unavailable: an officer's stolen token
reaches every report of a unit) and citizens' are accepted (they reach one person's own data for minutes, and
refusing them would take the citizens' app down with Redis). See core/http/policies.py and api/ws/session.py.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from redis.asyncio import Redis

from core.errors import Message, ProblemError
from core.identity.principal import Principal
from core.settings import Settings

CHECK_RETRY_SECONDS = 5


def _key(user_id: uuid.UUID) -> str:
    return f"auth:sessions-ended:{user_id}"


def _session_key(session_id: str) -> str:
    return f"auth:session-ended:{session_id}"


def _lifetime(settings: Settings) -> int:
    # Kept a minute longer than a token lives, to cover clock skew between API processes.
    return settings.access_token_minutes * 60 + 60


async def end_all_sessions(redis: Redis, settings: Settings, user_id: uuid.UUID, now: datetime) -> None:
    await redis.set(_key(user_id), int(now.timestamp()), ex=_lifetime(settings))


async def end_session(redis: Redis, settings: Settings, session_id: uuid.UUID) -> None:
    """End the access tokens of one sign-in (a refresh-token family), now and for good."""
    await redis.set(_session_key(str(session_id)), 1, ex=_lifetime(settings))


async def sessions_ended(redis: Redis, principal: Principal) -> bool:
    """True when the principal's token was issued before the user's sessions were ended, or its sign-in
    ended. One round trip."""
    keys = [_key(principal.user_id)]
    if principal.session_id is not None:
        keys.append(_session_key(principal.session_id))
    values = await redis.mget(keys)
    ended = values[0]
    if len(values) > 1 and values[1] is not None:
        return True
    if ended is None:
        return False
    return principal.issued_at is None or principal.issued_at <= int(ended)


def check_unavailable() -> ProblemError:
    """The answer to a staff token while ended sessions cannot be checked."""
    return ProblemError(
        503,
        "session_check_unavailable",
        Message(
            "Tạm thời không kiểm tra được phiên đăng nhập, hãy thử lại sau giây lát",
            "The session cannot be checked right now; try again in a moment",
        ),
        headers={"Retry-After": str(CHECK_RETRY_SECONDS)},
    )
