"""Dependency aliases for routes: the process's resources, the request's session, settings, Redis, language.

Use them as parameter annotations (`db: SessionDep`); the app puts its Resources on `app.state.resources` at
start-up (tests hand in their own).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Language, pick_language
from core.http.resources import Resources
from core.settings import Settings


def resources_of(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


# Dependencies are `async def` even when they do not await: FastAPI runs a plain `def` dependency in its
# thread pool, and the hop to a thread and back for each of them cost more than the rest of a request.


async def get_resources(request: Request) -> Resources:
    return resources_of(request)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: services never commit; this commits once the route has succeeded."""
    async with resources_of(request).sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def get_settings_dep(request: Request) -> Settings:
    return resources_of(request).settings


async def get_redis(request: Request) -> Redis:
    return resources_of(request).redis


async def get_language(request: Request) -> Language:
    return pick_language(request.headers.get("accept-language"))


SessionDep = Annotated[AsyncSession, Depends(get_session)]
RedisDep = Annotated[Redis, Depends(get_redis)]
ResourcesDep = Annotated[Resources, Depends(get_resources)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
LanguageDep = Annotated[str, Depends(get_language)]
