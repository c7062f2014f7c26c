"""The consumer's MQTT side: one paho client in a shared subscription, receiving in its own thread.

- MQTT 5, QoS 1, manual acknowledgement: a message is acknowledged only after its batch is committed, so a
  consumer that dies loses nothing; the broker redelivers what it had not acknowledged.
- A fixed client id with a persistent session (clean start off, expiry one hour): a restarted consumer gets
  back its share, which the broker kept queued for it (Mosquitto keeps assigning messages to an offline
  member of a shared subscription). Clean start is off on every connect, the first one included, or a restart
  would throw that share away.
- `ReceiveMaximum` bounds how many unacknowledged messages the broker sends; twice the batch size keeps
  messages flowing while a batch commits.
- Packet ids are per connection: acknowledgements of messages received on an earlier connection are dropped
  (the broker resends those messages; the database key makes the second copy a no-op).
- paho's own network thread (`loop_start`), which reconnects by itself. Acknowledgements come from the
  writer's thread; with paho's thread registered they are queued to it, never written (and their errors
  handled, callbacks run) in the caller's thread, which would re-enter this class's lock.
- Mosquitto 2.0.11 keeps a persistent session's plain subscriptions across a broker restart but not its shared
  ones: after a restart, messages published before the first member of the group has resubscribed are
  dropped by the broker ("no matching subscribers"). Hence the quick reconnect below; the window cannot be
  closed from here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from core.settings import Settings
from iot.ingest import publish_decode

logger = logging.getLogger("smartcity.ingest")

SESSION_EXPIRY_SECONDS: Final = 3600
RECONNECT_MIN_SECONDS: Final = 0.25
RECONNECT_MAX_SECONDS: Final = 2.0
TOPICS: Final = ("city/v1/devices/+/telemetry", "city/v1/devices/+/event", "city/v1/devices/+/status")


@dataclass(slots=True)
class Received:
    generation: int
    mid: int
    topic: str
    payload: bytes
    # time.time() on arrival: the moment stored with dead letters and compared with the device's clock.
    wall: float


class Source:
    """Receives into `buffer` (a list, appended by paho's thread and swapped out by the writer)."""

    def __init__(
        self, settings: Settings, *, client_id: str, group: str, on_full: Callable[[], None], batch_size: int
    ) -> None:
        self._batch_size = batch_size
        self._on_full = on_full
        self._group = group
        self._lock = threading.Lock()
        self.buffer: list[Received] = []
        # Bumped on every (dis)connection; an ack is sent only for messages of the current one.
        self.generation = 0
        self.connected = threading.Event()
        # Set once the broker has confirmed the subscriptions (messages published before are not ours).
        self.subscribed = threading.Event()
        self._settings = settings
        # paho's decoding of properties the devices never send is the largest cost of receiving.
        publish_decode.install()
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=True
        )
        client.username_pw_set(settings.mqtt_username, settings.mqtt_password.get_secret_value())
        # Reconnect fast: Mosquitto 2.0 does not restore shared subscriptions when it restarts (plain ones it
        # does), so until a member of the group is back and subscribed again, devices' messages find no
        # subscriber and are dropped. Retrying a down broker every two seconds costs it nothing.
        client.reconnect_delay_set(RECONNECT_MIN_SECONDS, RECONNECT_MAX_SECONDS)  # type: ignore[arg-type]
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        # An error in a callback is logged, and receiving goes on.
        client.suppress_exceptions = True
        client.enable_logger(logger)
        self._client = client

    def start(self) -> None:
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = SESSION_EXPIRY_SECONDS
        properties.ReceiveMaximum = min(65535, 2 * self._batch_size)
        self._client.connect_async(
            self._settings.mqtt_host,
            self._settings.mqtt_port,
            keepalive=30,
            clean_start=False,
            properties=properties,
        )
        self._client.loop_start()

    def stop(self) -> None:
        """Disconnect without ending the session: what is unacknowledged waits for this client id."""
        self._client.disconnect()
        self._client.loop_stop()

    def take(self, limit: int) -> list[Received]:
        with self._lock:
            if len(self.buffer) <= limit:
                taken, self.buffer = self.buffer, []
            else:
                taken, self.buffer = self.buffer[:limit], self.buffer[limit:]
        return taken

    def pending(self) -> int:
        return len(self.buffer)

    def ack(self, messages: list[Received]) -> int:
        """Acknowledge committed messages of the current connection; the number acknowledged."""
        with self._lock:
            generation = self.generation
            # Packet id 0 is a QoS 0 delivery: nothing to acknowledge.
            mids = [m.mid for m in messages if m.generation == generation and m.mid]
            ack = self._client.ack
            for mid in mids:
                ack(mid, 1)
        return len(mids)

    # paho callbacks, in the MQTT thread.

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            logger.warning("mqtt connection refused", extra={"reason": str(reason)})
            return
        with self._lock:
            self.generation += 1
        # Always (re)subscribe: harmless when the session was resumed, needed when it was not.
        client.subscribe([(f"$share/{self._group}/{topic}", 1) for topic in TOPICS])
        self.connected.set()
        logger.info("mqtt connected", extra={"session_present": bool(flags.session_present)})

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, properties: Any
    ) -> None:
        if any(reason.is_failure for reason in reasons):
            logger.error("mqtt subscription refused", extra={"reasons": [str(r) for r in reasons]})
            return
        self.subscribed.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        with self._lock:
            self.generation += 1
        self.connected.clear()
        self.subscribed.clear()
        logger.warning("mqtt disconnected", extra={"reason": str(reason)})

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        topic = message._topic.decode("utf-8", "replace")
        item = Received(
            self.generation, message.mid if message.qos else 0, topic, bytes(message.payload), time.time()
        )
        with self._lock:
            buffer = self.buffer
            buffer.append(item)
            full = len(buffer) == self._batch_size
        if full:
            self._on_full()
