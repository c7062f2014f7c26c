"""The AsyncAPI document of WebSocket and MQTT messages is well formed and versioned with the contract."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

import mobile_contract
from mobile_contract import CONTRACT_VERSION, events
from tests.mobile_contract.refs import unresolved_refs

ASYNCAPI_PATH = Path(mobile_contract.__file__).resolve().parent / "asyncapi.yaml"
DEVICE_TOPICS = {f"city/v1/devices/{{device_id}}/{kind}" for kind in ("telemetry", "event", "status")}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded = yaml.safe_load(ASYNCAPI_PATH.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_is_asyncapi_3_at_the_contract_version(document: dict[str, Any]) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["version"] == CONTRACT_VERSION


def test_every_ref_resolves(document: dict[str, Any]) -> None:
    assert unresolved_refs(document) == []


def test_servers_are_the_websocket_and_the_mqtt_broker(document: dict[str, Any]) -> None:
    servers = document["servers"]
    assert servers["ws"]["protocol"] == "ws"
    assert servers["ws"]["pathname"] == "/ws"
    assert servers["mqtt"]["protocol"] == "mqtt"
    assert servers["mqtt"]["protocolVersion"] == "5"
    assert all(server.get("host") for server in servers.values())


def test_device_topics_carry_timestamp_and_sequence(document: dict[str, Any]) -> None:
    channels = {channel["address"]: channel for channel in document["channels"].values()}
    assert set(channels) >= DEVICE_TOPICS
    schemas = document["components"]["schemas"]
    for topic in DEVICE_TOPICS:
        channel = channels[topic]
        assert set(channel["parameters"]) == {"device_id"}, topic
        for message in channel["messages"].values():
            payload = _follow(document, _follow(document, message)["payload"])
            required = {
                name
                for part in payload.get("allOf", [payload])
                for name in _follow(document, part).get("required", [])
            }
            assert {"ts", "seq"} <= required, topic
    assert schemas["DeviceMessage"]["properties"]["seq"]["type"] == "integer"


def test_event_envelope_is_defined(document: dict[str, Any]) -> None:
    envelope = document["components"]["schemas"]["EventEnvelope"]
    assert set(envelope["required"]) == {"id", "type", "occurred_at", "unit_code", "subject_id", "data"}
    assert set(envelope["properties"]) == {
        "id",
        "type",
        "occurred_at",
        "unit_code",
        "location",
        "subject_id",
        "data",
    }
    location = [_follow(document, variant) for variant in envelope["properties"]["location"]["oneOf"]]
    assert {"lat", "lon"} in [set(variant.get("required", ())) for variant in location]


def test_operations_use_their_own_channel_messages(document: dict[str, Any]) -> None:
    # AsyncAPI 3: an operation's messages must be messages of the channel it refers to.
    for name, operation in document["operations"].items():
        assert operation["action"] in ("send", "receive"), name
        channel = operation["channel"]["$ref"]
        for message in operation["messages"]:
            assert message["$ref"].startswith(f"{channel}/messages/"), name


# The live channel's schemas and the models the server uses; "validation" for what clients send,
# "serialization" for what the server sends.
LIVE_MODELS: dict[str, tuple[type[BaseModel], JsonSchemaMode]] = {
    "EventEnvelope": (events.EventEnvelope, "serialization"),
    "LatLon": (events.LatLon, "serialization"),
    "Filters": (events.Filters, "validation"),
    "AuthMessage": (events.AuthMessage, "validation"),
    "SubscribeMessage": (events.SubscribeMessage, "validation"),
    "UnsubscribeMessage": (events.UnsubscribeMessage, "validation"),
    "PingMessage": (events.PingMessage, "validation"),
    "ReadyMessage": (events.ReadyMessage, "serialization"),
    "SubscribedMessage": (events.SubscribedMessage, "serialization"),
    "EventMessage": (events.EventMessage, "serialization"),
    "ResumedMessage": (events.ResumedMessage, "serialization"),
    "ErrorMessage": (events.ErrorMessage, "serialization"),
    "HeartbeatMessage": (events.HeartbeatMessage, "serialization"),
    "PongMessage": (events.PongMessage, "serialization"),
}


@pytest.mark.parametrize("name", sorted(LIVE_MODELS))
def test_live_channel_schemas_match_the_models(document: dict[str, Any], name: str) -> None:
    model, mode = LIVE_MODELS[name]
    expected = model.model_json_schema(mode=mode)
    published = document["components"]["schemas"][name]
    assert set(published["properties"]) == set(expected["properties"])
    assert set(published.get("required", ())) == set(expected.get("required", ()))
    if "type" in expected["properties"] and "const" in expected["properties"]["type"]:
        assert published["properties"]["type"]["const"] == expected["properties"]["type"]["const"]


def test_every_message_of_the_live_channel_is_documented(document: dict[str, Any]) -> None:
    channel = document["channels"]["events"]
    payloads = {
        _follow(document, message)["payload"]["$ref"].rsplit("/", 1)[-1]
        for message in channel["messages"].values()
    }
    assert payloads == {name for name in LIVE_MODELS if name.endswith("Message")}
    operations = document["operations"]
    sent = {ref["$ref"].rsplit("/", 1)[-1] for ref in operations["pushEvents"]["messages"]}
    received = {ref["$ref"].rsplit("/", 1)[-1] for ref in operations["receiveClientMessages"]["messages"]}
    assert received == {"auth", "subscribe", "unsubscribe", "ping"}
    assert sent | received == set(channel["messages"])


def test_topics_and_close_codes_are_the_servers(document: dict[str, Any]) -> None:
    assert document["components"]["schemas"]["Topic"]["enum"] == [topic.value for topic in events.Topic]
    table = document["channels"]["events"]["description"]
    for code in events.CloseCode:
        assert f"| {code.value} |" in table, code


def test_live_channel_examples_are_valid_messages(document: dict[str, Any]) -> None:
    checked = 0
    for message in document["channels"]["events"]["messages"].values():
        for example in _follow(document, message).get("examples", ()):
            payload = example["payload"]
            parsed = (
                events.SERVER_MESSAGE.validate_python(payload)
                if payload["type"] not in ("auth", "subscribe", "unsubscribe", "ping")
                else events.CLIENT_MESSAGE.validate_python(payload)
            )
            assert parsed.type == payload["type"]
            checked += 1
    assert checked >= 4


def _follow(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node
