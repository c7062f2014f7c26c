"""The consumer's PUBLISH decoder gives exactly what paho's gives, on packets with and without properties."""

from __future__ import annotations

import struct

import paho.mqtt
import pytest
from paho.mqtt import _packet
from paho.mqtt.enums import MQTTProtocolVersion
from paho.mqtt.exception import MQTTException
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from iot.ingest import publish_decode

V5 = MQTTProtocolVersion.MQTTv5
V311 = MQTTProtocolVersion.MQTTv311
TOPIC = b"city/v1/devices/0b8e6a8e-6f0e-4c2a-9d55-0c1f0d3b9a11/telemetry"
PAYLOAD = b'{"ts":"2026-11-22T08:30:00.250Z","seq":7,"metrics":{"pm25":35.2}}'


def publish_packet(
    *, qos: int, mid: int = 513, properties: bytes = b"\x00", topic: bytes = TOPIC, payload: bytes = PAYLOAD
) -> bytes:
    """The variable header and payload of a PUBLISH (what follows the fixed header)."""
    packet = struct.pack("!H", len(topic)) + topic
    if qos:
        packet += struct.pack("!H", mid)
    return packet + properties + payload


def with_properties() -> bytes:
    properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    properties.ContentType = "application/json"
    properties.UserProperty = ("firmware", "1.2")
    return bytes(properties.pack())  # type: ignore[no-untyped-call]


def header(qos: int, *, dup: bool = False, retain: bool = False) -> int:
    return 0x30 | (0x08 if dup else 0) | (qos << 1) | (0x01 if retain else 0)


CASES = [
    pytest.param(header(1), publish_packet(qos=1), V5, id="qos1-no-properties"),
    pytest.param(header(0), publish_packet(qos=0), V5, id="qos0-no-properties"),
    pytest.param(header(1, dup=True, retain=True), publish_packet(qos=1, mid=65535), V5, id="dup-retain"),
    pytest.param(header(1), publish_packet(qos=1, payload=b""), V5, id="empty-payload"),
    pytest.param(header(1), bytearray(publish_packet(qos=1)), V5, id="bytearray"),
    pytest.param(header(1), publish_packet(qos=1, properties=with_properties()), V5, id="with-properties"),
    pytest.param(header(1), publish_packet(qos=1, properties=b""), V311, id="mqtt-3.1.1"),
]


@pytest.mark.parametrize(("first", "packet", "protocol"), CASES)
def test_the_same_packet_as_paho(first: int, packet: bytes, protocol: MQTTProtocolVersion) -> None:
    ours = publish_decode.decode_publish(first, packet, protocol)
    paho_own = publish_decode._PAHO_DECODE(first, packet, protocol)
    assert ours._replace(properties=None) == paho_own._replace(properties=None)
    assert type(ours.topic) is bytes
    assert type(ours.payload) is bytes
    if paho_own.properties is None:
        assert ours.properties is None
    else:
        assert ours.properties is not None
        assert ours.properties.json() == paho_own.properties.json()  # type: ignore[no-untyped-call]


def test_a_truncated_packet_is_left_to_paho() -> None:
    truncated = publish_packet(qos=1)[:3]
    with pytest.raises((MQTTException, struct.error)) as ours:
        publish_decode.decode_publish(header(1), truncated, V5)
    with pytest.raises((MQTTException, struct.error)) as paho_own:
        publish_decode._PAHO_DECODE(header(1), truncated, V5)
    assert type(ours.value) is type(paho_own.value)


def test_installed_only_for_the_checked_paho(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_packet, "decode_publish", publish_decode._PAHO_DECODE)
    assert publish_decode.install() is (paho.mqtt.__version__ == publish_decode.CHECKED_PAHO_VERSION)
    assert _packet.decode_publish is publish_decode.decode_publish
    monkeypatch.setattr(_packet, "decode_publish", publish_decode._PAHO_DECODE)
    monkeypatch.setattr(paho.mqtt, "__version__", "9.9.9")
    assert publish_decode.install() is False
    assert _packet.decode_publish is publish_decode._PAHO_DECODE
