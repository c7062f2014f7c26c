"""What other parts of the product erase when a citizen deletes their account.

Identity knows nothing of reports or photos (core imports no domain), so a domain registers a cleanup here at
import and the account deletion runs every registered one inside its own transaction. A cleanup changes rows
in that transaction; work outside the database (removing files) goes through `after_commit`, so nothing is
lost if the deletion is rolled back.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings

logger = logging.getLogger(__name__)

AccountCleanup = Callable[[AsyncSession, Settings, uuid.UUID], Awaitable[None]]

_CLEANUPS: list[AccountCleanup] = []


def register_account_cleanup(cleanup: AccountCleanup) -> AccountCleanup:
    """Run `cleanup` on every account deletion; registering the same function again changes nothing."""
    if cleanup not in _CLEANUPS:
        _CLEANUPS.append(cleanup)
    return cleanup


async def run_account_cleanups(session: AsyncSession, settings: Settings, user_id: uuid.UUID) -> None:
    for cleanup in list(_CLEANUPS):
        await cleanup(session, settings, user_id)


def after_commit(session: AsyncSession, action: Callable[[], None], *, what: str) -> None:
    """Run `action` in a worker thread once the session's transaction commits (it removes files: disk work
    that must not hold up the event loop); a failure is logged, never raised (the account is already deleted
    by then)."""

    def logged() -> None:
        try:
            action()
        except Exception:
            logger.exception("account cleanup after commit failed", extra={"what": what})

    def run(_: Any) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # committed outside an event loop: nothing to hold up
            logged()
            return
        pending = loop.run_in_executor(None, logged)
        # Kept until done, so that the work is not collected before it ran.
        _PENDING.add(pending)
        pending.add_done_callback(_PENDING.discard)

    event.listen(session.sync_session, "after_commit", run, once=True)


_PENDING: set[asyncio.Future[None]] = set()
