"""A minimal MQTT reachability probe: TCP connect, CONNECT with the service credentials, read CONNACK."""

from __future__ import annotations

import asyncio
import contextlib
import struct
import uuid


def _encode_string(value: str) -> bytes:
    raw = value.encode()
    return struct.pack("!H", len(raw)) + raw


def _remaining_length(length: int) -> bytes:
    out = bytearray()
    while True:
        byte, length = length % 128, length // 128
        out.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(out)


def connect_packet(client_id: str, username: str, password: str, keepalive: int = 10) -> bytes:
    # MQTT 3.1.1 CONNECT: protocol name, level 4, flags (username, password, clean session), keepalive.
    variable = _encode_string("MQTT") + bytes([4, 0b11000010]) + struct.pack("!H", keepalive)
    payload = _encode_string(client_id) + _encode_string(username) + _encode_string(password)
    body = variable + payload
    return bytes([0x10]) + _remaining_length(len(body)) + body


class BrokerUnavailableError(Exception):
    pass


async def probe_broker(host: str, port: int, username: str, password: str, deadline_seconds: float) -> None:
    """Return when the broker accepts our credentials; raise BrokerUnavailableError otherwise."""
    try:
        async with asyncio.timeout(deadline_seconds):
            reader, writer = await asyncio.open_connection(host, port)
            try:
                writer.write(connect_packet(f"smartcity-probe-{uuid.uuid4().hex[:12]}", username, password))
                await writer.drain()
                connack = await reader.readexactly(4)
                # DISCONNECT, so the broker does not log an unexpected close.
                writer.write(b"\xe0\x00")
                await writer.drain()
            finally:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
    except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
        raise BrokerUnavailableError(f"cannot reach broker at {host}:{port}: {exc!r}") from exc
    if connack[0] != 0x20 or connack[3] != 0:
        raise BrokerUnavailableError(f"broker refused the connection (CONNACK return code {connack[3]})")
