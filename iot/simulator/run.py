"""Running a simulation: `devices` mode (one MQTT connection per device, with its own credentials and last
will, so online/offline is real) or `gateway` mode (thousands of devices over a few connections)."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from core.settings import Settings
from iot.simulator import provision
from iot.simulator.publisher import (
    Connection,
    Message,
    PublisherJob,
    PublishStats,
    run_publishers,
    split,
    total,
)
from iot.simulator.scenario import DeviceRun, SimDevice, first_seq, seeded
from iot.types import DeviceState, DeviceType

logger = logging.getLogger(__name__)

# A device of `devices` mode reports this often unless --rate says otherwise: well inside every type's
# offline threshold, and lively on the IOC map.
DEFAULT_INTERVAL_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Plan:
    mode: str = "devices"
    per_type: int = 3
    rate: float | None = None  # messages per second over the whole fleet
    duration: float | None = None  # seconds; None runs until stopped
    incidents: bool = True
    publishers: int = 2
    seed: int = 5


def _now() -> datetime:
    return datetime.now(UTC)


def _stop_event() -> threading.Event:
    """Set on SIGTERM or SIGINT, so `make stop` ends a simulation cleanly (devices say they are offline)."""
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    return stop


# --- devices mode ------------------------------------------------------------------------------------


class _DeviceLink:
    """One device's own connection: its credentials, its last will, paho's network thread."""

    def __init__(self, settings: Settings, run: DeviceRun, password: str) -> None:
        self.run = run
        ident = run.device.id
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=ident, protocol=mqtt.MQTTv5)
        self.client.username_pw_set(ident, password)
        self.client.reconnect_delay_set(1, 30)
        # The broker publishes this when the connection drops without a DISCONNECT.
        will_topic, will = run.status(_now(), DeviceState.OFFLINE)
        self.client.will_set(will_topic, will, qos=1, retain=True)
        self.connected = threading.Event()
        self.refused: str | None = None
        self.client.on_connect = self._on_connect
        self.host, self.port = settings.mqtt_device_host, settings.mqtt_device_port

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            self.refused = str(reason)
            client.disconnect()
        else:
            topic, body = self.run.status(_now(), DeviceState.ONLINE)
            client.publish(topic, body, qos=1, retain=True)
        self.connected.set()

    def open(self) -> None:
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()

    def publish(self, messages: list[Message]) -> None:
        for topic, body in messages:
            self.client.publish(topic, body, qos=1)

    def drop(self) -> None:
        """Lose the network without a goodbye: the broker then publishes the device's last will."""
        self.client.loop_stop()
        sock = self.client.socket()
        if isinstance(sock, socket.socket):
            sock.close()

    def close(self) -> None:
        topic, body = self.run.status(_now(), DeviceState.OFFLINE)
        self.client.publish(topic, body, qos=1, retain=True).wait_for_publish(5)
        self.client.disconnect()
        self.client.loop_stop()


def _connect_all(settings: Settings, runs: list[DeviceRun], fleet: list[SimDevice]) -> list[_DeviceLink]:
    passwords = asyncio.run(provision.device_passwords(settings, fleet))
    links = [_DeviceLink(settings, run, passwords[run.device.id]) for run in runs]
    for link in links:
        link.open()
    for link in links:
        link.connected.wait(10)
    refused = [link for link in links if link.refused is not None]
    if refused:
        # The broker forgot or replaced these credentials (e.g. its state was reset): issue new ones.
        logger.warning("%d device(s) refused by the broker; issuing new credentials", len(refused))
        for link in refused:
            link.client.loop_stop()
        renew = frozenset(link.run.device.id for link in refused)
        passwords = asyncio.run(provision.device_passwords(settings, fleet, renew=renew))
        fresh = [_DeviceLink(settings, link.run, passwords[link.run.device.id]) for link in refused]
        for link in fresh:
            link.open()
            link.connected.wait(10)
            if link.refused is not None:
                raise RuntimeError(f"device {link.run.device.id} refused by the broker: {link.refused}")
        links = [link for link in links if link.refused is None] + fresh
    return links


