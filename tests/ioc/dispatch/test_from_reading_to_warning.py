"""The operations centre end to end: water rising on a street reaches the rules in the consumer's batch, the
alarm is offered to the nearest field worker's phone (through firebase-admin and the FCM fake), he accepts,
reports with a photo and resolves; an officer then warns the ward's citizens, and the CAP document of the
warning is valid against the OASIS CAP 1.2 schema."""

from __future__ import annotations

from typing import Any

import httpx
from lxml import etree
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.identity.principal import Role
from core.push.fcm import FcmSender
from core.settings import Settings
from ioc.alarms import events
from tests.core.push.conftest import Clock, make_dispatcher
from tests.core.push.fcm_fake import FcmFake
from tests.feedback.submission.helpers import jpeg_with_gps
from tests.ioc.dispatch.helpers import WARD, World
from tests.ioc.rules.evaluation_support import a_hook, reading, run
from tests.ioc.warnings.conftest import _schema_path, warning_body
from tests.support.alarms import FLOOD_RULE, make_device, make_rule

# The flood rule, at a severity the unit dispatches.
FLOOD_MAJOR: dict[str, Any] = {**FLOOD_RULE, "severities": [{"severity": "major"}]}


async def test_a_rise_of_water_is_offered_accepted_resolved_and_warned_of(
    world: World,
    client: httpx.AsyncClient,
    fcm_settings: Settings,
    fcm_sender: FcmSender,
    fcm: FcmFake,
    clock: Clock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    session = world.session
    admin = await world.person(Role.ADMIN)
    await make_rule(session, admin.id, FLOOD_MAJOR)
    sensor = await make_device(session)
    worker = await world.staff(150, phone=True)
    [phone_token] = (
        await session.execute(text("SELECT token FROM device_tokens WHERE user_id = :u"), {"u": worker.id})
    ).scalars()

    # The consumer stored a reading of 45 cm: the rules see it in the batch's transaction.
    await run(session, a_hook(), [reading(sensor.id, 0, level_cm=45)])
    alarm_id = await session.scalar(text("SELECT id FROM alarms WHERE device_id = :d"), {"d": sensor.id})
    assert alarm_id is not None

    # The alerts task's reaction offers it; the push dispatcher hands the offer to FCM.
    assert await world.react() == 1
    await session.commit()
    await make_dispatcher(fcm_settings, sessionmaker, fcm_sender, clock).dispatch_once()
    [offer] = fcm.sends_to(phone_token)
    assert offer.body["message"]["data"]["kind"] == "dispatch_offer"
    assert offer.body["message"]["data"]["alarm_id"] == str(alarm_id)

    accepted = await client.post(f"/api/v1/alerts/{alarm_id}/dispatch/accept", headers=worker.headers)
    assert accepted.status_code == 200, accepted.text
    photo = await client.post(
        "/api/v1/dispatch/photos",
        files={"file": ("street.jpg", jpeg_with_gps(), "image/jpeg")},
        headers=worker.headers,
    )
    assert photo.status_code == 201, photo.text
    resolved = await client.post(
        f"/api/v1/alerts/{alarm_id}/resolve",
        json={"note": "Đã thông cống, nước rút", "photo_ids": [photo.json()["id"]]},
        headers=worker.headers,
    )
    assert resolved.status_code == 200, resolved.text
    row = await world.alarm_row(alarm_id)
    assert (row.status, row.clear_reason, row.assignee_id) == (
        "cleared_unacknowledged",
        "resolved",
        worker.id,
    )
    assert [e.type for e in await world.events(alarm_id)] == [
        events.RAISED,
        events.DISPATCH_OFFERED,
        events.DISPATCH_ACCEPTED,
        events.CLEARED,
    ]

    # The officer warns the ward's citizens; the warning's CAP document is valid CAP 1.2.
    officer = await world.person(Role.OFFICER, WARD)
    body = warning_body()
    body["alarm_id"] = str(alarm_id)
    published = await client.post("/api/v1/warnings", json=body, headers=officer.headers)
    assert published.status_code == 201, published.text
    document = await client.get(published.json()["cap_url"])
    assert document.status_code == 200
    assert document.headers["content-type"].startswith("application/cap+xml")
    schema = etree.XMLSchema(etree.parse(str(_schema_path())))
    assert schema.validate(etree.fromstring(document.content)), schema.error_log
