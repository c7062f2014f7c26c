"""Request and response models of the agencies' admin routes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from core.identity.api_keys import CreatedKey
from core.identity.schemas import ApiKeyCreated
from dossiers.models import AGENCY_CODE_MAX_LENGTH, AGENCY_CODE_PATTERN, NAME_MAX_LENGTH, Agency
from dossiers.types import AgencyLevel


class AgencyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        pattern=AGENCY_CODE_PATTERN,
        max_length=AGENCY_CODE_MAX_LENGTH,
        description="The agency's code in the national system; its dossier codes start with it.",
        examples=["000.00.22.H56"],
    )
    name_vi: str = Field(min_length=1, max_length=NAME_MAX_LENGTH, examples=["Sở Tư pháp"])
    name_en: str | None = Field(default=None, min_length=1, max_length=NAME_MAX_LENGTH)
    level: AgencyLevel
    unit_code: str = Field(
        pattern=r"^[0-9]{2}([0-9]{3})?$",
        description="The administrative unit whose figures its dossiers count in.",
        examples=["37"],
    )


class AgencyRead(BaseModel):
    id: uuid.UUID
    code: str
    name_vi: str
    name_en: str | None
    level: AgencyLevel
    unit_code: str
    created_at: datetime

    @classmethod
    def of(cls, agency: Agency) -> AgencyRead:
        return cls(
            id=agency.id,
            code=agency.code,
            name_vi=agency.name_vi,
            name_en=agency.name_en,
            level=AgencyLevel(agency.level),
            unit_code=agency.unit_code,
            created_at=agency.created_at,
        )


class AgencyPage(BaseModel):
    items: list[AgencyRead]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last one.")


class AgencyKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="What the key is for (the agency's LGSP connection); the agency's code by default.",
    )


class AgencyKeyCreated(ApiKeyCreated):
    agency_code: str

    @classmethod
    def for_agency(cls, agency: Agency, created: CreatedKey) -> AgencyKeyCreated:
        return cls(**ApiKeyCreated.of_created(created).model_dump(), agency_code=agency.code)
