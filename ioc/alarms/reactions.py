"""What follows from a timeline entry, done once, after its change committed: pushes, dispatch, incidents.

A reaction is a function of (session, settings, entries) registered here at import by the part it belongs
to (officers' pushes in ioc.alarms, dispatch offers in ioc.dispatch, incident links in ioc.incidents). The
alerts task claims pending entries (SKIP LOCKED, so several workers share the queue), runs every reaction on
them in one transaction and marks them done in the same one: a crash redoes the batch, never skips it. A
reaction must therefore tolerate seeing an entry again after a crash, and must look only at the kinds it
cares about.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from ioc.alarms.repository import journal
from ioc.alarms.repository.journal import PendingEntry

Reaction = Callable[[AsyncSession, Settings, list[PendingEntry]], Awaitable[None]]

_REACTIONS: list[Reaction] = []
BATCH = 200


def register_reaction(reaction: Reaction) -> Reaction:
    if reaction not in _REACTIONS:
        _REACTIONS.append(reaction)
    return reaction


async def react_once(session: AsyncSession, settings: Settings, *, limit: int = BATCH) -> int:
    """Claim up to `limit` pending entries, run every reaction on them, mark them done; returns how many.
    The caller commits."""
    entries = await journal.claim_pending(session, limit)
    if not entries:
        return 0
    for reaction in list(_REACTIONS):
        await reaction(session, settings, entries)
    await journal.mark_reacted(session, [entry.id for entry in entries])
    return len(entries)
