"""From the field to the wall: a water-level sensor with its own broker credentials publishes a rise over
MQTT; the consumer stores it and the threshold rule raises a critical alarm in the same transaction; the
relay and the live channel carry alerts.raised to the officer's wall, where it flashes into the list within
2 seconds of the broker accepting the reading. Acknowledged from the page, the alarm's status changes in
the API."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import httpx
from playwright.async_api import Page, expect

from core.identity.principal import Role
from core.settings import Settings
from iot.registry.broker_admin import BrokerAdmin
from iot.simulator.publisher import Connection, publish_all
from tests.feedback.support import IN_WARD
from tests.ioc.rules.live.support import LiveRules
from tests.ioc.wall.support import OFFICER_PASSWORD, Stack, add_officer, sign_in
from tests.iot.ingest.support import LiveDb, telemetry, wait_until
from tests.support.events import token

# The device's ward and its province: where the incident made of its alarm belongs.
WARDS = ["13666", "37"]
# The budget from the broker's acknowledgement to the alarm on the wall.
ON_THE_WALL_WITHIN_SECONDS = 2.0
THRESHOLD_RULE: dict[str, Any] = {
    "kind": "telemetry",
    "name": "Nước dâng / Water rising",
    "alarm_type": "wall_flood",
    "scope": {"device_types": ["water_level"]},
    "condition": {"metric": "level_cm", "op": ">", "value": 30},
    "severities": [{"severity": "critical"}],
    "clear": {"condition": {"metric": "level_cm", "op": "<", "value": 20}},
}


async def _publish(device: Connection, seq: int, level_cm: float) -> None:
    stats = await asyncio.to_thread(
        publish_all, device, [telemetry(device.client_id, seq, level_cm=level_cm)], stop_at=time.time() + 30
    )
    assert (stats.acked, stats.failed) == (1, 0), stats


async def test_a_water_level_rise_is_on_the_wall_within_2_s_and_acknowledged_from_it(
    page: Page, stack: Stack, live_db: LiveDb, live_rules: LiveRules, live_settings: Settings
) -> None:
    rule_id = await live_rules.add(THRESHOLD_RULE)
    admin = {"authorization": f"Bearer {token(live_settings, Role.ADMIN, user_id=live_rules.admin)}"}
    lat, lon = IN_WARD
    async with httpx.AsyncClient(base_url=stack.base, timeout=15) as api:
        made = await api.post(
            "/api/v1/devices",
            json={"type": "water_level", "name": "Cảm biến mực nước", "location": {"lat": lat, "lon": lon}},
            headers=admin,
        )
        assert made.status_code == 201, made.text
        mqtt = made.json()["mqtt"]
        device = Connection(
            live_settings.mqtt_host,
            live_settings.mqtt_port,
            mqtt["username"],
            mqtt["password"],
            mqtt["client_id"],
        )
        try:
            # A normal reading first: once it is stored, the consumer is subscribed and the device known.
            await _publish(device, 1, 12.0)
            await wait_until("the first reading", lambda: _stored(live_db, mqtt["client_id"]), within=30)
            username = await add_officer(live_db.connection)
            await sign_in(page, stack, username)
            assert await page.locator("li.alarm").count() == 0

            await _publish(device, 2, 46.5)
            accepted = time.monotonic()
            row = page.locator('li.alarm[data-severity="critical"]')
            await row.wait_for(timeout=10_000)
            took = time.monotonic() - accepted
            assert took < ON_THE_WALL_WITHIN_SECONDS, f"on the wall after {took:.2f} s"
            await expect(row).to_have_class("alarm new")
            [alarm] = await live_rules.alarms(rule_id)
            assert await row.get_attribute("data-id") == str(alarm["id"])
            await expect(row.locator(".status")).to_have_text("Mới, chưa xác nhận")
            if shot := os.environ.get("SMARTCITY_WALL_SCREENSHOT"):
                await page.screenshot(path=shot)

            await row.locator('button[data-action="ack"]').click()
            await expect(row).to_have_attribute("data-status", "active_acknowledged")
            pair = await api.post(
                "/api/v1/auth/login", json={"username": username, "password": OFFICER_PASSWORD}
            )
            officer = {"authorization": f"Bearer {pair.json()['access_token']}"}
            read = await api.get(f"/api/v1/alerts/{alarm['id']}", headers=officer)
            assert read.status_code == 200, read.text
            assert read.json()["status"] == "active_acknowledged"
            assert read.json()["acknowledged_by"] is not None
            await expect(row.locator('button[data-action="ack"]')).to_have_count(0)

            # Made into an incident, it reaches the incident list live; opened, it shows its alarm.
            made_incident = await api.post(
                "/api/v1/incidents",
                json={"members": [{"kind": "alarm", "id": str(alarm["id"])}]},
                headers=officer,
            )
            assert made_incident.status_code == 201, made_incident.text
            incident = made_incident.json()
            entry = page.locator(f'[data-testid="incidents"] li[data-id="{incident["id"]}"]')
            await expect(entry).to_contain_text(incident["code"])
            await entry.click()
            await expect(page.get_by_test_id("details")).to_contain_text(incident["code"])
            await expect(page.get_by_test_id("details")).to_contain_text("Nước dâng")
        finally:
            await live_db.connection.execute("DELETE FROM incidents WHERE unit_code = ANY($1::text[])", WARDS)
            admin_client = BrokerAdmin(live_settings)
            try:
                await admin_client.delete_client(mqtt["username"])
            finally:
                await admin_client.close()


async def _stored(live_db: LiveDb, device_id: str) -> bool:
    return await live_db.readings([device_id]) >= 1
