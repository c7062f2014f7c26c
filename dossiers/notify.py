"""Telling people about dossier changes: live events, pushes to followers and linked citizens, SMS."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from dossiers.changes import DossierChange


async def announce(session: AsyncSession, settings: Settings, changes: Sequence[DossierChange]) -> None:
    """Events, pushes and SMS for `changes`, in the caller's transaction."""
    del session, settings, changes