def run_devices(settings: Settings, plan: Plan) -> int:
    """Run until the duration ends or SIGTERM; returns the number of messages published."""
    fleet = asyncio.run(provision.ensure_fleet(settings, "devices", plan.per_type, plan.seed))
    started = _now()
    rng = seeded(plan.seed)
    interval = DEFAULT_INTERVAL_SECONDS if plan.rate is None else max(0.05, len(fleet) / plan.rate)
    runs = [
        DeviceRun(
            device,
            started,
            first_seq(started),
            seeded(rng.random()),
            incidents_on=plan.incidents,
            interval_s=interval,
        )
        for device in fleet
    ]
    links = _connect_all(settings, runs, fleet)
    stop = _stop_event()
    deadline = None if plan.duration is None else time.monotonic() + plan.duration
    # Stagger the devices over one interval so they do not all report in the same instant.
    due = {id(link): time.monotonic() + interval * i / len(links) for i, link in enumerate(links)}
    sent = 0
    try:
        while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
            clock = time.monotonic()
            for link in links:
                if link.run.offline or due[id(link)] > clock:
                    continue
                due[id(link)] += interval
                messages = link.run.step(_now())
                if link.run.offline:
                    logger.info("device %s goes offline (scripted)", link.run.device.id)
                    link.drop()
                    continue
                link.publish(messages)
                sent += len(messages)
            stop.wait(max(0.0, min(due.values(), default=clock + 1) - time.monotonic()))
    finally:
        for link in links:
            if not link.run.offline:
                link.close()
    return sent


# --- gateway mode ------------------------------------------------------------------------------------


def gateway_source(
    devices: list[tuple[str, str, int]], seed: int, incidents_on: bool, started_ts: float
) -> Iterator[Message]:
    """Every device says it is online, then reports in turn, round after round, until stopped. Picklable
    (a module-level function of plain arguments) so a publisher process can build it."""
    started = datetime.fromtimestamp(started_ts, UTC)
    rng = seeded(seed)
    runs = [
        DeviceRun(
            SimDevice(ident, DeviceType(kind), index),
            started,
            first_seq(started),
            seeded(rng.random()),
            incidents_on=incidents_on,
        )
        for ident, kind, index in devices
    ]
    for run in runs:
        yield run.status(started, DeviceState.ONLINE)
    while True:
        for run in runs:
            if run.offline:
                continue
            messages = run.step(_now())
            if run.offline:
                # No last will over a shared connection: the gateway reports the device's loss itself.
                yield run.status(_now(), DeviceState.OFFLINE)
            yield from messages


def _interrupt(*_: Any) -> None:
    raise KeyboardInterrupt


def run_gateway(settings: Settings, plan: Plan) -> PublishStats:
    """Publish over `plan.publishers` gateway connections, each in its own process, until the duration
    ends; SIGTERM ends the publisher processes too."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    fleet = asyncio.run(provision.ensure_fleet(settings, "gateway", plan.per_type, plan.seed))
    password = asyncio.run(provision.gateway_password(settings))
    parts = max(1, min(plan.publishers, len(fleet)))
    started = time.time()
    jobs = [
        PublisherJob(
            Connection(
                settings.mqtt_device_host,
                settings.mqtt_device_port,
                provision.GATEWAY_USERNAME,
                password,
                f"{provision.GATEWAY_USERNAME}-{k}",
            ),
            gateway_source,
            ([(d.id, d.type.value, d.index) for d in part], plan.seed + k, plan.incidents, started),
            rate=None if plan.rate is None else plan.rate / parts,
            seconds=plan.duration,
        )
        for k, part in enumerate(split(fleet, parts))
    ]
    return total(run_publishers(jobs))
