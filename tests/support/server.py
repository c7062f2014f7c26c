"""The API as a real process for the tests that need one: `smartcity serve` on a free port, ready when /ready
says so, stopped by SIGTERM; and raw HTTP requests whose body streams from a generator."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from core.settings import PROJECT_ROOT, Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class Server:
    process: subprocess.Popen[bytes]
    port: int

    def resident_bytes(self) -> int:
        """The process's resident memory (VmRSS) as the kernel reports it."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS line")


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def running_server(
    settings: Settings, log: Path, extra_env: Mapping[str, str] | None = None
) -> Iterator[Server]:
    port = free_port()
    env = {
        **os.environ,
        **(extra_env or {}),
        "SMARTCITY_DATABASE_URL": settings.database_dsn,
        "SMARTCITY_REDIS_URL": settings.redis_dsn,
        "SMARTCITY_API_PORT": str(port),
        "SMARTCITY_LOG_LEVEL": "WARNING",
    }
    smartcity = Path(sys.executable).parent / "smartcity"
    # The log goes to a file: a pipe nobody reads would stall the server once full.
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(smartcity), "serve"], cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 30
        while not _ready(port):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.1)  # polling interval, bounded by the deadline above
        yield Server(process, port)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True, slots=True)
class RawResponse:
    status: int
    head: bytes
    body: bytes
    body_bytes_sent: int


def _read_response(sock: socket.socket, deadline: float) -> bytes:
    data = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([sock], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
        head, separator, body = data.partition(b"\r\n\r\n")
        if separator:
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                None,
            )
            if length is not None and len(body) >= length:
                break
    return data


def stream_request(
    port: int, path: str, headers: dict[str, str], body: Iterable[bytes], *, length: int | None = None
) -> RawResponse:
    """POST `body` chunk by chunk (chunked unless `length` is announced), stopping as soon as the server
    answers or closes, and return its answer with how many body bytes went out."""
    deadline = time.monotonic() + 120
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        framing = {"Content-Length": str(length)} if length is not None else {"Transfer-Encoding": "chunked"}
        lines = [
            f"POST {path} HTTP/1.1",
            "Host: 127.0.0.1",
            *(f"{k}: {v}" for k, v in (headers | framing).items()),
        ]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        sock.setblocking(False)
        sent = 0
        for chunk in body:
            framed = chunk if length is not None else b"%x\r\n%s\r\n" % (len(chunk), chunk)
            view = memoryview(framed)
            while view and time.monotonic() < deadline:
                readable, writable, _ = select.select([sock], [sock], [], 1)
                if readable:
                    break
                if writable:
                    try:
                        view = view[sock.send(view) :]
                    except BlockingIOError:
                        continue
                    except (BrokenPipeError, ConnectionResetError):
                        break
            if view:  # the server answered or stopped reading before this chunk went out
                break
            sent += len(chunk)
        else:
            sock.setblocking(True)
            if length is None:
                sock.sendall(b"0\r\n\r\n")
        sock.setblocking(True)
        data = _read_response(sock, deadline)
    finally:
        sock.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else 0
    return RawResponse(status=status, head=head, body=rest, body_bytes_sent=sent)
