"""Device identities on the broker, through Mosquitto's dynamic-security plugin.

The plugin takes commands as MQTT messages on `$CONTROL/dynamic-security/v1` and answers on `.../response`;
the backend's service account may use both (deploy/mosquitto/acl). One `BrokerAdmin` per process keeps one
MQTT 5 connection, opened on first use, with paho's network thread; each command carries a correlation id and
waits for its answer on an asyncio future, resolved from that thread.

A device is a plugin client with the `device` role: username = client id = the device id. What it may publish
is scoped by the acl file's `%u` patterns (the plugin does not substitute `%u` in its own ACLs). What it may
subscribe to is nothing, and that takes a role: Mosquitto 2.0's acl file grants every subscription (it checks
only at delivery), and the plugin's default access only defers to it, so a device could join the ingest
group's shared subscription, be handed part of the fleet's messages, and have the broker drop them at its
read check. The `device` and `gateway` roles deny `subscribePattern #`, which the plugin answers with a
refusal in the SUBACK. A connection's first command brings an older broker file up to date (the roles and
their denial; the role given to every client that has none), so a device registered before keeps working
and loses only its subscriptions.

Every plugin change rewrites the broker's whole JSON file on the broker's single thread, so commands are
meant for one device at a time (the admin API), not for bulk provisioning.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from core.settings import Settings

logger = logging.getLogger(__name__)

CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
RESPONSE_TOPIC = "$CONTROL/dynamic-security/v1/response"
GATEWAY_ROLE = "gateway"
DEVICE_ROLE = "device"
# Every subscription refused (in the SUBACK): `#` in a subscribePattern ACL matches every filter, `$share/...`
# and `$SYS/...` included. The contract gives devices nothing to subscribe to.
NO_SUBSCRIPTIONS = {"acltype": "subscribePattern", "topic": "#", "priority": 0, "allow": False}
# listClients pages: a verbose page of this many stays well inside the broker's max_packet_size.
_CLIENT_PAGE = 500
# A gateway publishes for many devices over one connection (simulator, bench, tests); the acl file's
# patterns only cover a client's own id, so this role names the device topics outright.
GATEWAY_TOPICS = (
    "city/v1/devices/+/telemetry",
    "city/v1/devices/+/event",
    "city/v1/devices/+/status",
)

# The plugin's error texts (Mosquitto 2.0) for the cases handled as success.
_CLIENT_EXISTS = "Client already exists"
_CLIENT_NOT_FOUND = "Client not found"
_ROLE_EXISTS = "Role already exists"
_ROLE_NOT_FOUND = "Role not found"
_ACL_EXISTS = "ACL with this topic already exists"


class BrokerUnavailable(Exception):  # noqa: N818 (named for what callers catch: the broker did not answer)
    """The broker could not be reached or did not answer within the admin timeout."""


class BrokerCommandError(Exception):
    """The plugin refused a command; `error` is its own text, e.g. "Client not found"."""

    def __init__(self, command: str, error: str) -> None:
        super().__init__(f"broker refused {command}: {error}")
        self.command = command
        self.error = error


@dataclass(slots=True)
class _Pending:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[dict[str, Any]]


def _resolve(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


class BrokerAdmin:
    """Creates, rotates and deletes broker clients. Safe to share by the tasks of one event loop."""

    def __init__(self, settings: Settings) -> None:
        self._host = settings.mqtt_host
        self._port = settings.mqtt_port
        self._username = settings.mqtt_username
        self._password = settings.mqtt_password.get_secret_value()
        self._timeout = settings.mqtt_admin_timeout_seconds
        self._client: mqtt.Client | None = None
        # Set once the broker has granted the response subscription of the current connection.
        self._ready = threading.Event()
        # Set when the current connection attempt has ended, ready or refused.
        self._settled = threading.Event()
        self._connect_error: str | None = None
        self._subscribe_mid: int | None = None
        self._pending: dict[str, _Pending] = {}
        self._pending_lock = threading.Lock()
        self._connect_lock = asyncio.Lock()
        # Whether this process has brought the broker's roles up to date (once, before its first command).
        self._prepared = False
        self._prepare_lock = asyncio.Lock()

    # --- commands ---------------------------------------------------------------------------------------

    async def create_device_client(self, device_id: str, password: str) -> None:
        """A client for the device (username = client id = `device_id`) with the `device` role. When it
        exists already, its password is set (and the role given) instead, so a retried registration ends in
        the same state."""
        try:
            await self._command(
                {
                    "command": "createClient",
                    "username": device_id,
                    "password": password,
                    "clientid": device_id,
                    "roles": [{"rolename": DEVICE_ROLE}],
                }
            )
        except BrokerCommandError as error:
            if error.error != _CLIENT_EXISTS:
                raise
            await self.set_password(device_id, password)
            await self._ensure_client_role(device_id, DEVICE_ROLE)

    async def delete_client(self, username: str) -> None:
        """Delete the client; the broker disconnects it at once. A client already gone is not an error."""
        try:
            await self._command({"command": "deleteClient", "username": username})
        except BrokerCommandError as error:
            if error.error != _CLIENT_NOT_FOUND:
                raise

    async def set_password(self, username: str, password: str) -> None:
        """Replace the client's password; the old one stops working at once."""
        await self._command({"command": "setClientPassword", "username": username, "password": password})

    async def ensure_gateway(self, username: str, password: str) -> None:
        """A client with the `gateway` role, allowed to publish telemetry, events and status for any device;
        created or brought up to date (password, role, role's ACLs). Any client id may use it; like a
        device, it may subscribe to nothing."""
        await self._ensure_role(GATEWAY_ROLE, _gateway_acls())
        try:
            await self._command(
                {
                    "command": "createClient",
                    "username": username,
                    "password": password,
                    "roles": [{"rolename": GATEWAY_ROLE}],
                }
            )
        except BrokerCommandError as error:
            if error.error != _CLIENT_EXISTS:
                raise
            await self.set_password(username, password)
            await self._ensure_client_role(username, GATEWAY_ROLE)

    async def close(self) -> None:
        """Disconnect and stop the network thread; a later command connects again."""
        client, self._client = self._client, None
        self._ready.clear()
        if client is not None:
            await asyncio.to_thread(self._stop, client)
        self._fail_pending()

    # --- roles ------------------------------------------------------------------------------------------

    async def _prepare(self) -> None:
        """Bring the broker's file up to date, idempotently: the `device` role, the subscription denial in
        the `gateway` role where one exists, and the `device` role for every client that has no role (a
        device registered before roles existed). Costs one command per role and one per page of clients
        once everything is in place."""
        await self._ensure_role(DEVICE_ROLE, [NO_SUBSCRIPTIONS])
        await self._send_allowing(
            {"command": "addRoleACL", "rolename": GATEWAY_ROLE, **NO_SUBSCRIPTIONS},
            _ACL_EXISTS,
            _ROLE_NOT_FOUND,
        )
        offset = 0
        while True:
            page = await self._send(
                {"command": "listClients", "verbose": True, "count": _CLIENT_PAGE, "offset": offset}
            )
            clients = page.get("data", {}).get("clients", [])
            for found in clients:
                if not found.get("roles"):
                    await self._send(
                        {"command": "addClientRole", "username": found["username"], "rolename": DEVICE_ROLE}
                    )
            if len(clients) < _CLIENT_PAGE:
                return
            offset += len(clients)

    async def _ensure_role(self, rolename: str, acls: list[dict[str, Any]]) -> None:
        try:
            await self._send({"command": "createRole", "rolename": rolename, "acls": acls})
        except BrokerCommandError as error:
            if error.error != _ROLE_EXISTS:
                raise
            for acl in acls:
                await self._send_allowing({"command": "addRoleACL", "rolename": rolename, **acl}, _ACL_EXISTS)

    async def _ensure_client_role(self, username: str, rolename: str) -> None:
        # addClientRole answers a bare "Internal error" for a role the client holds: look first.
        found = await self._command({"command": "getClient", "username": username})
        roles = found.get("data", {}).get("client", {}).get("roles", [])
        if not any(role.get("rolename") == rolename for role in roles):
            await self._command({"command": "addClientRole", "username": username, "rolename": rolename})

    # --- plumbing ---------------------------------------------------------------------------------------

    async def _send_allowing(self, command: dict[str, Any], *tolerated: str) -> None:
        try:
            await self._send(command)
        except BrokerCommandError as error:
            if error.error not in tolerated:
                raise

    async def _command(self, command: dict[str, Any]) -> dict[str, Any]:
        """Send a command once this process has prepared the broker's roles (see `_prepare`)."""
        if not self._prepared:
            async with self._prepare_lock:
                if not self._prepared:
                    await self._prepare()
                    self._prepared = True
        return await self._send(command)

    async def _send(self, command: dict[str, Any]) -> dict[str, Any]:
        client = await self._connected()
        correlation = uuid.uuid4().hex
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        with self._pending_lock:
            self._pending[correlation] = _Pending(loop, future)
        try:
            payload = json.dumps({"commands": [{**command, "correlationData": correlation}]})
            info = client.publish(CONTROL_TOPIC, payload, qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                raise BrokerUnavailable(f"cannot send {command['command']}: {mqtt.error_string(info.rc)}")
            try:
                async with asyncio.timeout(self._timeout):
                    response = await future
            except TimeoutError as error:
                raise BrokerUnavailable(
                    f"no answer to {command['command']} within {self._timeout:g} s"
                ) from error
        finally:
            with self._pending_lock:
                self._pending.pop(correlation, None)
        if "error" in response:
            raise BrokerCommandError(command["command"], str(response["error"]))
        return response

    async def _connected(self) -> mqtt.Client:
        async with self._connect_lock:
            if self._client is not None and self._ready.is_set():
                return self._client
            if self._client is not None:
                # A connection that never became ready (or was lost and not yet back): wait for it a little,
                # then start over, so a broker that comes back is used again.
                if await asyncio.to_thread(self._ready.wait, self._timeout):
                    return self._client
                await self.close()
            client = self._new_client()
            self._client = client
            try:
                await asyncio.to_thread(self._open, client)
            except BrokerUnavailable:
                await self.close()
                raise
            return client

    def _new_client(self) -> mqtt.Client:
        client_id = f"smartcity-admin-{uuid.uuid4().hex[:12]}"
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        client.username_pw_set(self._username, self._password)
        client.connect_timeout = self._timeout
        client.reconnect_delay_set(1, 10)
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.on_disconnect = self._on_disconnect
        return client

    def _open(self, client: mqtt.Client) -> None:
        """Connect and wait for the response subscription (in a thread: paho's connect blocks)."""
        self._ready.clear()
        self._settled.clear()
        self._connect_error = None
        try:
            client.connect(self._host, self._port, keepalive=30, clean_start=True)
        except OSError as error:
            where = f"{self._host}:{self._port}"
            raise BrokerUnavailable(f"cannot reach the broker at {where}: {error}") from error
        client.loop_start()
        self._settled.wait(self._timeout)
        if not self._ready.is_set():
            reason = self._connect_error or f"no answer within {self._timeout:g} s"
            raise BrokerUnavailable(f"broker at {self._host}:{self._port}: {reason}")

    @staticmethod
    def _stop(client: mqtt.Client) -> None:
        client.disconnect()
        client.loop_stop()

    def _fail_pending(self) -> None:
        with self._pending_lock:
            pending = list(self._pending.values())
        for entry in pending:
            if not entry.loop.is_closed():
                entry.loop.call_soon_threadsafe(_fail, entry.future)

    # --- paho callbacks (network thread) ----------------------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            self._connect_error = f"connection refused ({reason})"
            self._settled.set()
            # A refused login will not get better by retrying every second; let the caller decide.
            client.disconnect()
            return
        # A clean session on every connect: subscribe again each time.
        _, self._subscribe_mid = client.subscribe(RESPONSE_TOPIC, qos=1)

    def _on_subscribe(
        self, _client: mqtt.Client, _userdata: Any, mid: int, reasons: Any, _props: Any
    ) -> None:
        if mid != self._subscribe_mid:
            return
        if reasons and not reasons[0].is_failure:
            self._ready.set()
        else:
            self._connect_error = f"subscription to {RESPONSE_TOPIC} refused"
        self._settled.set()

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        self._ready.clear()
        logger.info("broker admin connection closed: %s", reason)

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            responses = json.loads(message.payload)["responses"]
        except (ValueError, KeyError, TypeError):
            logger.warning("unreadable dynamic-security response: %r", message.payload[:200])
            return
        for response in responses if isinstance(responses, list) else ():
            if not isinstance(response, dict):
                continue
            with self._pending_lock:
                entry = self._pending.get(str(response.get("correlationData")))
            if entry is not None and not entry.loop.is_closed():
                entry.loop.call_soon_threadsafe(_resolve, entry.future, response)


def _gateway_acls() -> list[dict[str, Any]]:
    sends = [
        {"acltype": "publishClientSend", "topic": topic, "priority": 0, "allow": True}
        for topic in GATEWAY_TOPICS
    ]
    return [*sends, NO_SUBSCRIPTIONS]


def _fail(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_exception(BrokerUnavailable("the broker connection was closed"))
