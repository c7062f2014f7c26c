"""A minimal HTTP/1.1 keep-alive client for load generation.

The load generator shares the machine's two cores with the server it measures; httpx spends a few
milliseconds of CPU per request, which the server would then not have. This client writes each request as
bytes and reads the answer by Content-Length, so that nearly all the CPU goes to the server.
"""

from __future__ import annotations

import asyncio
import json


class RawConnection:
    """One keep-alive connection to 127.0.0.1; requests on it are sequential."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self._reader = reader
        self._writer = writer
        self._host = host

    @classmethod
    async def open(cls, host: str, port: int) -> RawConnection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, f"{host}:{port}")

    async def post_json(self, path: str, payload: object, headers: dict[str, str]) -> tuple[int, bytes]:
        """POST `payload` as JSON; returns the status code and the body."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        lines = [
            f"POST {path} HTTP/1.1",
            f"Host: {self._host}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        length = 0
        for line in header_lines:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        return status, await self._reader.readexactly(length)

    async def close(self) -> None:
        self._writer.close()
        await self._writer.wait_closed()
