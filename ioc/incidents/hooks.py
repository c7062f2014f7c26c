"""The report hook (registered by ioc.install): a new report of a category paired with alarms joins the
incident near it, in the submission's transaction. A report of a category that pairs with nothing costs no
query; one that does costs one indexed statement when nothing is near (ioc.incidents.linking)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from feedback.reports.models import Report
from ioc.incidents.linking import link_new
from ioc.incidents.links import current_links
from ioc.incidents.membership import Change
from ioc.incidents.types import MemberKind, MemberRef


async def link_report(session: AsyncSession, report: Report) -> None:
    links = current_links()
    partners = links.for_report(report.category_code)
    if not partners:
        return
    change = Change(actor_id=None, now=datetime.now(UTC), buffer_m=links.footprint_buffer_m)
    await link_new(session, MemberRef(MemberKind.REPORT, report.id), report.unit_code, partners, change)
