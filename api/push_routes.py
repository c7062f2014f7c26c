"""The signed-in user's phones that receive push notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field

from core.http.deps import SessionDep
from core.http.policies import Authenticated
from core.http.responses import UNAUTHENTICATED, problem, responses
from core.push import service
from core.push.models import (
    DEVICE_ID_MAX_LENGTH,
    MAX_WARDS_PER_DEVICE,
    TOKEN_MAX_LENGTH,
    Platform,
    PushLanguage,
)
from core.push.repository import Device

router = APIRouter(prefix="/api/v1/me/devices", tags=["push"])

# FastAPI answers 400 before the route runs when a body cannot be decoded as JSON at all.
UNREADABLE_BODY = problem(400, "The body is not readable JSON (code http_error)")
ACCOUNT_GONE = problem(404, "The account was deleted or deactivated (code account_not_found)")
DEVICE_NOT_FOUND = problem(404, "This account has no device with this id (code device_not_found)")

DeviceId = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9._:-]+$",
        min_length=1,
        max_length=DEVICE_ID_MAX_LENGTH,
        description="Chosen by the app, stable for one installation (e.g. a UUID it stores).",
        examples=["3f6c2a9e-5a7b-4f0e-9d55-2b1f0c8e7a41"],
    ),
]


class DeviceRegistration(BaseModel):
    # FCM registration tokens are long opaque strings of letters, digits and -_:. (no spaces).
    token: str = Field(
        min_length=32,
        max_length=TOKEN_MAX_LENGTH,
        pattern=r"^[A-Za-z0-9_:.\-]+$",
        description="The FCM registration token the client SDK gave (getToken()).",
    )
    platform: Platform
    language: PushLanguage = Field(description="Language of the notifications this phone shows.")
    wards: list[Annotated[str, Field(pattern=r"^[0-9]{5}$")]] | None = Field(
        default=None,
        max_length=MAX_WARDS_PER_DEVICE,
        description="Codes of the wards the person follows on this phone: public warnings concerning any "
        "of them are pushed to it. Left out: the wards registered before are kept; [] follows none.",
        examples=[["13666", "13684"]],
    )


class DeviceOut(BaseModel):
    """A registered phone. The token itself is never sent back."""

    model_config = ConfigDict(from_attributes=True)

    device_id: str
    platform: Platform
    language: PushLanguage
    wards: list[str] = Field(description="The wards this phone follows.")
    created_at: datetime
    last_seen_at: datetime


def _out(device: Device) -> DeviceOut:
    return DeviceOut.model_validate(device)


@router.get(
    "",
    response_model=list[DeviceOut],
    summary="The signed-in user's registered phones",
    responses=UNAUTHENTICATED,
)
async def list_devices(principal: Authenticated, session: SessionDep) -> list[DeviceOut]:
    return [_out(device) for device in await service.list_devices(session, principal.user_id)]


@router.put(
    "/{device_id}",
    response_model=DeviceOut,
    summary="Register or update this phone's FCM token (idempotent)",
    responses=responses(
        {201: {"model": DeviceOut, "description": "The device was registered now."}},
        UNREADABLE_BODY,
        UNAUTHENTICATED,
        ACCOUNT_GONE,
        problem(422, "Invalid registration; a ward code that names no ward gets code unit_not_found"),
    ),
    description="200 when the device was already registered (its token, platform and language are updated), "
    "201 when it is new. A token registered before under another device or account moves here.",
)
async def register_device(
    principal: Authenticated,
    session: SessionDep,
    device_id: DeviceId,
    registration: DeviceRegistration,
    response: Response,
) -> DeviceOut:
    device, created = await service.register_device(
        session,
        principal.user_id,
        device_id,
        token=registration.token,
        platform=registration.platform,
        language=registration.language,
        wards=registration.wards,
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return _out(device)


@router.delete(
    "/{device_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Stop push notifications to this phone",
    responses=responses(UNAUTHENTICATED, DEVICE_NOT_FOUND),
)
async def unregister_device(principal: Authenticated, session: SessionDep, device_id: DeviceId) -> Response:
    await service.unregister_device(session, principal.user_id, device_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
