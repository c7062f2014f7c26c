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
        return await self._send("POST", path, body, {"Content-Type": "application/json", **headers})

    async def get(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        """GET `path`; returns the status code and the body (empty for a 204 or a 304)."""
        return await self._send("GET", path, b"", headers)

    async def _send(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self._host}",
            f"Content-Length: {len(body)}",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        length, chunked = 0, False
        for line in header_lines:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
            elif name.strip().lower() == "transfer-encoding":
                chunked = "chunked" in value.lower()
        if chunked:  # a streamed answer
            return status, await self._chunks()
        return status, await self._reader.readexactly(length)

    async def _chunks(self) -> bytes:
        """A chunked body (no trailers): each chunk's size line, its bytes and CRLF, until the empty one."""
        parts: list[bytes] = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await self._reader.readexactly(size + 2)
            if size == 0:
                return b"".join(parts)
            parts.append(chunk[:-2])

    async def close(self) -> None:
        self._writer.close()
        await self._writer.wait_closed()
