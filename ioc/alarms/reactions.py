"""What follows from a timeline entry, done once, after its change committed: pushes, dispatch, incidents.

A reaction is a function of (session, settings, entries) registered here at import by the part it belongs
to (officers' pushes in ioc.alarms, dispatch offers in ioc.dispatch, incident links in ioc.incidents). The
alerts task claims pending entries (SKIP LOCKED, so several workers share the queue), runs every reaction on
them in one transaction and marks them done in the same one: a crash redoes the batch, never skips it. A
reaction must therefore tolerate seeing an entry again after a crash, and must look only at the kinds it
cares about.

Each reaction runs in a savepoint. One that raises on a batch is run again entry by entry, each in its own
savepoint, and an entry it still fails on alone is logged and left behind by that reaction only (the other
reactions and entries go on): a bad entry or a bug never blocks the queue behind it. A lost connection, a
deadlock or a cancelled statement fails the whole transaction instead, and the batch is redone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from ioc.alarms.repository import journal
from ioc.alarms.repository.journal import PendingEntry

Reaction = Callable[[AsyncSession, Settings, list[PendingEntry]], Awaitable[None]]

_REACTIONS: list[Reaction] = []
BATCH = 200

log = logging.getLogger("smartcity.ioc.reactions")


def register_reaction(reaction: Reaction) -> Reaction:
    if reaction not in _REACTIONS:
        _REACTIONS.append(reaction)
    return reaction


async def react_once(
    session: AsyncSession,
    settings: Settings,
    *,
    limit: int = BATCH,
    only: Sequence[Reaction] | None = None,
) -> int:
    """Claim up to `limit` pending entries, run every reaction on them (or `only` these: a test of one
    part), mark them done; returns how many. The caller commits."""
    entries = await journal.claim_pending(session, limit)
    if not entries:
        return 0
    for reaction in list(_REACTIONS if only is None else only):
        await _isolated(session, settings, reaction, entries)
    await journal.mark_reacted(session, [entry.id for entry in entries])
    return len(entries)


async def _isolated(
    session: AsyncSession, settings: Settings, reaction: Reaction, entries: list[PendingEntry]
) -> None:
    name = getattr(reaction, "__qualname__", repr(reaction))
    try:
        async with session.begin_nested():
            await reaction(session, settings, entries)
        return
    except Exception as error:
        if _transient(error):
            raise
        if len(entries) == 1:
            log.exception("reaction %s failed on timeline entry %s; skipped", name, entries[0].id)
            return
        log.warning("reaction %s failed on a batch; retrying entry by entry", name, exc_info=True)
    for entry in entries:
        try:
            async with session.begin_nested():
                await reaction(session, settings, [entry])
        except Exception as error:
            if _transient(error):
                raise
            log.exception("reaction %s failed on timeline entry %s; skipped", name, entry.id)


# SQLSTATE classes worth a retry of the whole batch: connection, transaction rollback (deadlock,
# serialization), operator intervention (cancelled statement, shutdown).
_TRANSIENT_CLASSES = ("08", "40", "57")


def _transient(error: BaseException) -> bool:
    found: BaseException | None = error
    for _ in range(10):  # the chain of causes, bounded
        if found is None:
            break
        state = getattr(found, "sqlstate", None)
        if isinstance(state, str) and state[:2] in _TRANSIENT_CLASSES:
            return True
        if isinstance(found, (ConnectionError, OSError)):
            return True
        found = getattr(found, "orig", None) or found.__cause__
    return False
