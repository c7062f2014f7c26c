"""The alarm events and pushes documented in asyncapi.yaml are the ones the code makes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import yaml

from ioc.alarms.events import AlarmFacts, alarm_event
from ioc.alarms.notify import PushReason
from tests.mobile_contract.test_asyncapi import ASYNCAPI_PATH


def _schemas() -> dict[str, Any]:
    document = yaml.safe_load(ASYNCAPI_PATH.read_text(encoding="utf-8"))
    schemas: dict[str, Any] = document["components"]["schemas"]
    return schemas


def _facts() -> AlarmFacts:
    now = datetime.now(UTC)
    return AlarmFacts(
        id=uuid.uuid4(),
        rule_id=uuid.uuid4(),
        rule_version=1,
        type="flood",
        severity="major",
        status="active_unacknowledged",
        unit_code="13666",
        title_vi="Ngập",
        title_en="Flooding",
        count=1,
        device_id=None,
        lat=20.43,
        lon=106.17,
        raised_at=now,
        last_seen_at=now,
        cleared_at=None,
        assignee_id=None,
    )


def test_the_alarm_event_schema_is_what_events_carry() -> None:
    documented = _schemas()["AlarmEvent"]
    event = alarm_event("alerts.raised", _facts())
    assert set(documented["required"]) == set(event.data)
    alarm = documented["properties"]["alarm"]
    assert set(alarm["required"]) == set(alarm["properties"]) == set(event.data["alarm"])


def test_the_alarm_push_schema_names_the_data_the_reaction_sends() -> None:
    data = _schemas()["AlarmPushPayload"]["properties"]["data"]
    assert set(data["required"]) == {"kind", "alarm_id", "severity", "type", "reason"}
    assert data["properties"]["reason"]["enum"] == [reason.value for reason in PushReason]
