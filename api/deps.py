"""Dependency aliases for routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.resources import Resources
from core.errors import Language, pick_language
from core.settings import Settings


def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: services never commit; this commits once the route has succeeded."""
    async with get_resources(request).sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


def get_settings_dep(request: Request) -> Settings:
    return get_resources(request).settings


def get_language(request: Request) -> Language:
    return pick_language(request.headers.get("accept-language"))


SessionDep = Annotated[AsyncSession, Depends(get_session)]
ResourcesDep = Annotated[Resources, Depends(get_resources)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
LanguageDep = Annotated[str, Depends(get_language)]
