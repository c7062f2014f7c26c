"""The relay moves committed events to the Redis Stream, in order, once, and loses nothing when it or Redis
stops and comes back; of two relays only one is active."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.events import repository, stream
from core.events.outbox import emit
from core.settings import Settings
from mobile_contract.events import EventEnvelope
from tests.support.events import IN_WARD_A, WARD_A, WARD_B, envelope, eventually, free_port
from tests.support.live import RunningRelay

Sessions = async_sessionmaker[AsyncSession]


async def _emit_committed(sessions: Sessions, *events: EventEnvelope) -> None:
    async with sessions() as session:
        for event in events:
            await emit(session, event)
        await session.commit()


async def _stream(redis: Redis, key: str) -> list[dict[str, object]]:
    entries = await stream.entries_after(redis, key, stream.ORIGIN, 100_000)
    return [json.loads(raw) for _, raw in entries]


async def _stream_ids(redis: Redis, key: str) -> list[str]:
    return [str(entry["id"]) for entry in await _stream(redis, key)]


async def _unrelayed(sessions: Sessions, events: list[EventEnvelope]) -> int:
    async with sessions() as session:
        found = await session.scalar(
            text("SELECT count(*) FROM event_outbox WHERE event_id = ANY(:ids) AND relayed_at IS NULL"),
            {"ids": [event.id for event in events]},
        )
    return int(found or 0)


async def test_committed_events_reach_the_stream_in_commit_order_once(
    committed: Sessions,
    events_settings: Settings,
    stream_redis: Redis,
    relays: Callable[[Settings], RunningRelay],
) -> None:
    first = envelope("feedback.created", WARD_A, location=IN_WARD_A, data={"n": 1})
    second = envelope("alerts.raised", WARD_B, data={"n": 2})
    third = envelope("dossiers.updated", None)
    await _emit_committed(committed, first)
    await _emit_committed(committed, second, third)
    relays(events_settings)
    key = events_settings.events_stream

    async def three() -> bool:
        return len(await _stream_ids(stream_redis, key)) >= 3

    await eventually(three, "three events on the stream")
    relayed = await _stream(stream_redis, key)
    assert [entry["id"] for entry in relayed] == [str(first.id), str(second.id), str(third.id)]
    # What clients get is the envelope as emitted.
    assert EventEnvelope.model_validate(relayed[0]) == first

    async def stamped() -> bool:  # the relay commits relayed_at just after the append
        return await _unrelayed(committed, [first, second, third]) == 0

    await eventually(stamped, "the rows to be stamped relayed")


async def test_an_open_transaction_is_not_relayed_and_a_rolled_back_one_never(
    committed: Sessions,
    events_settings: Settings,
    stream_redis: Redis,
    relays: Callable[[Settings], RunningRelay],
) -> None:
    relays(events_settings)
    key = events_settings.events_stream
    pending, rolled_back, marker = (envelope("feedback.created", WARD_A) for _ in range(3))
    async with committed() as open_session, committed() as doomed:
        await emit(open_session, pending)
        await emit(doomed, rolled_back)
        await doomed.flush()
        await _emit_committed(committed, marker)

        async def marker_relayed() -> bool:
            return str(marker.id) in await _stream_ids(stream_redis, key)

        await eventually(marker_relayed, "the committed event to be relayed")
        # The relay passed the still-open transaction's row by (SKIP LOCKED / not yet visible).
        assert await _stream_ids(stream_redis, key) == [str(marker.id)]
        await doomed.rollback()
        await open_session.commit()

    async def pending_relayed() -> bool:
        return str(pending.id) in await _stream_ids(stream_redis, key)

    await eventually(pending_relayed, "the event of the later commit to be relayed")
    assert await _stream_ids(stream_redis, key) == [str(marker.id), str(pending.id)]


async def test_a_commit_wakes_the_relay_without_waiting_for_the_poll(
    committed: Sessions,
    events_settings: Settings,
    stream_redis: Redis,
    relays: Callable[[Settings], RunningRelay],
) -> None:
    # A poll interval far longer than the deadline: only the NOTIFY can bring the event in time.
    settings = events_settings.model_copy(update={"relay_poll_seconds": 60.0})
    running = relays(settings)

    async def active() -> bool:
        return running.relay.active

    await eventually(active, "the relay to become active")
    event = envelope("feedback.created", WARD_A)
    await _emit_committed(committed, event)

    async def relayed() -> bool:
        return await _stream_ids(stream_redis, settings.events_stream) == [str(event.id)]

    await eventually(relayed, "the event to be relayed on NOTIFY", seconds=5)


async def test_events_written_while_the_relay_is_down_are_relayed_when_it_returns(
    committed: Sessions,
    events_settings: Settings,
    stream_redis: Redis,
    relays: Callable[[Settings], RunningRelay],
) -> None:
    key = events_settings.events_stream
    before = envelope("feedback.created", WARD_A)
    first = relays(events_settings)
    await _emit_committed(committed, before)

    async def one() -> bool:
        return len(await _stream_ids(stream_redis, key)) == 1

    await eventually(one, "the first event to be relayed")
    await first.stop()
    during = [envelope("feedback.created", WARD_A, data={"n": n}) for n in range(5)]
    await _emit_committed(committed, *during)
    assert await _unrelayed(committed, during) == 5
    relays(events_settings)

    async def all_six() -> bool:
        return len(await _stream_ids(stream_redis, key)) >= 6

    await eventually(all_six, "the events written meanwhile to be relayed")
    assert await _stream_ids(stream_redis, key) == [str(before.id), *(str(event.id) for event in during)]


class RedisServer:
    """A redis-server of this test's own (the shared one is never stopped), with an fsync'ed append-only
    file so that a kill loses nothing it acknowledged."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None, "redis-server is installed by scripts/bootstrap.sh"
        self.process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.directory),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.kill()


