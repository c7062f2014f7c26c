"""Announcements: officers publish a notice to a unit; it is stored and sent on /ws in one transaction."""

from __future__ import annotations

from fastapi import APIRouter, status

from core.events.announcements import AnnouncementIn, AnnouncementOut, publish
from core.http.deps import SessionDep
from core.http.policies import Officer
from core.http.responses import UNAUTHENTICATED, problem, responses

router = APIRouter(prefix="/api/v1/announcements", tags=["announcements"])

ERRORS = responses(
    UNAUTHENTICATED,
    problem(
        403,
        "Not an officer or admin (code forbidden), or the unit is not one of the officer's "
        "(code outside_unit)",
    ),
    problem(404, "No unit has this code (code unit_not_found)"),
)


@router.post(
    "",
    response_model=AnnouncementOut,
    status_code=status.HTTP_201_CREATED,
    summary="Publish an announcement to a unit (sent to subscribers of the announcements topic on /ws)",
    responses=ERRORS,
)
async def publish_announcement(
    announcement: AnnouncementIn,
    principal: Officer,
    session: SessionDep,
) -> AnnouncementOut:
    return await publish(session, principal, announcement)
