"""What the report routes need from the application, handed in by api/ (which this package may not import).

Policies are the application's own (api/policies.py): each route depends on exactly one of them, and the
route walk in the tests checks it. Use them as `Annotated[Principal, deps.citizen]` or in `dependencies=`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from fastapi.params import Depends as DependsParam
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import working_calendar as _working_calendar
from core.media import media_storage as _media_storage
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


# Where they live now; re-exported until the report routes take them from core directly.
working_calendar = _working_calendar
media_storage = _media_storage
