"""Events and the live channel (/ws): the event envelope and every message exchanged over the WebSocket.

Clients build against these models (and the matching schemas in asyncapi.yaml), so the rules of the contract
apply: fields are never renamed or removed, new event types and topics may appear at any time, and a client
must ignore what it does not know. This module imports nothing of ours.
"""

from __future__ import annotations

import uuid
from enum import IntEnum, StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, model_validator

# -- The event envelope ------------------------------------------------------------------------------------


class Topic(StrEnum):
    """What a client subscribes to; the first segment of an event's type."""

    FEEDBACK = "feedback"
    ALERTS = "alerts"
    DEVICES = "devices"
    DOSSIERS = "dossiers"
    ANNOUNCEMENTS = "announcements"
    WARNINGS = "warnings"


UnitCode = Annotated[
    str, Field(pattern=r"^[0-9]{2}([0-9]{3})?$", description="2-digit province or 5-digit ward code.")
]
EventType = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$",
        max_length=100,
        description="Dotted event type whose first segment is the topic, e.g. feedback.created, "
        "announcements.published. New types will be added; ignore the ones you do not know.",
    ),
]
# A Redis Stream entry id: milliseconds-sequence. Ordered, so "everything after X" is exact.
Cursor = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{1,20}-[0-9]{1,20}$",
        description="Position of an event in the server's event log. Opaque to clients: keep the last one "
        "received and send it back as resume_after when reconnecting.",
        examples=["1751358600000-0"],
    ),
]


class LatLon(BaseModel):
    """A WGS 84 point. Named members, so there is no lon,lat versus lat,lon ambiguity."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class EventEnvelope(BaseModel):
    """The envelope of every event sent to clients, whatever its source (citizen report, dossier, alert,
    device, announcement). Each event type defines its `data`; the envelope itself is stable."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
                    "type": "announcements.published",
                    "occurred_at": "2025-07-01T08:30:00Z",
                    "unit_code": "13666",
                    "location": {"lat": 20.4338, "lon": 106.1779},
                    "subject_id": "5b0b7f4e-8d38-4c8f-9a43-2d5c4b6f7a10",
                    "data": {"title_vi": "Cắt điện", "title_en": "Power cut", "body": "..."},
                }
            ]
        }
    )

    id: uuid.UUID = Field(description="Unique per event; use it to drop a duplicate.")
    type: EventType
    occurred_at: AwareDatetime = Field(description="When it happened, RFC 3339 with an offset (UTC).")
    unit_code: UnitCode | None = Field(
        description="The administrative unit concerned; null for an event of no particular unit."
    )
    location: LatLon | None = Field(default=None, description="Where it happened, when it has a place.")
    subject_id: str | None = Field(
        max_length=100, description="Id of the thing the event is about (report, dossier, alert, device...)."
    )
    data: dict[str, Any] = Field(description="Type-specific details, defined with each event type.")

    @property
    def topic(self) -> str:
        return self.type.split(".", 1)[0]


# -- Close codes -------------------------------------------------------------------------------------------


class CloseCode(IntEnum):
    """Why the server closed the WebSocket. The close frame's reason is the matching error code."""

    MESSAGE_TOO_BIG = 1009  # a message larger than max_message_bytes
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012  # the server is restarting: reconnect and resume
    TRY_AGAIN_LATER = 1013  # the session could not be checked (staff): reconnect in a few seconds
    TOO_MANY_ERRORS = 4400  # too many invalid messages in a short time
    UNAUTHENTICATED = 4401  # missing, invalid or expired token; first message was not auth
    AUTH_TIMEOUT = 4408  # no auth message within the allowed time
    SLOW_CONSUMER = 4409  # the client read too slowly and its send queue overflowed


# -- Client to server --------------------------------------------------------------------------------------

Longitude = Annotated[float, Field(ge=-180, le=180)]
Latitude = Annotated[float, Field(ge=-90, le=90)]


class Filters(BaseModel):
    """Narrow a subscription. Both filters must match; an event without a location never matches a bbox."""

    bbox: tuple[Longitude, Latitude, Longitude, Latitude] | None = Field(
        default=None, description="[min_lon, min_lat, max_lon, max_lat] (GeoJSON order), edges included."
    )
    unit_codes: list[UnitCode] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Only events of these units (within the units the caller may see).",
    )

    @model_validator(mode="after")
    def _ordered_bbox(self) -> Self:
        if self.bbox is not None:
            min_lon, min_lat, max_lon, max_lat = self.bbox
            if min_lon > max_lon or min_lat > max_lat:
                raise ValueError("bbox must be [min_lon, min_lat, max_lon, max_lat]")
        return self


