"""Announcing applied dossier changes, in the caller's (the sync's) transaction.

Per change: one `dossiers.*` event on the live channel for the officers of the dossier's unit (no personal
data: no name, phone or ID, only the code and the facts of the change); a push to every citizen linked to the
dossier (by verified phone or ID number) or following it; and, when the applicant asked at the counter, an
SMS on receipt, on a request for documents and on the result being ready. The audience of the whole batch is
read in one query.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.events.outbox import emit_many, new_event
from core.identity.phones import mask_phone
from core.identity.sms import SmsDeliveryError, sender_from_settings
from core.push.service import enqueue_to_user
from core.settings import Settings
from dossiers.changes import ChangeKind, DossierChange
from dossiers.notify import repository
from dossiers.notify.messages import push_content, push_kind, sms_text
from mobile_contract.events import EventEnvelope

logger = logging.getLogger("smartcity.dossiers")

EVENT_TYPES: dict[ChangeKind, str] = {
    ChangeKind.RECEIVED: "dossiers.received",
    ChangeKind.STATUS_CHANGED: "dossiers.status_changed",
    ChangeKind.APOLOGY: "dossiers.apology",
}


def dossier_event(change: DossierChange) -> EventEnvelope:
    """The live event of one change (DossierEvent in asyncapi.yaml)."""
    data: dict[str, Any] = {
        "code": change.code,
        "agency_id": str(change.agency_id),
        "status": int(change.status),
        "previous_status": None if change.previous_status is None else int(change.previous_status),
        "at": change.at.isoformat(),
        "new_due_at": None if change.new_due_at is None else change.new_due_at.isoformat(),
    }
    return new_event(
        EVENT_TYPES[change.kind],
        unit_code=change.unit_code,
        subject_id=str(change.dossier_id),
        data=data,
        occurred_at=change.at,
    )


def push_data(change: DossierChange) -> dict[str, str]:
    """DossierPushData: what the app needs to open her dossier (GET /api/v1/me/dossiers/{code})."""
    return {"kind": str(push_kind(change)), "code": change.code, "status": str(int(change.status))}


async def announce(session: AsyncSession, settings: Settings, changes: Sequence[DossierChange]) -> None:
    """Events, pushes and SMS for `changes` (in the order applied), in the caller's transaction."""
    if not changes:
        return
    await emit_many(session, [dossier_event(change) for change in changes])
    linked = {change.dossier_id: (change.applicant_phone, change.applicant_id_hash) for change in changes}
    people = await repository.audience(session, [(key, *value) for key, value in linked.items()])
    sender = sender_from_settings(settings)
    for change in changes:
        title, body = push_content(change)
        for user_id in people.get(change.dossier_id, ()):
            await enqueue_to_user(session, user_id, title=title, body=body, data=push_data(change))
        text = sms_text(change)
        if text is None or not change.sms_opt_in or change.applicant_phone is None:
            continue
        try:
            await sender.send(session, change.applicant_phone, text)
        except SmsDeliveryError:
            # The agency's update stands; a text the gateway refused is not worth refusing it for.
            logger.warning(
                "dossier SMS not sent",
                extra={"phone": mask_phone(change.applicant_phone), "dossier": change.code},
            )
