"""The SLA pass: where each open report stands against its deadline, and closing what nobody rated.

Run periodically by the worker. The current deadline is acknowledge_due_at while a report is submitted,
resolve_due_at afterwards. A report is overdue past it, due soon when fewer than
settings.feedback_due_soon_working_hours of office time remain, on track otherwise. Only a change of state
is written, with a timeline entry and an event; an overdue report is also pushed to its unit's topic.

Candidates are pre-selected by wall-clock time: a deadline less than LOOKAHEAD away (office hours never
outrun the wall clock, and 20 days covers the longest run of days off, Tết, with room to spare). Rows are
processed in batches, each locked with SKIP LOCKED so that a report being changed by a request is simply
looked at again by the next pass.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from core.background.singleton import every, run_singleton
from core.calendar import WorkingCalendar, working_calendar
from core.db import create_engine
from core.media import media_storage
from core.settings import Settings
from feedback.lifecycle import repository
from feedback.lifecycle.changes import SYSTEM, record_change
from feedback.lifecycle.service import close_resolved
from feedback.lifecycle.sla_clock import current_deadline, sla_state
from feedback.reports.models import Report
from feedback.reports.notify import notify_unit_overdue
from feedback.reports.status import CloseReason, SlaState, TimelineKind
from feedback.submission import photos

log = logging.getLogger("smartcity.feedback.sla")

LOOKAHEAD = timedelta(days=20)
BATCH_SIZE = 200
# Uploads a phone never attached to a report are removed after this long.
STALE_UPLOAD_AGE = timedelta(days=1)

AfterBatch = Callable[[], Awaitable[None]]


@dataclass(slots=True)
class SlaPassResult:
    checked: int = 0
    due_soon: int = 0
    overdue: int = 0
    back_on_track: int = 0
    auto_closed: int = 0
    stale_uploads_deleted: int = 0


async def _judge(
    session: AsyncSession,
    report: Report,
    calendar: WorkingCalendar,
    settings: Settings,
    now: datetime,
    result: SlaPassResult,
) -> None:
    state = sla_state(report, calendar, settings, now)
    if state == report.sla_state:
        return
    report.sla_state = state
    if state == SlaState.ON_TRACK:
        # Back on track after a deadline moved: nothing to tell anyone.
        result.back_on_track += 1
        return
    deadline = current_deadline(report)
    kind = TimelineKind.OVERDUE if state == SlaState.OVERDUE else TimelineKind.DUE_SOON
    facts = {"due_at": deadline.isoformat()}
    await record_change(
        session,
        report,
        actor=SYSTEM,
        kind=kind,
        now=now,
        data=facts,
        events=[(f"feedback.{kind}", facts)],
        notify=False,
    )
    if state == SlaState.OVERDUE:
        await notify_unit_overdue(session, report)
        result.overdue += 1
    else:
        result.due_soon += 1


async def _judge_open(
    session: AsyncSession,
    calendar: WorkingCalendar,
    settings: Settings,
    now: datetime,
    result: SlaPassResult,
    after_batch: AfterBatch | None,
) -> None:
    after: uuid.UUID | None = None
    while True:
        batch = await repository.open_candidates(session, now, after, lookahead=LOOKAHEAD, limit=BATCH_SIZE)
        if not batch:
            return
        for report in batch:
            await _judge(session, report, calendar, settings, now, result)
        result.checked += len(batch)
        after = batch[-1].id
        await session.flush()
        if after_batch is not None:
            await after_batch()
        if len(batch) < BATCH_SIZE:
            return


async def _auto_close(
    session: AsyncSession,
    settings: Settings,
    now: datetime,
    result: SlaPassResult,
    after_batch: AfterBatch | None,
) -> None:
    cutoff = now - timedelta(days=settings.feedback_auto_close_days)
    while True:
        batch = await repository.resolved_unrated(session, cutoff, limit=BATCH_SIZE)
        for report in batch:
            await close_resolved(
                session, report, actor=SYSTEM, reason=CloseReason.AUTO_CLOSED, note=None, now=now
            )
            result.auto_closed += 1
        await session.flush()
        if after_batch is not None and batch:
            await after_batch()
        if len(batch) < BATCH_SIZE:
            return


async def _delete_stale_uploads(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Photos uploaded and never attached to a report are removed after STALE_UPLOAD_AGE."""
    storage = media_storage(settings)
    return await photos.delete_stale_uploads(session, storage, older_than=now - STALE_UPLOAD_AGE)


async def run_sla_pass(
    session: AsyncSession,
    calendar: WorkingCalendar,
    settings: Settings,
    now: datetime,
    *,
    after_batch: AfterBatch | None = None,
) -> SlaPassResult:
    """One pass over open and resolved reports at `now`. Never commits; `after_batch` (the worker's commit)
    is called after each batch so that a long pass does not hold its locks to the end."""
    result = SlaPassResult()
    await _judge_open(session, calendar, settings, now, result, after_batch)
    await _auto_close(session, settings, now, result, after_batch)
    result.stale_uploads_deleted = await _delete_stale_uploads(session, settings, now)
    return result


# -- the worker loop --------------------------------------------------------------------------------------

# Session-level advisory lock held by the one active SLA task of a database.
SLA_LOCK_KEY = 0x5C1E_05A1


async def run_sla(settings: Settings, stop: asyncio.Event) -> None:
    """Run an SLA pass every feedback_sla_interval_seconds until `stop` is set (the worker's entry point).

    One SLA task is active per database (core.background.singleton); the others stand by."""
    engine = create_engine(settings)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    calendar = working_calendar()

    async def one_pass() -> None:
        async with sessions() as session:
            result = await run_sla_pass(
                session, calendar, settings, datetime.now(UTC), after_batch=session.commit
            )
            await session.commit()
        log.info("SLA pass done", extra=asdict(result))

    async def active(connection: AsyncConnection) -> None:
        await every(
            settings.feedback_sla_interval_seconds,
            stop,
            one_pass,
            log=log,
            what="SLA pass",
            lock_connection=connection,
        )

    try:
        await run_singleton(
            engine,
            stop,
            name="SLA task",
            lock_key=SLA_LOCK_KEY,
            standby_seconds=settings.feedback_sla_interval_seconds,
            active=active,
            log=log,
        )
    finally:
        await engine.dispose()
