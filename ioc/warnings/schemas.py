"""What officers send to publish or update a warning, and what anyone reads back as JSON.

Texts come in Vietnamese and English, both required: each is one `<info>` block of the CAP message. Every
text must be something XML can carry (no control characters, no lone surrogates), since it ends up in the
CAP document and the feed. Times are whole seconds: CAP writes them without fractions, and an Update's
`references` must repeat an earlier message's `sent` exactly.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal, Self

import shapely
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from ioc.warnings.models import EVENT_MAX_LENGTH, HEADLINE_MAX_LENGTH, TEXT_MAX_LENGTH
from ioc.warnings.vocabulary import CapSeverity, Category, Certainty, MsgType, Urgency, WarningState
from mobile_contract.events import Latitude, Longitude

STRICT = ConfigDict(extra="forbid")
WARNINGS_PATH = "/api/v1/warnings"
MAX_WARDS = 200
MAX_POLYGON_POSITIONS = 500

# Characters XML 1.0 can carry, less the C1 controls; line breaks and tabs only where prose allows them.
_PROSE = re.compile("[\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*")
_LINE = re.compile("[\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*")


def _clean(pattern: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError(f"{what} must not be blank")
        if not pattern.fullmatch(value):
            raise ValueError(f"{what} holds a control character or one XML cannot carry")
        return value

    return AfterValidator(check)


LineText = Annotated[str, Field(min_length=1, max_length=HEADLINE_MAX_LENGTH), _clean(_LINE, "a line")]
EventText = Annotated[str, Field(min_length=1, max_length=EVENT_MAX_LENGTH), _clean(_LINE, "an event")]
ProseText = Annotated[str, Field(min_length=1, max_length=TEXT_MAX_LENGTH), _clean(_PROSE, "a text")]


class EventTexts(BaseModel):
    model_config = STRICT

    vi: EventText = Field(examples=["Ngập úng"])
    en: EventText = Field(examples=["Street flooding"])


class Headline(BaseModel):
    model_config = STRICT

    vi: LineText = Field(examples=["Ngập sâu trên đường Trần Hưng Đạo"])
    en: LineText = Field(examples=["Deep flooding on Tran Hung Dao street"])


class Prose(BaseModel):
    model_config = STRICT

    vi: ProseText
    en: ProseText


EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _whole_seconds(moment: datetime) -> datetime:
    # Bounded so that every time can be written in Vietnam's offset (year 9999 plus 7 hours cannot).
    if not EARLIEST <= moment < LATEST:
        raise ValueError("times must be between 2000 and 2100")
    return moment.replace(microsecond=0)


Moment = Annotated[AwareDatetime, AfterValidator(_whole_seconds)]
WardCode = Annotated[str, Field(pattern=r"^[0-9]{5}$", examples=["13666"])]
Position = tuple[Longitude, Latitude]


class PolygonIn(BaseModel):
    """A GeoJSON Polygon (lon, lat) of one ring, closed, not crossing itself. CAP polygons have no holes."""

    model_config = STRICT

    type: Literal["Polygon"]
    coordinates: list[Annotated[list[Position], Field(min_length=4, max_length=MAX_POLYGON_POSITIONS)]] = (
        Field(min_length=1, max_length=1)
    )

    @model_validator(mode="after")
    def _valid_ring(self) -> Self:
        ring = self.coordinates[0]
        if ring[0] != ring[-1]:
            raise ValueError("the polygon's ring must end where it starts")
        shape = shapely.Polygon(ring)
        if not shape.is_valid:
            # GEOS names the fault and where it is, e.g. "Self-intersection[106.18 20.43]".
            raise ValueError(f"the polygon is not valid: {shapely.is_valid_reason(shape)}")
        if shape.area == 0:
            raise ValueError("the polygon has no area")
        return self


class AreaIn(BaseModel):
    """Wards, a polygon inside the province, or both. Citizens following a chosen ward, or a ward the polygon
    covers in part, are told."""

    model_config = STRICT

    ward_codes: list[WardCode] = Field(default_factory=list, max_length=MAX_WARDS)
    polygon: PolygonIn | None = None
    description: Prose | None = Field(
        default=None, description="CAP's areaDesc; by default the names of the wards concerned."
    )

    @model_validator(mode="after")
    def _somewhere(self) -> Self:
        if not self.ward_codes and self.polygon is None:
            raise ValueError("a warning needs at least one ward or a polygon")
        # Repeats mean nothing more; the order the officer gave is kept.
        self.ward_codes = list(dict.fromkeys(self.ward_codes))
        return self


class WarningIn(BaseModel):
    """A warning as an officer publishes it (POST) or replaces it (PUT: every field again)."""

    model_config = STRICT

    category: Category
    event: EventTexts
    urgency: Urgency
    severity: CapSeverity
    certainty: Certainty
    headline: Headline
    description: Prose
    instruction: Prose = Field(description="What people should do.")
    onset: Moment = Field(description="When the danger begins (may be past: it already has).")
    expires: Moment = Field(description="When the warning stops applying; after onset, and still ahead.")
    area: AreaIn
    alarm_id: uuid.UUID | None = Field(default=None, description="The alarm that led to this warning.")
    incident_id: uuid.UUID | None = Field(default=None, description="The incident it is about.")

    @model_validator(mode="after")
    def _expires_after_onset(self) -> Self:
        if self.expires <= self.onset:
            raise ValueError("expires must be after onset")
        return self


# -- Reading ----------------------------------------------------------------------------------------------


class Texts(BaseModel):
    vi: str
    en: str


class PolygonGeometry(BaseModel):
    type: Literal["Polygon"] = "Polygon"
    coordinates: list[list[tuple[float, float]]] = Field(description="One ring of [lon, lat] positions.")


class AreaRead(BaseModel):
    description: Texts
    ward_codes: list[str] = Field(description="The wards chosen (their boundaries are CAP polygons).")
    affected_ward_codes: list[str] = Field(
        description="The chosen wards and those the polygon covers in part: whose followers are told."
    )
    polygon: PolygonGeometry | None


class MessageRef(BaseModel):
    """One CAP message of a warning's chain."""

    identifier: str
    sender: str
    sent: datetime
    msg_type: MsgType


class WarningSummary(BaseModel):
    """A warning as its current (newest) CAP message says it."""

    id: uuid.UUID = Field(description="The warning's id, the same for every message of its chain.")
    identifier: str = Field(description="CAP identifier of the current message.")
    sender: str
    sent: datetime = Field(description="When the current message was sent.")
    status: Literal["Actual"] = "Actual"
    msg_type: MsgType
    scope: Literal["Public"] = "Public"
    state: WarningState = Field(
        description="At the time of this read: upcoming, in_effect, expired, cancelled."
    )
    category: Category
    event: Texts
    urgency: Urgency
    severity: CapSeverity
    certainty: Certainty
    headline: Texts
    description: Texts
    instruction: Texts
    onset: datetime
    expires: datetime
    area: AreaRead
    alarm_id: uuid.UUID | None
    incident_id: uuid.UUID | None
    cap_url: str = Field(description="Path of the current message as CAP 1.2 XML.")


class WarningRead(WarningSummary):
    messages: list[MessageRef] = Field(
        description="The chain, oldest first; the last is the current message, which references the others."
    )


class WarningPage(BaseModel):
    items: list[WarningSummary]
    next_cursor: str | None
