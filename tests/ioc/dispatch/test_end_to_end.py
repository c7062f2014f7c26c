"""End to end with the real firebase-admin against the FCM fake: an alarm is raised, offered to the three
nearest staff on duty (not to one off duty, nor to one too far), one accepts, the others are told, the one
who went reports progress with a photo and resolves, and the alarm is cleared."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.push.fcm import FcmSender
from core.settings import Settings
from ioc.alarms import events
from ioc.types import Severity
from tests.core.push.conftest import Clock, make_dispatcher
from tests.core.push.fcm_fake import FcmFake
from tests.feedback.submission.helpers import jpeg_with_gps
from tests.ioc.dispatch.helpers import World


def _data(fcm: FcmFake, token: str) -> list[dict[str, Any]]:
    return [dict(sent.body["message"].get("data", {})) for sent in fcm.sends_to(token)]


async def test_raised_offered_accepted_progressed_resolved(
    world: World,
    client: httpx.AsyncClient,
    fcm_settings: Settings,
    fcm_sender: FcmSender,
    fcm: FcmFake,
    clock: Clock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    near = [await world.staff(metres, phone=True) for metres in (120, 250, 400)]
    off_duty = await world.staff(on_duty=False, phone=True)
    too_far = await world.staff(3600, phone=True)
    tokens = {}
    for worker in (*near, off_duty, too_far):
        [token] = [d.token for d in await _devices(world, worker.id)]
        tokens[worker.id] = token
    dispatcher = make_dispatcher(fcm_settings, sessionmaker, fcm_sender, clock)

    alarm = await world.alarm(Severity.CRITICAL)
    await world.react()
    await world.session.commit()
    report = await dispatcher.dispatch_once()

    assert report.sent == 3
    for worker in near:
        [offer] = _data(fcm, tokens[worker.id])
        assert (offer["kind"], offer["alarm_id"], offer["severity"]) == (
            "dispatch_offer",
            str(alarm.id),
            "critical",
        )
        [sent] = fcm.sends_to(tokens[worker.id])
        assert sent.body["message"]["android"] == {"priority": "high"}
    assert fcm.sends_to(tokens[off_duty.id]) == []
    assert fcm.sends_to(tokens[too_far.id]) == []

    taker = near[1]
    accepted = await client.post(f"/api/v1/alerts/{alarm.id}/dispatch/accept", headers=taker.headers)
    assert accepted.status_code == 200, accepted.text
    await dispatcher.dispatch_once()
    for other in (near[0], near[2]):
        assert [d["kind"] for d in _data(fcm, tokens[other.id])] == ["dispatch_offer", "dispatch_taken"]
    assert [d["kind"] for d in _data(fcm, tokens[taker.id])] == ["dispatch_offer"]

    photo = await client.post(
        "/api/v1/dispatch/photos",
        files={"file": ("site.jpg", jpeg_with_gps(), "image/jpeg")},
        headers=taker.headers,
    )
    assert photo.status_code == 201, photo.text
    progress = await client.post(
        f"/api/v1/alerts/{alarm.id}/progress",
        json={"note": "Đang bơm nước", "photo_ids": [photo.json()["id"]]},
        headers=taker.headers,
    )
    assert progress.status_code == 201, progress.text
    resolved = await client.post(
        f"/api/v1/alerts/{alarm.id}/resolve", json={"note": "Đã xong"}, headers=taker.headers
    )
    assert resolved.status_code == 200, resolved.text

    row = await world.alarm_row(alarm.id)
    assert (row.status, row.clear_reason, row.assignee_id) == ("cleared_unacknowledged", "resolved", taker.id)
    kinds = [e.type for e in await world.events(alarm.id)]
    assert kinds == [
        events.RAISED,
        events.DISPATCH_OFFERED,
        events.DISPATCH_ACCEPTED,
        events.PROGRESS,
        events.CLEARED,
    ]


async def _devices(world: World, user_id: Any) -> list[Any]:
    return await world.rows("SELECT token FROM device_tokens WHERE user_id = :u", u=user_id)
