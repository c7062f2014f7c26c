"""Live device updates: one devices.updated event per ward per tick listing its changed devices, never one
per reading; repeats skipped; a rolled-back tick sent again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from iot.telemetry import live_updates
from iot.telemetry.live_updates import LiveUpdates
from tests.iot.support import IN_OTHER_WARD, OTHER_WARD, WARD
from tests.iot.telemetry.support import add_device, events_of, set_state

pytestmark = pytest.mark.usefixtures("units")


async def test_one_event_per_ward_with_each_changed_device_once(session: AsyncSession) -> None:
    here = [await add_device(session) for _ in range(3)]
    there = await add_device(session, IN_OTHER_WARD, "water_level")
    quiet = await add_device(session)
    now = utcnow()
    # Many readings per device since the last tick end up as one state row each: one entry per device.
    for seq, device in enumerate([*here, there], start=10):
        await set_state(
            session, device.id, seq=seq, ts=now, metrics={"pm25": float(seq)}, updated_at=now, online=True
        )
    await set_state(
        session, quiet.id, updated_at=now - timedelta(minutes=5), last_seen_at=now - timedelta(minutes=5)
    )
    live = LiveUpdates()
    assert await live.tick(session, now) == 4
    live.confirm()
    events = await events_of(session, "devices.updated")
    assert [(e["unit_code"], e["location"], e["subject_id"]) for e in events] == [
        (WARD, None, None),
        (OTHER_WARD, None, None),
    ]
    listed = events[0]["data"]["devices"]
    assert sorted(d["id"] for d in listed) == sorted(str(d.id) for d in here)
    entry = next(d for d in listed if d["id"] == str(here[0].id))
    assert entry == {
        "id": str(here[0].id),
        "type": "air_quality",
        "ts": now.isoformat(),
        "seq": 10,
        "metrics": {"pm25": 10.0},
        "online": True,
        "location": {"lat": pytest.approx(20.43), "lon": pytest.approx(106.175)},
    }
    assert events[1]["data"]["devices"][0]["type"] == "water_level"


async def test_repeats_are_skipped_and_new_readings_sent(session: AsyncSession) -> None:
    device = await add_device(session)
    other = await add_device(session)
    now = utcnow()
    await set_state(session, device.id, seq=1, updated_at=now)
    await set_state(session, other.id, seq=1, updated_at=now)
    live = LiveUpdates()
    await live.tick(session, now)
    live.confirm()
    # The next tick reaches back over the same rows (the overlap) but sends only what changed.
    await set_state(session, device.id, seq=2, metrics={"pm25": 3.0}, updated_at=now + timedelta(seconds=1))
    assert await live.tick(session, now + timedelta(seconds=1)) == 1
    live.confirm()
    events = await events_of(session, "devices.updated")
    assert len(events) == 2
    assert [(d["id"], d["seq"]) for d in events[1]["data"]["devices"]] == [(str(device.id), 2)]
    assert await live.tick(session, now + timedelta(seconds=2)) == 0
    assert len(await events_of(session, "devices.updated")) == 2


async def test_an_online_change_alone_is_sent(session: AsyncSession) -> None:
    device = await add_device(session)
    now = utcnow()
    await set_state(session, device.id, updated_at=now - timedelta(minutes=1), online=False)
    live = LiveUpdates()
    await live.tick(session, now)
    live.confirm()
    assert await events_of(session, "devices.updated") == []
    await set_state(
        session,
        device.id,
        updated_at=now - timedelta(minutes=1),
        online=True,
        online_changed_at=now + timedelta(seconds=1),
    )
    assert await live.tick(session, now + timedelta(seconds=1)) == 1


async def test_a_tick_not_committed_is_sent_again(session: AsyncSession) -> None:
    device = await add_device(session)
    now = utcnow()
    await set_state(session, device.id, seq=5, updated_at=now)
    live = LiveUpdates()
    assert await live.tick(session, now) == 1
    live.discard()
    # Even well after the overlap, the rows of the failed tick are read again.
    assert await live.tick(session, now + live_updates.OVERLAP * 3) == 1


async def test_a_crowded_ward_is_split_into_bounded_events(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_updates, "MAX_DEVICES_PER_EVENT", 2)
    now = utcnow()
    for _ in range(5):
        device = await add_device(session)
        await set_state(session, device.id, updated_at=now)
    await LiveUpdates().tick(session, now)
    assert [len(e["data"]["devices"]) for e in await events_of(session, "devices.updated")] == [2, 2, 1]
