"""The live word that a field worker moved (or went off duty), for the officers' wall: one
alerts.field_staff_moved event per stored position, in the transaction that stores it.

Only officers and admins receive it (core.events.access.TYPE_AUDIENCE): colleagues on the same alerts topic
have no need of each other's whereabouts.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.events.outbox import emit, new_event
from core.identity.principal import Principal
from ioc.dispatch.schemas import FieldStatusRead
from mobile_contract.events import LatLon

FIELD_STAFF_MOVED = "alerts.field_staff_moved"


async def announce(session: AsyncSession, principal: Principal, status: FieldStatusRead) -> None:
    location = None
    if status.on_duty and status.lat is not None and status.lon is not None:
        location = LatLon(lat=status.lat, lon=status.lon)
    located = location is not None
    await emit(
        session,
        new_event(
            FIELD_STAFF_MOVED,
            unit_code=principal.unit_code,
            subject_id=str(principal.user_id),
            location=location,
            data={
                "user_id": str(principal.user_id),
                "on_duty": status.on_duty,
                "available": status.available,
                "lat": status.lat if located else None,
                "lon": status.lon if located else None,
                "recorded_at": None if status.recorded_at is None else status.recorded_at.isoformat(),
            },
        ),
    )
