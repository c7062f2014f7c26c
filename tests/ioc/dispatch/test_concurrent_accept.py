"""Two field workers accepting the same alarm at the same moment, as two HTTP requests on two database
connections: exactly one wins, the other gets 409 dispatch_taken.

The requests must see each other's commits, so this test commits its world for real (the demo province if
the database has none, people, a rule, alarms with their offers) and deletes all of it afterwards.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from core.db import create_sessionmaker
from core.http.resources import Resources
from core.identity.principal import Role
from core.settings import Settings
from core.units.importer import import_units
from ioc.types import Severity
from tests.ioc.dispatch.helpers import World
from tests.support.people import Person, make_person
from tests.support.units import DEMO

ROUNDS = 3


@dataclass
class Race:
    alarm_ids: list[uuid.UUID]
    workers: tuple[Person, Person]


@pytest.fixture
async def race(engine: AsyncEngine, settings: Settings) -> AsyncIterator[Race]:
    sessions = create_sessionmaker(engine)
    made: list[uuid.UUID] = []
    async with sessions() as session:
        had_units = bool(await session.scalar(text("SELECT count(*) FROM admin_units")))
        if not had_units:
            await import_units(session, DEMO)

        async def person(role: Role = Role.CITIZEN, unit_code: str | None = None, **kwargs: Any) -> Person:
            made_person = await make_person(session, settings, role, unit_code, **kwargs)
            made.append(made_person.id)
            return made_person

        world = World(session, sessions, settings, person)
        workers = (await world.staff(100), await world.staff(150))
        alarm_ids = [(await world.alarm(Severity.CRITICAL)).id for _ in range(ROUNDS)]
        await world.react()
        await session.commit()
        assert world.rule is not None
        rule_id = world.rule.rule_id
    try:
        yield Race(alarm_ids, workers)
    finally:
        async with engine.begin() as connection:
            # The alarms' events and the workers' (alerts.field_staff_moved, about each worker): a row left
            # here would reach the next test's relay.
            subjects = [str(alarm_id) for alarm_id in alarm_ids] + [str(user_id) for user_id in made]
            await connection.execute(
                text("DELETE FROM event_outbox WHERE subject_id = ANY(:s)"), {"s": subjects}
            )
            await connection.execute(text("DELETE FROM alarms WHERE id = ANY(:a)"), {"a": alarm_ids})
            await connection.execute(text("DELETE FROM alert_rules WHERE id = :r"), {"r": rule_id})
            await connection.execute(text("DELETE FROM users WHERE id = ANY(:u)"), {"u": made})
            if not had_units:
                await connection.execute(text("DELETE FROM incidents"))
                await connection.execute(text("DELETE FROM admin_units WHERE parent_code IS NOT NULL"))
                await connection.execute(text("DELETE FROM admin_units"))


@pytest.fixture
async def committing_client(
    engine: AsyncEngine, settings: Settings, redis: Redis
) -> AsyncIterator[httpx.AsyncClient]:
    """The app on sessions of its own (each request its own connection and its own commit)."""
    app = create_app(settings)
    app.state.resources = Resources(
        settings=settings, engine=engine, sessionmaker=create_sessionmaker(engine), redis=redis
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_two_accepting_at_once_exactly_one_wins(
    race: Race, committing_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    first, second = race.workers
    winners: set[uuid.UUID] = set()
    for alarm_id in race.alarm_ids:
        path = f"/api/v1/alerts/{alarm_id}/dispatch/accept"
        answers = await asyncio.gather(
            committing_client.post(path, headers=first.headers),
            committing_client.post(path, headers=second.headers),
        )

        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        [won] = [a for a in answers if a.status_code == 200]
        [lost] = [a for a in answers if a.status_code == 409]
        assert lost.json()["code"] == "dispatch_taken"
        winner = uuid.UUID(won.json()["assignee_id"])
        winners.add(winner)
        async with engine.connect() as connection:
            assignee = await connection.scalar(
                text("SELECT assignee_id FROM alarms WHERE id = :a"), {"a": alarm_id}
            )
            answers_given = (
                await connection.execute(
                    text("SELECT staff_id, answer FROM dispatch_offers WHERE alarm_id = :a"), {"a": alarm_id}
                )
            ).all()
            accepted_entries = await connection.scalar(
                text(
                    "SELECT count(*) FROM alarm_timeline WHERE alarm_id = :a AND kind = 'dispatch_accepted'"
                ),
                {"a": alarm_id},
            )
        assert assignee == winner
        given: dict[uuid.UUID, str] = {row.staff_id: row.answer for row in answers_given}
        assert sorted(given.values()) == ["accepted", "withdrawn"]
        assert given[winner] == "accepted"
        assert accepted_entries == 1
    assert winners <= {first.id, second.id}
