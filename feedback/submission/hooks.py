"""What else runs when a report is filed: hooks called in the submission's transaction.

feedback knows nothing of the operations centre (which may read feedback, never the other way round), so the
app and the worker install the centre's report rules here at start (a surge of reports of one category,
incidents near an alarm). A hook sees the new row as stored; what it writes commits with the report or not at
all. A hook that raises fails the submission: hooks must refuse nothing a citizen sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from feedback.reports.models import Report

ReportHook = Callable[[AsyncSession, Report], Awaitable[None]]

_HOOKS: list[ReportHook] = []


def register_report_hook(hook: ReportHook) -> ReportHook:
    """Run `hook` on every new report; registering the same function again changes nothing."""
    if hook not in _HOOKS:
        _HOOKS.append(hook)
    return hook


def unregister_report_hook(hook: ReportHook) -> None:
    if hook in _HOOKS:
        _HOOKS.remove(hook)


async def run_report_hooks(session: AsyncSession, report: Report) -> None:
    for hook in list(_HOOKS):
        await hook(session, report)