@pytest.fixture
async def own_redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url, socket_timeout=2, socket_connect_timeout=2)

    async def up() -> bool:
        try:
            return bool(await client.ping())
        except OSError:
            return False
        except Exception:  # redis-py wraps refused connections in its own errors
            return False

    await eventually(up, "the test's redis-server to answer")
    yield client
    await client.aclose()


async def test_a_redis_outage_loses_nothing(
    committed: Sessions,
    events_settings: Settings,
    redis_server: RedisServer,
    own_redis: Redis,
    relays: Callable[[Settings], RunningRelay],
) -> None:
    settings = events_settings.model_copy(
        update={
            "redis_url": type(events_settings.redis_url)(redis_server.url),
            "relay_poll_seconds": 0.2,
        }
    )
    key = settings.events_stream
    relays(settings)
    before = envelope("feedback.created", WARD_A)
    await _emit_committed(committed, before)

    async def first_relayed() -> bool:
        return await _stream_ids(own_redis, key) == [str(before.id)]

    await eventually(first_relayed, "the first event to be relayed")
    redis_server.kill()
    during = [envelope("alerts.raised", WARD_B, data={"n": n}) for n in range(3)]
    for event in during:
        await _emit_committed(committed, event)
    # Redis is gone: the events wait in the outbox, unrelayed.
    assert await _unrelayed(committed, during) == 3
    redis_server.start()

    async def all_relayed() -> bool:
        try:
            return len(await _stream_ids(own_redis, key)) >= 4
        except Exception:  # the restarted server may still be loading
            return False

    await eventually(all_relayed, "the events to be relayed once Redis is back")
    assert await _stream_ids(own_redis, key) == [str(event.id) for event in (before, *during)]


