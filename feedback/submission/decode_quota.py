"""How many photos a caller may have decoded per hour, per person and per client address.

Decoding is the expensive part of a photo, and it is paid whatever comes of the photo: kept, refused as
corrupt, or dropped with its refused report. So each photo is charged before it is decoded and never given
back, and a report that fails on its last photo has still cost its decodes.
"""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from core.identity.ratelimit import Limit, RateLimiter
from core.settings import Settings

WINDOW_SECONDS = 3600


async def charge_decodes(
    redis: Redis, settings: Settings, *, user_id: uuid.UUID, client: str, photos: int
) -> None:
    """Record `photos` decodes for this person and client, or raise 429 rate_limited with Retry-After."""
    limiter = RateLimiter(redis)
    limits = [
        Limit("media:decode:user", str(user_id), settings.media_decodes_per_user_per_hour, WINDOW_SECONDS),
        Limit("media:decode:client", client, settings.media_decodes_per_client_per_hour, WINDOW_SECONDS),
    ]
    for _ in range(photos):
        await limiter.hit(limits)
