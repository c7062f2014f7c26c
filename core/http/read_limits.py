"""Per-client rate limits on the anonymous read routes (Open311, the public feed and map).

Those routes need no account, so the peer address is the only handle on a client that pages through
everything or polls in a loop: `public_reads_per_minute` requests per address per minute, in Redis so that
every API process counts together; past that a 429 `rate_limited` with Retry-After (Open311 routes render it
in the spec's error form). Use as a route dependency beside the route's policy:
`dependencies=[PUBLIC, PUBLIC_READ_LIMIT]`.

A limit is not a policy: when Redis is unreachable the read goes through (logged), since refusing every
public read would be a worse outage than an unlimited minute.
"""

from __future__ import annotations

import logging

from fastapi import Depends, Request
from redis.exceptions import RedisError

from core.http.deps import resources_of
from core.identity.ratelimit import Limit, RateLimiter

logger = logging.getLogger("smartcity.http")

WINDOW_SECONDS = 60


def peer_address(request: Request) -> str:
    # The peer address: behind a reverse proxy, uvicorn's --proxy-headers with --forwarded-allow-ips naming
    # the proxy puts the real client here. X-Forwarded-For is not read: any client could pick its own bucket.
    return request.client.host if request.client else "unknown"


async def limit_public_reads(request: Request) -> None:
    resources = resources_of(request)
    limit = Limit(
        "public_read:ip", peer_address(request), resources.settings.public_reads_per_minute, WINDOW_SECONDS
    )
    try:
        await RateLimiter(resources.redis).hit([limit])
    except (RedisError, OSError):
        logger.warning("public read limit not checked: Redis unavailable", exc_info=True)


PUBLIC_READ_LIMIT = Depends(limit_public_reads)
