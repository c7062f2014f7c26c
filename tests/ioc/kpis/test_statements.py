"""Figures come from SQL: a section costs the same few statements whether its period holds rows or not, so
nothing is counted by looping over rows in Python."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core.calendar import working_calendar
from core.identity.principal import Role
from core.settings import Settings
from ioc.kpis import service
from ioc.kpis.period import Interval, KpiQuery, period_of
from ioc.kpis.sections import Section
from tests.ioc.kpis.known import PROVINCE
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("known")


@contextmanager
def counted(connection: AsyncConnection) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    engine = connection.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("section", list(Section))
async def test_statements_do_not_grow_with_rows(
    session: AsyncSession,
    connection: AsyncConnection,
    person: PersonFactory,
    settings: Settings,
    section: Section,
) -> None:
    officer = await person(Role.OFFICER, PROVINCE)
    now = datetime.now(UTC)

    def query(first: str, last: str, interval: Interval = Interval.DAY) -> KpiQuery:
        period = period_of(first, last, now=now, interval=interval)
        return KpiQuery(None, period, working_calendar(settings), now, interval)

    spent: list[int] = []
    for first, last in (("2026-06-01", "2026-06-07"), ("2026-05-01", "2026-05-07")):
        with counted(connection) as statements:
            await service.section_kpis(session, officer.principal, section, query(first, last))
        spent.append(len(statements))
        with counted(connection) as statements:
            await service.section_series(session, officer.principal, section, query(first, last))
        spent.append(len(statements))
    figures_with, series_with, figures_without, series_without = spent
    assert (figures_with, series_with) == (figures_without, series_without)
    # The caller's wards, then at most five statements for the figures and one for a series.
    assert figures_with <= 6
    assert series_with == 2
