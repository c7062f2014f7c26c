"""The wall's side panels in Chromium against the real processes: an alarm commented on, assigned to a
field worker and cleared from its row, each change read back from the API; a device's panel with its latest
values and the history chart the telemetry API answers; and the KPI charts of the officer's unit, whose
alarm line rises once an alarm is raised in the period."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from playwright.async_api import Page, expect

from iot.simulator.publisher import Connection
from tests.feedback.support import IN_WARD, WARD
from tests.ioc.rules.live.support import LiveRules
from tests.ioc.wall.support import OFFICER_PASSWORD, Stack, add_officer, sign_in
from tests.iot.ingest.support import LiveDb, publish, telemetry, wait_until

LEVELS_CM = [10.0, 14.0, 18.0, 22.0, 26.0, 30.0, 34.5]
# A reading every 2 minutes: every 5-minute bucket of the history holds one, so the line has no gap.
READING_EVERY = timedelta(minutes=2)
# The y coordinates of the points of every line of the n-th KPI chart (null: no chart drawn).
LINE_YS = """n => {
  const svg = document.querySelectorAll('[data-testid="kpis"] figure.kpi')[n]?.querySelector('svg.chart');
  if (!svg) return null;
  return [...svg.querySelectorAll('path')].map(path =>
    [...path.getAttribute('d').matchAll(/[ML][-0-9.]+,([-0-9.]+)/g)].map(m => Number(m[1])));
}"""
# The wall's KPI charts, in order: alarms, reports, devices.
ALARMS_CHART = 0


async def _add_alarm(live_db: LiveDb, title: str, device_id: str | None = None) -> str:
    """An active, unacknowledged major alarm of the ward, committed."""
    alarm_id = uuid.uuid4()
    lat, lon = IN_WARD
    await live_db.connection.execute(
        "INSERT INTO alarms (id, source_kind, source_key, device_id, unit_code, location, type, severity, "
        "status, title_vi, title_en, details, count, raised_at, last_seen_at, updated_at) "
        "VALUES ($1, 'device', $2, $3, $4, ST_SetSRID(ST_MakePoint($5, $6), 4326), 'flood', 'major', "
        "'active_unacknowledged', $7, $7, '{}'::jsonb, 1, now(), now(), now())",
        alarm_id,
        alarm_id.hex,
        None if device_id is None else uuid.UUID(device_id),
        WARD,
        lon,
        lat,
        title,
    )
    return str(alarm_id)


async def _add_field_worker(live_db: LiveDb) -> str:
    """A field worker of the ward, on duty with a fresh position next to the alarms."""
    user_id = uuid.uuid4()
    lat, lon = IN_WARD
    await live_db.connection.execute(
        "INSERT INTO users (id, role, display_name, username, language, is_active, unit_code) "
        "VALUES ($1, 'field_staff', 'Nhân viên hiện trường', $2, 'vi', true, $3)",
        user_id,
        f"field-{user_id.hex[:8]}",
        WARD,
    )
    await live_db.connection.execute(
        "INSERT INTO field_staff_status (user_id, on_duty, position, accuracy_m, position_at, updated_at) "
        "VALUES ($1, true, ST_SetSRID(ST_MakePoint($2, $3), 4326), 10, now(), now())",
        user_id,
        lon + 0.001,
        lat,
    )
    return str(user_id)


async def _officer(api: httpx.AsyncClient, username: str) -> dict[str, str]:
    pair = await api.post("/api/v1/auth/login", json={"username": username, "password": OFFICER_PASSWORD})
    assert pair.status_code == 200, pair.text
    return {"authorization": f"Bearer {pair.json()['access_token']}"}


async def test_an_alarm_is_commented_on_assigned_and_cleared_from_its_row(
    page: Page, stack: Stack, live_db: LiveDb, live_rules: LiveRules
) -> None:
    alarm_id = await _add_alarm(live_db, "Ngập sâu đường Trần Hưng Đạo")
    worker_id = await _add_field_worker(live_db)
    username = await add_officer(live_db.connection)
    await sign_in(page, stack, username)
    row = page.locator(f'li.alarm[data-id="{alarm_id}"]')
    await expect(row).to_have_attribute("data-status", "active_unacknowledged")

    async with httpx.AsyncClient(base_url=stack.base, timeout=15) as api:
        officer = await _officer(api, username)

        async def alarm() -> dict[str, Any]:
            read = await api.get(f"/api/v1/alerts/{alarm_id}", headers=officer)
            assert read.status_code == 200, read.text
            answer: dict[str, Any] = read.json()
            return answer

        async def commented() -> bool:
            return any(e["kind"] == "commented" and e["comment"] == text for e in (await alarm())["timeline"])

        text = "Đã báo đội thoát nước"
        await row.locator('button[data-action="comment"]').click()
        await row.get_by_test_id("comment-text").fill(text)
        await row.locator('form.inline button[type="submit"]').click()
        await wait_until("the comment in the timeline", commented, within=15)
        await expect(row.locator("form.inline")).to_have_count(0)
        assert (await alarm())["assignee_id"] is None

        await row.locator('button[data-action="assign"]').click()
        assignee = row.get_by_test_id("assignee")
        await expect(assignee.locator(f'option[value="{worker_id}"]')).to_have_count(1)
        await assignee.select_option(worker_id)
        await row.locator('form.inline button[type="submit"]').click()

        async def assigned() -> bool:
            return bool((await alarm())["assignee_id"] == worker_id)

        await wait_until("the assignee", assigned, within=15)
        await expect(row.locator("form.inline")).to_have_count(0)
        assert any(e["kind"] == "assigned" for e in (await alarm())["timeline"])
        assert (await alarm())["status"] == "active_unacknowledged"

        await row.locator('button[data-action="clear"]').click()
        await expect(row).to_have_count(0)
        cleared = await alarm()
        assert cleared["status"] == "cleared_unacknowledged", cleared["status"]
        assert cleared["cleared_at"] is not None
        assert cleared["cleared_by"] is not None
        assert cleared["clear_reason"] == "officer"
        assert cleared["assignee_id"] == worker_id
        assert [e["kind"] for e in cleared["timeline"]][-1] == "cleared"


async def test_a_device_panel_shows_its_latest_values_and_history_chart(
    page: Page, stack: Stack, live_db: LiveDb, live_rules: LiveRules, gateway: Connection
) -> None:
    device_id = await live_db.add_device("water_level")
    start = datetime.now(UTC) - READING_EVERY * (len(LEVELS_CM) - 1)
    await publish(
        gateway,
        [
            telemetry(
                device_id,
                seq,
                ts=(start + READING_EVERY * seq).isoformat().replace("+00:00", "Z"),
                level_cm=level,
            )
            for seq, level in enumerate(LEVELS_CM)
        ],
    )

    async def stored() -> bool:
        state = await live_db.scalar(
            "SELECT count(*) FROM device_state WHERE device_id = $1", uuid.UUID(device_id)
        )
        return bool(state) and await live_db.readings([device_id]) == len(LEVELS_CM)

    await wait_until("the readings and the device's state", stored, within=30)
    alarm_id = await _add_alarm(live_db, "Mực nước cao", device_id=device_id)
    username = await add_officer(live_db.connection)
    async with httpx.AsyncClient(base_url=stack.base, timeout=15) as api:
        history = await api.get(
            f"/api/v1/devices/{device_id}/telemetry",
            params={"metric": "level_cm", "bucket": "5m"},
            headers=await _officer(api, username),
        )
    assert history.status_code == 200, history.text
    averages = [b["avg"] for b in history.json()["buckets"] if b["avg"] is not None]
    assert len(averages) >= 3, history.json()

    await sign_in(page, stack, username)
    details = page.get_by_test_id("details")
    await expect(details).to_be_hidden()
    await page.locator(f'li.alarm[data-id="{alarm_id}"]').click()
    await expect(details).to_be_visible()
    await expect(details.locator("h2")).to_contain_text("test device")
    values = details.locator("table.values tr")
    await expect(values).to_have_count(1)
    await expect(values.locator("th")).to_have_text("level_cm")
    await expect(values.locator("td")).to_have_text("34.5")
    path = details.locator(".history svg path")
    await expect(path).to_have_count(1, timeout=15_000)
    d = await path.get_attribute("d") or ""
    assert d.count("M") == 1, d
    assert d.count("L") == len(averages) - 1, (d, averages)
    await expect(details.locator(".history small")).to_have_text("level_cm")

    await details.locator("button.close").click()
    await expect(details).to_be_hidden()


async def test_the_unit_kpi_charts_draw_the_period_s_alarms(
    page: Page, stack: Stack, live_db: LiveDb, live_rules: LiveRules
) -> None:
    await sign_in(page, stack, await add_officer(live_db.connection))
    figures = page.locator('[data-testid="kpis"] figure.kpi')
    await expect(figures).to_have_count(3, timeout=15_000)
    before: list[list[float]] | None = await page.evaluate(LINE_YS, ALARMS_CHART)
    assert not before or all(len(set(ys)) <= 1 for ys in before), f"a rising line with no alarm: {before}"

    await _add_alarm(live_db, "Ngập cục bộ")
    await page.click("#lang")  # the panels redraw, the KPIs read again
    await expect(page.locator(".top h1")).to_have_text("Intelligent operations centre")

    async def risen() -> bool:
        lines: list[list[float]] | None = await page.evaluate(LINE_YS, ALARMS_CHART)
        return bool(lines) and any(ys and min(ys) < max(ys) for ys in lines or [])

    await wait_until("the alarm in the KPI chart", risen, within=15)
    for n in range(3):
        await expect(figures.nth(n).locator("svg.chart path").first).to_be_attached()