async def test_of_two_relays_one_is_active_and_the_other_takes_over(
    committed: Sessions,
    events_settings: Settings,
    stream_redis: Redis,
    relays: Callable[[Settings], RunningRelay],
) -> None:
    settings = events_settings.model_copy(update={"relay_poll_seconds": 0.1, "relay_batch_size": 7})
    key = settings.events_stream
    one, two = relays(settings), relays(settings)

    async def exactly_one_active() -> bool:
        return [one.relay.active, two.relay.active].count(True) == 1

    await eventually(exactly_one_active, "one relay to become active")
    events = [envelope("feedback.created", WARD_A, data={"n": n}) for n in range(60)]
    for start in range(0, 60, 6):
        await _emit_committed(committed, *events[start : start + 6])

    async def all_relayed() -> bool:
        return len(await _stream_ids(stream_redis, key)) >= 60

    await eventually(all_relayed, "all events to be relayed")
    assert [one.relay.active, two.relay.active].count(True) == 1
    active, standby = (one, two) if one.relay.active else (two, one)
    assert standby.relay.relayed == 0
    await active.stop()

    async def standby_active() -> bool:
        return standby.relay.active

    await eventually(standby_active, "the standby relay to take over")
    later = envelope("feedback.created", WARD_A, data={"n": 60})
    await _emit_committed(committed, later)

    async def later_relayed() -> bool:
        return len(await _stream_ids(stream_redis, key)) >= 61

    await eventually(later_relayed, "the event after the takeover to be relayed")
    assert await _stream_ids(stream_redis, key) == [str(event.id) for event in (*events, later)]


async def test_a_row_that_is_not_a_valid_event_does_not_block_the_others(
    committed: Sessions,
    events_settings: Settings,
    stream_redis: Redis,
    relays: Callable[[Settings], RunningRelay],
) -> None:
    async with committed() as session:
        await session.execute(
            text(
                "INSERT INTO event_outbox (event_id, type, topic, occurred_at, data) "
                "VALUES (:id, 'Not A Type', 'feedback', now(), '{}')"
            ),
            {"id": uuid.uuid4()},
        )
        await session.commit()
    valid = envelope("feedback.created", WARD_A)
    await _emit_committed(committed, valid)
    relays(events_settings)

    async def valid_relayed() -> bool:
        return await _stream_ids(stream_redis, events_settings.events_stream) == [str(valid.id)]

    await eventually(valid_relayed, "the valid event to be relayed past the invalid row")

    async def none_left() -> bool:
        async with committed() as session:
            left = await session.scalar(text("SELECT count(*) FROM event_outbox WHERE relayed_at IS NULL"))
        return bool(left == 0)

    # The invalid row is stamped too, so that it never blocks the rows behind it.
    await eventually(none_left, "every row to be stamped relayed")


async def test_retention_deletes_only_old_relayed_rows(committed: Sessions, engine: AsyncEngine) -> None:
    old = datetime.now(UTC) - timedelta(days=8)
    rows = {"old_relayed": (old, old), "old_unrelayed": (old, None), "new_relayed": (datetime.now(UTC),) * 2}
    ids = {}
    async with committed() as session:
        for name, (created_at, relayed_at) in rows.items():
            ids[name] = uuid.uuid4()
            await session.execute(
                text(
                    "INSERT INTO event_outbox (event_id, type, topic, occurred_at, data, "
                    "created_at, relayed_at) "
                    "VALUES (:id, 'feedback.created', 'feedback', now(), '{}', :created_at, :relayed_at)"
                ),
                {"id": ids[name], "created_at": created_at, "relayed_at": relayed_at},
            )
        await session.commit()
    async with engine.connect() as connection:
        cutoff = datetime.now(UTC) - timedelta(days=7)
        deleted = await repository.delete_relayed_before(connection, cutoff, 100)
        await connection.commit()
        left = set(
            await connection.scalars(
                text("SELECT event_id FROM event_outbox WHERE event_id = ANY(:ids)"),
                {"ids": list(ids.values())},
            )
        )
    assert deleted == 1
    assert left == {ids["old_unrelayed"], ids["new_relayed"]}
