"""The rate limits of the lookup by code and second factor, so that factors cannot be guessed.

Only failures count: per client address (guessing from one place) and per code from every address (one
dossier's four digits tried from many places). A lookup that succeeds proves the factor and costs nothing:
counting it would lock out a family or an office behind one address (mobile carriers put many phones behind
one) and the applicant who checks her dossier every day, and would protect nothing.

The database is asked first and the limits after, in one Redis round trip: a failure is recorded and
checked atomically (the Lua script of core.identity.ratelimit), so that concurrent guesses cannot pass the
budget; a success is checked without being recorded. Once a budget is spent, every answer is 429, right or
wrong: a 200 after the budget would tell the guesser the answer anyway.

When Redis cannot be asked the lookup is refused (503): unlimited guessing of a factor is worse than a
lookup down for a while, and a signed-in citizen still sees her own dossiers.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from core.errors import ProblemError
from core.identity.ratelimit import Limit, RateLimiter
from core.settings import Settings

logger = logging.getLogger("smartcity.dossiers")

HOUR_SECONDS = 3600
DAY_SECONDS = 24 * HOUR_SECONDS


def lookup_limits(settings: Settings, client_ip: str, code: str) -> list[Limit]:
    return [
        Limit("dossier_lookup:ip", client_ip, settings.dossier_lookup_failures_per_ip_per_hour, HOUR_SECONDS),
        Limit("dossier_lookup:code", code, settings.dossier_lookup_failures_per_code_per_day, DAY_SECONDS),
    ]


async def settle(
    redis: Redis, settings: Settings, *, client_ip: str, code: str, failed: bool, now: float
) -> None:
    """Record a failed attempt, or check a successful one; 429 rate_limited (Retry-After) past a budget,
    503 lookup_unavailable when Redis cannot be asked."""
    try:
        await RateLimiter(redis).hit(lookup_limits(settings, client_ip, code), now, record=failed)
    except (RedisError, OSError) as exc:
        logger.error("dossier lookup refused: rate limits cannot be checked", exc_info=True)
        raise ProblemError(503, "lookup_unavailable", headers={"Retry-After": "30"}) from exc
