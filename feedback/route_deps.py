"""What the report routes need from the application, handed in by api/ (which this package may not import).

Policies are the application's own (api/policies.py): each route depends on exactly one of them, and the
route walk in the tests checks it. Use them as `Annotated[Principal, deps.citizen]` or in `dependencies=`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache

from fastapi.params import Depends as DependsParam
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import WorkingCalendar
from core.media import LocalMediaStorage, MediaStorage
from core.settings import Settings

SessionProvider = Callable[..., AsyncIterator[AsyncSession]]


@dataclass(frozen=True, slots=True)
class FeedbackDeps:
    session: SessionProvider
    settings: Callable[..., Awaitable[Settings]]
    redis: Callable[..., Awaitable[Redis]]
    # Policies.
    public: DependsParam  # anyone; returns None
    optional_principal: DependsParam  # anyone; returns the Principal when a valid token is sent, else None
    authenticated: DependsParam  # any signed-in user; returns the Principal
    citizen: DependsParam  # citizens only
    staff: DependsParam  # officers, field staff and admins
    officer: DependsParam  # officers and admins
    open311_submit: DependsParam  # an API key with scope open311:submit; returns the ApiClient


@lru_cache(maxsize=1)
def working_calendar() -> WorkingCalendar:
    """The Vietnamese working calendar from the repository's table, read once per process."""
    return WorkingCalendar.from_file()


def media_storage(settings: Settings) -> MediaStorage:
    return LocalMediaStorage(settings.media_root, url_prefix=settings.media_url_prefix)
