"""A client that stops reading is closed with 4409 once its queue overflows, and never slows the others."""

from __future__ import annotations

import socket
import time
from collections.abc import Awaitable, Callable

from prometheus_client import REGISTRY
from redis.asyncio import Redis

from core.events import stream
from core.identity.principal import Role
from core.settings import Settings
from mobile_contract.events import CloseCode
from tests.support.events import WARD_A, Client, envelope, token

Serve = Callable[[Settings], Awaitable[str]]

CHUNK = 50
# Large events fill the kernel's socket buffers between the server and the stalled client sooner.
PADDING = "x" * 8000
MAX_CHUNKS = 200
# What "promptly" means for the client that keeps reading, on a small shared machine.
PROMPT_SECONDS = 3.0


def _slow_consumer_closes() -> float:
    return REGISTRY.get_sample_value("smartcity_ws_closes_total", {"reason": "slow_consumer"}) or 0.0


async def test_a_stalled_client_is_closed_and_the_others_keep_receiving(
    serve: Serve, events_settings: Settings, stream_redis: Redis
) -> None:
    settings = events_settings.model_copy(update={"ws_send_queue_size": 10})
    host, port = (await serve(settings)).split(":")
    url = f"ws://{host}:{port}/ws"
    fast = await Client.signed_in(url, token(settings, Role.ADMIN))
    await fast.subscribe(["alerts"])
    # The stalled client: a small receive buffer, no compression (the padding would shrink to nothing), and a
    # client library that stops reading after one frame.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    slow = await Client.signed_in(url, token(settings, Role.ADMIN), sock=sock, max_queue=1, compression=None)
    await slow.subscribe(["alerts"])

    closes_before = _slow_consumer_closes()
    published = 0
    for _ in range(MAX_CHUNKS):
        events = [envelope("alerts.raised", WARD_A, data={"padding": PADDING}) for _ in range(CHUNK)]
        started = time.monotonic()
        await stream.append(stream_redis, settings.events_stream, events, 100_000)
        published += CHUNK
        received = await fast.events(CHUNK, seconds=30)
        took = time.monotonic() - started
        assert [message["event"]["id"] for message in received] == [str(event.id) for event in events]
        assert took < PROMPT_SECONDS, f"the fast client waited {took:.2f}s for {CHUNK} events"
        if _slow_consumer_closes() > closes_before:
            break
    assert _slow_consumer_closes() == closes_before + 1, f"no overflow after {published} events"
    # Reading again, the stalled client drains what was in flight, then finds the close frame.
    assert await slow.closed(seconds=30) == (CloseCode.SLOW_CONSUMER, "slow_consumer")
    # The fast client is still served.
    await stream.append(stream_redis, settings.events_stream, [envelope("alerts.raised", WARD_A)], 100_000)
    assert len(await fast.events(1)) == 1
