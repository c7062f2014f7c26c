"""What a device is told once, at registration or when its credentials are renewed: where and how to
connect."""

from __future__ import annotations

from pydantic import BaseModel, Field

from iot.schemas import DeviceRead


class DeviceTopics(BaseModel):
    telemetry: str = Field(examples=["city/v1/devices/0b7c.../telemetry"])
    event: str
    status: str = Field(description="Retained; also the device's last will.")


class MqttCredentials(BaseModel):
    host: str
    port: int
    username: str = Field(description="The device id.")
    password: str = Field(description="Shown only in this answer; the backend keeps no readable copy.")
    client_id: str = Field(description="The device id: the broker refuses any other client id.")
    topics: DeviceTopics


class DeviceCredentials(BaseModel):
    mqtt: MqttCredentials


class DeviceCreated(DeviceRead):
    """The registered device and its MQTT credentials, returned this once."""

    mqtt: MqttCredentials
