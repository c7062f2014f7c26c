"""Device credentials on the broker: a fresh password per issue, the broker client made or updated with it,
and the block handed to the device once. The password is not stored by the backend (the broker keeps only a
salted hash), so a lost password is replaced, never read back."""

from __future__ import annotations

import secrets
import uuid

from core.errors import Message, ProblemError
from core.settings import Settings
from iot.registry.broker_admin import BrokerAdmin, BrokerUnavailable
from iot.registry.schemas import DeviceTopics, MqttCredentials

# 24 random bytes: 192 bits, URL-safe, so it survives any device's config format unquoted.
PASSWORD_BYTES = 24
TOPIC_ROOT = "city/v1/devices"


def new_password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


def device_username(device_id: uuid.UUID) -> str:
    """The device's MQTT username and client id: its UUID in canonical lowercase form."""
    return str(device_id)


def topics_of(device_id: uuid.UUID) -> DeviceTopics:
    root = f"{TOPIC_ROOT}/{device_username(device_id)}"
    return DeviceTopics(telemetry=f"{root}/telemetry", event=f"{root}/event", status=f"{root}/status")


def broker_unavailable(error: BrokerUnavailable) -> ProblemError:
    return ProblemError(
        503,
        "broker_unavailable",
        Message(
            "Không kết nối được máy chủ MQTT; chưa có thay đổi nào được lưu, vui lòng thử lại sau",
            "The MQTT broker could not be reached; nothing was changed, try again later",
        ),
    )


async def issue(admin: BrokerAdmin, settings: Settings, device_id: uuid.UUID) -> MqttCredentials:
    """A new password for the device, in force on the broker when this returns (any old one no longer
    works, and a connection made with it is closed). 503 broker_unavailable when the broker does not
    answer."""
    username = device_username(device_id)
    password = new_password()
    try:
        await admin.create_device_client(username, password)
    except BrokerUnavailable as error:
        raise broker_unavailable(error) from error
    return MqttCredentials(
        host=settings.mqtt_device_host,
        port=settings.mqtt_device_port,
        username=username,
        password=password,
        client_id=username,
        topics=topics_of(device_id),
    )


async def revoke(admin: BrokerAdmin, device_id: uuid.UUID) -> None:
    """Delete the device's broker client: it is disconnected at once and cannot log in again."""
    try:
        await admin.delete_client(device_username(device_id))
    except BrokerUnavailable as error:
        raise broker_unavailable(error) from error
