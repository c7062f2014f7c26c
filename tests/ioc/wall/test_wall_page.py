"""The wall in Chromium against the real processes: signing in (and a refused password), the language
switch remembered across a reload, and a dropped live connection that shows "reconnecting" and, on its
return, applies every event emitted while it was down (resume_after), once each."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from playwright.async_api import Page, expect
from redis.asyncio import Redis

from core.db import create_engine, create_sessionmaker
from core.events.outbox import emit, new_event
from core.settings import Settings
from mobile_contract.events import EventEnvelope, LatLon
from tests.ioc.rules.live.support import LiveRules
from tests.ioc.wall.support import OFFICER_PASSWORD, Stack, add_officer, sign_in, wall_counter
from tests.iot.ingest.support import LiveDb, wait_until

WARD = "13666"


async def test_an_officer_signs_in_and_out_and_a_wrong_password_is_refused(
    page: Page, stack: Stack, live_db: LiveDb, live_rules: LiveRules
) -> None:
    username = await add_officer(live_db.connection)
    await page.goto(f"{stack.base}/ioc")
    await page.fill("#username", username)
    await page.fill("#password", OFFICER_PASSWORD + "x")
    await page.click("#signin")
    await expect(page.get_by_test_id("signin-error")).to_contain_text("Đăng nhập không thành công")
    assert await page.locator("#map").count() == 0

    await sign_in(page, stack, username)
    await expect(page.locator("#live-state")).to_have_text("Trực tuyến")
    assert await wall_counter(page, "signedInAt") is not None
    await expect(page.get_by_test_id("alarms")).to_contain_text("Không có cảnh báo")

    await page.click("#signout")
    await expect(page.get_by_test_id("signin")).to_be_visible()
    await page.reload()
    await expect(page.get_by_test_id("signin")).to_be_visible()


async def test_the_language_switch_is_remembered(
    page: Page, stack: Stack, live_db: LiveDb, live_rules: LiveRules
) -> None:
    username = await add_officer(live_db.connection)
    await page.goto(f"{stack.base}/ioc")
    await expect(page.locator("#signin")).to_have_text("Đăng nhập")
    assert await page.evaluate("document.documentElement.lang") == "vi"

    await page.click("#lang")
    await expect(page.locator("#signin")).to_have_text("Sign in")
    await page.reload()
    await expect(page.locator("#signin")).to_have_text("Sign in")

    await sign_in(page, stack, username)
    await expect(page.locator("#live-state")).to_have_text("Live")
    await expect(page.locator(".top h1")).to_have_text("Intelligent operations centre")
    await page.click("#lang")
    await expect(page.locator(".top h1")).to_have_text("Trung tâm điều hành thông minh")
    assert await page.evaluate("document.documentElement.lang") == "vi"


def _raised(title: str) -> EventEnvelope:
    alarm_id = str(uuid.uuid4())
    now = datetime.now(UTC).isoformat()
    alarm = {
        "alarm_id": alarm_id,
        "rule_id": None,
        "rule_version": None,
        "type": "flood",
        "severity": "major",
        "status": "active_unacknowledged",
        "title_vi": title,
        "title_en": title,
        "count": 1,
        "device_id": None,
        "raised_at": now,
        "last_seen_at": now,
        "cleared_at": None,
        "assignee_id": None,
    }
    return new_event(
        "alerts.raised",
        unit_code=WARD,
        subject_id=alarm_id,
        location=LatLon(lat=20.43, lon=106.175),
        data={"alarm": alarm, "change": {}},
    )


async def _emit(settings: Settings, events: list[EventEnvelope]) -> None:
    """Committed in the live database, as a service's change would be; the worker's relay sends them on."""
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            for event in events:
                await emit(session, event)
            await session.commit()
    finally:
        await engine.dispose()


async def _in_stream(settings: Settings, stack: Stack, events: list[EventEnvelope]) -> bool:
    redis = Redis.from_url(settings.redis_dsn)
    try:
        entries = await redis.xrange(stack.env["SMARTCITY_EVENTS_STREAM"]) or []
    finally:
        await redis.aclose()
    text = " ".join(str(value) for _, fields in entries for value in (fields or {}).values())
    return all(str(event.id) in text for event in events)


async def test_a_dropped_connection_resumes_without_losing_the_events_sent_meanwhile(
    page: Page, stack: Stack, live_db: LiveDb, live_rules: LiveRules, live_settings: Settings
) -> None:
    await sign_in(page, stack, await add_officer(live_db.connection))
    first = _raised("Trước khi mất kết nối")
    await _emit(live_settings, [first])
    await expect(page.locator(f'li.alarm[data-id="{first.subject_id}"]')).to_be_visible()
    applied_before = await wall_counter(page, "eventsApplied")

    await page.evaluate("window.__wall.dropSocket(true)")
    await expect(page.locator("#live-state")).to_have_attribute("data-state", "reconnecting")
    await expect(page.locator("#live-state")).to_have_text("Mất kết nối — đang kết nối lại…")
    meanwhile = [_raised(f"Trong lúc mất kết nối {n}") for n in range(3)]
    await _emit(live_settings, meanwhile)
    await wait_until(
        "the events in the stream", lambda: _in_stream(live_settings, stack, meanwhile), within=15
    )
    assert await page.locator("li.alarm").count() == 1

    await page.evaluate("window.__wall.resumeSocket()")
    await expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
    for event in meanwhile:
        await expect(page.locator(f'li.alarm[data-id="{event.subject_id}"]')).to_be_visible()
    assert await page.locator("li.alarm").count() == 4
    assert await wall_counter(page, "resumes") == 1
    assert await wall_counter(page, "lastResumeReplayed") >= 3
    # (>=: the worker may send a device update of an earlier test's ward meanwhile; nothing came twice)
    assert await wall_counter(page, "eventsApplied") >= applied_before + 3
    assert await wall_counter(page, "duplicatesDropped") == 0
