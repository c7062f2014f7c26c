"""The incident events as asyncapi.yaml documents them are the ones the server sends."""

from __future__ import annotations

from typing import Any

import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from ioc.incidents import events
from ioc.incidents.schemas import IncidentSummary
from ioc.rules.models import AlertRuleVersion
from mobile_contract.events import EventEnvelope
from tests.ioc.incidents.support import events_of, incident_of_two
from tests.mobile_contract.test_asyncapi import ASYNCAPI_PATH

DOCUMENT: dict[str, Any] = yaml.safe_load(ASYNCAPI_PATH.read_text(encoding="utf-8"))
SCHEMAS: dict[str, Any] = DOCUMENT["components"]["schemas"]


def test_the_summary_schema_is_the_model() -> None:
    published = SCHEMAS["IncidentSummary"]
    expected = IncidentSummary.model_json_schema(mode="serialization")
    assert set(published["properties"]) == set(expected["properties"])
    assert set(published["required"]) == set(expected["required"])


def test_every_event_type_is_named_and_the_example_is_what_the_server_sends() -> None:
    described = SCHEMAS["EventEnvelope"]["description"]
    for event_type in (events.CREATED, events.UPDATED, events.CLOSED):
        assert event_type in described
    [example] = [
        item["payload"]["event"]
        for item in DOCUMENT["components"]["messages"]["Event"]["examples"]
        if item["payload"]["event"]["type"].startswith("alerts.incident_")
    ]
    envelope = EventEnvelope.model_validate(example)
    incident = IncidentSummary.model_validate(envelope.data["incident"])
    assert envelope.subject_id == str(incident.id)
    assert set(envelope.data["change"]) <= set(SCHEMAS["IncidentEvent"]["properties"]["change"]["properties"])


async def test_a_real_event_has_the_documented_keys(
    session: AsyncSession, settings: Settings, flood: AlertRuleVersion
) -> None:
    await incident_of_two(session, settings, flood)
    [data] = await events_of(session, events.CREATED)
    assert set(data) == set(SCHEMAS["IncidentEvent"]["required"])
    assert set(data["incident"]) == set(SCHEMAS["IncidentSummary"]["properties"])
    assert set(data["change"]) <= set(SCHEMAS["IncidentEvent"]["properties"]["change"]["properties"])
