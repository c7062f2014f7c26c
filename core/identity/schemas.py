"""Request and response models of sign-in, accounts, staff and API keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.identity.api_keys import SCOPES, CreatedKey
from core.identity.models import ApiKey, User
from core.identity.passwords import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, USERNAME_PATTERN
from core.identity.principal import Role
from core.identity.service import IssuedTokens, PersonalData

USER_ID_EXAMPLE = "0b8f3c1e-4a5d-4d1c-9a57-0c0f3f1d2e11"
Phone = Field(
    min_length=1,
    max_length=32,
    description="A Vietnamese mobile number: 0912345678, +84912345678 or 84912345678; spaces, dots and "
    "dashes are allowed between digits.",
    examples=["0912 345 678"],
)

# Requests ---------------------------------------------------------------------------------------------------


class CodeRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"phone": "0912345678"}]})

    phone: str = Phone


class CodeVerification(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"phone": "0912345678", "code": "042917"}]})

    phone: str = Phone
    code: str = Field(pattern=r"^[0-9]{6}$", description="The six digits received by text message.")


class StaffLogin(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"username": "can-bo.phuong", "password": "a long passphrase"},
            ]
        }
    )

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)


class RefreshRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"refresh_token": "kq3V...Xw"}]})

    refresh_token: str = Field(min_length=1, max_length=128)


class StaffCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "nguyen.van.a",
                    "password": "a long passphrase",
                    "role": "officer",
                    "unit_code": "13666",
                    "display_name": "Nguyễn Văn A",
                }
            ]
        }
    )

    username: str = Field(
        pattern=USERNAME_PATTERN,
        description="3 to 64 letters, digits, dots, dashes or underscores; stored in lower case.",
    )
    password: str = Field(
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        description=f"The initial password, at least {PASSWORD_MIN_LENGTH} characters.",
    )
    role: Literal["officer", "field_staff", "admin"]
    unit_code: str | None = Field(
        default=None,
        pattern=r"^([0-9]{2}|[0-9]{5})$",
        description="The unit (province or ward) the person works for; required for officers and field "
        "staff.",
    )
    display_name: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _unit_for_unit_roles(self) -> Self:
        if self.role != "admin" and self.unit_code is None:
            raise ValueError("officers and field staff belong to a unit: unit_code is required")
        return self


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Hệ thống một cửa Sở Tư pháp",
                    "scopes": ["dossiers:sync"],
                }
            ]
        }
    )

    name: str = Field(min_length=1, max_length=100, description="Who uses the key, for people to read.")
    scopes: list[str] = Field(
        min_length=1,
        max_length=len(SCOPES),
        description="What the key may do: "
        + "; ".join(f"{name}: {text.en}" for name, text in SCOPES.items()),
    )

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, scopes: list[str]) -> list[str]:
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown:
            raise ValueError(f"unknown scopes {unknown}; known scopes are {sorted(SCOPES)}")
        return sorted(set(scopes))


# Responses --------------------------------------------------------------------------------------------------


class CodeSent(BaseModel):
    expires_in: int = Field(description="Seconds the code stays valid.", examples=[300])


class UserSummary(BaseModel):
    id: uuid.UUID
    role: Role
    display_name: str | None
    phone: str | None = Field(description="E.164, e.g. +84912345678; citizens only.")
    username: str | None = Field(description="Staff only.")
    unit_code: str | None = Field(description="The unit of officers and field staff.")

    @classmethod
    def of(cls, user: User) -> UserSummary:
        return cls(
            id=user.id,
            role=user.role,
            display_name=user.display_name,
            phone=user.phone,
            username=user.username,
            unit_code=user.unit_code,
        )


class TokenPair(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...",
                    "token_type": "bearer",
                    "expires_in": 900,
                    "refresh_token": "kq3V...Xw",
                    "refresh_expires_in": 2592000,
                    "user": {
                        "id": USER_ID_EXAMPLE,
                        "role": "citizen",
                        "display_name": None,
                        "phone": "+84912345678",
                        "username": None,
                        "unit_code": None,
                    },
                }
            ]
        }
    )

    access_token: str = Field(description="Send as Authorization: Bearer on every call.")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the OAuth token type, not a secret)
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str = Field(description="Exchange at /api/v1/auth/refresh; each use returns a new one.")
    refresh_expires_in: int = Field(description="Seconds until the refresh token expires if unused.")
    user: UserSummary

    @classmethod
    def of(cls, tokens: IssuedTokens, now: datetime) -> TokenPair:
        return cls(
            access_token=tokens.access_token,
            expires_in=int((tokens.access_expires_at - now).total_seconds()),
            refresh_token=tokens.refresh_token,
            refresh_expires_in=int((tokens.refresh_expires_at - now).total_seconds()),
            user=UserSummary.of(tokens.user),
        )


class Account(UserSummary):
    language: str
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> Account:
        return cls(**UserSummary.of(user).model_dump(), language=user.language, created_at=user.created_at)


class SessionRecord(BaseModel):
    """One refresh token: a signed-in device's session or one of its earlier rotations."""

    created_at: datetime
    expires_at: datetime
    rotated_at: datetime | None
    revoked_at: datetime | None