class AuthMessage(BaseModel):
    """The first message: an access token (not in the URL, where it would end up in logs). Sent again with
    a fresh token of the same account before the current one expires, it extends the connection."""

    type: Literal["auth"]
    token: str = Field(min_length=1, max_length=4096)
    language: Literal["vi", "en"] | None = Field(
        default=None, description="Language of error titles; vi by default (or from Accept-Language)."
    )


class SubscribeMessage(BaseModel):
    """Set the connection's subscription (replacing the previous one). With resume_after, the events after
    that cursor which match are sent first, then live events, with no gap and no duplicate."""

    type: Literal["subscribe"]
    topics: list[Topic] = Field(min_length=1, max_length=len(Topic))
    filters: Filters | None = None
    resume_after: Cursor | None = Field(
        default=None,
        description="The cursor of the last event received before a disconnection. Accepted only while no "
        "event has been sent on this connection.",
    )


class UnsubscribeMessage(BaseModel):
    """Stop receiving these topics."""

    type: Literal["unsubscribe"]
    topics: list[Topic] = Field(min_length=1, max_length=len(Topic))


class PingMessage(BaseModel):
    """Ask for a pong: an application-level check that the connection and the server are alive."""

    type: Literal["ping"]


ClientMessage = Annotated[
    AuthMessage | SubscribeMessage | UnsubscribeMessage | PingMessage, Field(discriminator="type")
]
CLIENT_MESSAGE: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)

# -- Server to client --------------------------------------------------------------------------------------

# Fields with a default are always sent, so the published schemas list them as required.
SERVER_CONFIG = ConfigDict(json_schema_serialization_defaults_required=True)


class ReadyMessage(BaseModel):
    """Authentication succeeded: what the connection may do."""

    model_config = SERVER_CONFIG

    type: Literal["ready"] = "ready"
    role: str
    unit_code: UnitCode | None
    topics: list[Topic] = Field(description="The topics this account may subscribe to.")
    expires_at: AwareDatetime = Field(description="When the token expires; send a fresh auth before then.")
    heartbeat_seconds: float
    max_message_bytes: int


class SubscribedMessage(BaseModel):
    """The subscription now in force (after subscribe or unsubscribe)."""

    model_config = SERVER_CONFIG

    type: Literal["subscribed"] = "subscribed"
    topics: list[Topic]
    filters: Filters | None


class EventMessage(BaseModel):
    """One event, with its cursor."""

    model_config = SERVER_CONFIG

    type: Literal["event"] = "event"
    cursor: Cursor
    event: EventEnvelope


class ResumedMessage(BaseModel):
    """The replay asked for with resume_after is over; live events follow."""

    model_config = SERVER_CONFIG

    type: Literal["resumed"] = "resumed"
    replayed: int = Field(ge=0, description="Events sent from the log.")
    gap: bool = Field(
        description="True when events after the cursor may be missing (the log no longer holds them, or the "
        "backlog was too long to replay): reload the current state over HTTP."
    )


class ErrorMessage(BaseModel):
    """A message was refused; it changed nothing and the connection stays open."""

    model_config = SERVER_CONFIG

    type: Literal["error"] = "error"
    code: str = Field(description="Stable code: invalid_message, forbidden_topic, resume_not_allowed.")
    title: str = Field(description="Short summary in the connection's language.")
    detail: str | None = Field(default=None, description="What was wrong with this message.")


class HeartbeatMessage(BaseModel):
    """Sent every heartbeat_seconds: a client that has heard nothing for twice that should reconnect."""

    model_config = SERVER_CONFIG

    type: Literal["heartbeat"] = "heartbeat"
    at: AwareDatetime


class PongMessage(BaseModel):
    """The answer to a ping."""

    model_config = SERVER_CONFIG

    type: Literal["pong"] = "pong"
    at: AwareDatetime


ServerMessage = Annotated[
    ReadyMessage
    | SubscribedMessage
    | EventMessage
    | ResumedMessage
    | ErrorMessage
    | HeartbeatMessage
    | PongMessage,
    Field(discriminator="type"),
]
SERVER_MESSAGE: TypeAdapter[ServerMessage] = TypeAdapter(ServerMessage)
