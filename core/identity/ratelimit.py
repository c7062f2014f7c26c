"""Sliding-window rate limits in Redis, shared by every API process.

Each limited thing (a phone, a client address, a username) has a sorted set of the moments it was let
through. One Lua script checks every limit of a request and records the request in all of them, or in none:
a refused request does not use up anyone's budget, and two processes cannot both take the last slot.
Keys carry a hash of the limited value rather than the value, so phone numbers do not sit in Redis.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from core.errors import Message, ProblemError

logger = logging.getLogger("smartcity.identity")

KEY_PREFIX = "smartcity:ratelimit:"

# KEYS: one sorted set per limit. ARGV: now (ms), the member recording this request, whether to record it
# (1) or only check (0), then for each key its limit and window (ms). Returns 0 when the request fits (and
# was recorded if asked), else how many ms until it would be allowed.
_HIT = """
local now = tonumber(ARGV[1])
local member = ARGV[2]
local record = ARGV[3] == '1'
local wait = 0
for i, key in ipairs(KEYS) do
    local limit = tonumber(ARGV[2 + 2 * i])
    local window = tonumber(ARGV[3 + 2 * i])
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
    local count = redis.call('ZCARD', key)
    if count >= limit then
        -- The request fits again once enough of the oldest entries have left the window.
        local entry = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
        local until_free = tonumber(entry[2]) + window - now
        if until_free > wait then wait = until_free end
    end
end
if wait > 0 or not record then return wait end
for i, key in ipairs(KEYS) do
    redis.call('ZADD', key, now, member)
    redis.call('PEXPIRE', key, tonumber(ARGV[3 + 2 * i]))
end
return 0
"""


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `limit` requests per `window_seconds` for one value of one kind (e.g. kind "otp:phone")."""

    kind: str
    value: str
    limit: int
    window_seconds: int

    @property
    def key(self) -> str:
        digest = hashlib.sha256(self.value.encode()).hexdigest()[:32]
        return f"{KEY_PREFIX}{self.kind}:{digest}"


@dataclass(frozen=True, slots=True)
class Hit:
    """A request recorded against some limits; release() takes it back (e.g. after a successful sign-in)."""

    member: str
    keys: tuple[str, ...]


class RateLimiter:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._script = redis.register_script(_HIT)

    async def hit(self, limits: Sequence[Limit], now: float | None = None, *, record: bool = True) -> Hit:
        """Record one request against every limit, or raise a 429 rate_limited problem with Retry-After.

        With `record=False` the limits are only checked: a request that must not use up a budget (one that
        succeeded, where only failures are limited) still cannot pass once the budget is spent."""
        moment_ms = int((time.time() if now is None else now) * 1000)
        member = uuid.uuid4().hex
        arguments: list[int | str] = [moment_ms, member, 1 if record else 0]
        for limit in limits:
            arguments.extend((limit.limit, limit.window_seconds * 1000))
        keys = tuple(limit.key for limit in limits)
        wait_ms = int(await self._script(keys=list(keys), args=arguments))
        if wait_ms > 0:
            retry_after = max(1, math.ceil(wait_ms / 1000))
            logger.warning(
                "rate limited", extra={"limits": [limit.kind for limit in limits], "retry_after": retry_after}
            )
            raise too_many_requests(retry_after)
        return Hit(member=member, keys=keys)

    async def release(self, hit: Hit) -> None:
        for key in hit.keys:
            await self._redis.zrem(key, hit.member)


def too_many_requests(retry_after: int) -> ProblemError:
    return ProblemError(
        429,
        "rate_limited",
        Message(f"Vui lòng thử lại sau {retry_after} giây", f"Try again in {retry_after} seconds"),
        extensions={"retry_after": retry_after},
        headers={"Retry-After": str(retry_after)},
    )