class SignInCodeRecord(BaseModel):
    """A code that was sent; the code itself is not kept."""

    created_at: datetime
    expires_at: datetime
    attempts: int
    consumed_at: datetime | None


class TextMessageRecord(BaseModel):
    created_at: datetime
    body: str
    status: str
    sent_at: datetime | None


class DeviceRecord(BaseModel):
    """A phone registered for push notifications (its push token is not shown)."""

    device_id: str
    platform: str
    language: str
    created_at: datetime
    last_seen_at: datetime


class PersonalDataExport(BaseModel):
    """Everything the accounts service holds about the caller."""

    exported_at: datetime
    account: Account
    sessions: list[SessionRecord]
    sign_in_codes: list[SignInCodeRecord]
    text_messages: list[TextMessageRecord]
    devices: list[DeviceRecord] = Field(default_factory=list)

    @classmethod
    def of(cls, data: PersonalData, now: datetime) -> PersonalDataExport:
        return cls(
            exported_at=now,
            account=Account.of(data.user),
            sessions=[
                SessionRecord(
                    created_at=t.created_at,
                    expires_at=t.expires_at,
                    rotated_at=t.rotated_at,
                    revoked_at=t.revoked_at,
                )
                for t in data.refresh_tokens
            ],
            sign_in_codes=[
                SignInCodeRecord(
                    created_at=c.created_at,
                    expires_at=c.expires_at,
                    attempts=c.attempts,
                    consumed_at=c.consumed_at,
                )
                for c in data.sign_in_codes
            ],
            text_messages=[
                TextMessageRecord(created_at=m.created_at, body=m.body, status=m.status, sent_at=m.sent_at)
                for m in data.text_messages
            ],
            devices=[
                DeviceRecord(
                    device_id=d.device_id,
                    platform=d.platform,
                    language=d.language,
                    created_at=d.created_at,
                    last_seen_at=d.last_seen_at,
                )
                for d in data.devices
            ],
        )


class StaffAccount(BaseModel):
    id: uuid.UUID
    username: str | None
    role: Role
    unit_code: str | None
    display_name: str | None
    is_active: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> StaffAccount:
        return cls(
            id=user.id,
            username=user.username,
            role=user.role,
            unit_code=user.unit_code,
            display_name=user.display_name,
            is_active=user.is_active,
            created_at=user.created_at,
        )

    @classmethod
    def many(cls, users: Sequence[User]) -> list[StaffAccount]:
        return [cls.of(user) for user in users]


class ApiKeySummary(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str = Field(description="The public part of the key (sc_<prefix>_...), to tell keys apart.")
    scopes: list[str]
    created_by: uuid.UUID
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeySummary:
        return cls(
            id=key.id,
            name=key.name,
            prefix=key.prefix,
            scopes=list(key.scopes),
            created_by=key.created_by,
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            revoked_at=key.revoked_at,
        )


class ApiKeyCreated(ApiKeySummary):
    key: str = Field(description="The key itself, shown this once: it is stored only as a hash.")

    @classmethod
    def of_created(cls, created: CreatedKey) -> ApiKeyCreated:
        return cls(**ApiKeySummary.of(created.row).model_dump(), key=created.key)
