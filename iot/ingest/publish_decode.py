"""A cheaper decoding of incoming MQTT 5 PUBLISH packets without properties, for the consumer's paho client.

paho 2.2 builds a new `Properties` object and clears its 27 attributes for every MQTT 5 PUBLISH it receives,
even when the packet's property block is empty, as every device message of the contract is. That is about
15 µs of the consumer's ~70 µs per message, the largest single cost of receiving. This decoder returns the
same `PublishPacket` for such packets with one shared, empty `Properties` (nothing in the consumer reads or
changes a message's properties) and leaves every other packet to paho's own decoder.

It replaces paho's module-level decoder, which is private: `install()` does so only for the paho version it
was checked against (tests/iot/ingest/test_publish_decode.py compares both decoders on the same packets), and
otherwise leaves paho alone, which costs speed, never correctness.
"""

from __future__ import annotations

from typing import Final

import paho.mqtt
from paho.mqtt import _packet
from paho.mqtt.enums import MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

CHECKED_PAHO_VERSION: Final = "2.2.0"
_PAHO_DECODE: Final = _packet.decode_publish
# Shared by every message decoded here: read-only by agreement.
_NO_PROPERTIES: Final = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]


def decode_publish(
    header: int, packet: bytes | bytearray, protocol: MQTTProtocolVersion
) -> _packet.PublishPacket:
    """paho's `decode_publish`, without building properties when an MQTT 5 packet has none."""
    qos = (header & 0x06) >> 1
    if protocol == MQTTProtocolVersion.MQTTv5 and qos < 3 and len(packet) >= 2:
        end = 2 + ((packet[0] << 8) | packet[1])
        start = end + 2 if qos else end
        # A property length of 0 is the single byte 0x00 (a variable byte integer).
        if start < len(packet) and packet[start] == 0:
            return _packet.PublishPacket(
                dup=(header & 0x08) != 0,
                qos=qos,
                retain=(header & 0x01) != 0,
                topic=bytes(packet[2:end]),
                mid=((packet[end] << 8) | packet[end + 1]) if qos else 0,
                properties=_NO_PROPERTIES,
                payload=bytes(packet[start + 1 :]),
            )
    return _PAHO_DECODE(header, packet, protocol)


def install() -> bool:
    """Use this decoder in paho when paho is the version it was checked against; whether it is in use."""
    if paho.mqtt.__version__ != CHECKED_PAHO_VERSION:
        return False
    _packet.decode_publish = decode_publish
    return True
