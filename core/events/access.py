"""Who may receive which events: one table from role to topics, and the units a principal may see.

Officers and field staff only ever receive events of their units: their own unit and, when it is a province,
its wards. Admins see every unit. Citizens receive only public topics (announcements, warnings), of any unit;
an event for no particular unit (unit_code null) reaches only those whose reach is every unit. Public
warnings are public: everyone receives them, of every unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Principal, Role
from core.identity.scope import unit_scope
from mobile_contract.events import Topic


class Reach(Enum):
    EVERY_UNIT = "every_unit"
    OWN_UNITS = "own_units"


TOPIC_ACCESS: Mapping[Role, Mapping[Topic, Reach]] = {
    Role.ADMIN: {topic: Reach.EVERY_UNIT for topic in Topic},
    Role.OFFICER: {
        Topic.FEEDBACK: Reach.OWN_UNITS,
        Topic.ALERTS: Reach.OWN_UNITS,
        Topic.DEVICES: Reach.OWN_UNITS,
        Topic.DOSSIERS: Reach.OWN_UNITS,
        Topic.ANNOUNCEMENTS: Reach.OWN_UNITS,
        Topic.WARNINGS: Reach.EVERY_UNIT,
    },
    Role.FIELD_STAFF: {
        Topic.FEEDBACK: Reach.OWN_UNITS,
        Topic.ALERTS: Reach.OWN_UNITS,
        Topic.ANNOUNCEMENTS: Reach.OWN_UNITS,
        Topic.WARNINGS: Reach.EVERY_UNIT,
    },
    # Reports, alerts, devices and dossiers name people or places that are not public.
    Role.CITIZEN: {Topic.ANNOUNCEMENTS: Reach.EVERY_UNIT, Topic.WARNINGS: Reach.EVERY_UNIT},
}


def allowed_topics(role: Role) -> list[Topic]:
    return [topic for topic in Topic if topic in TOPIC_ACCESS[role]]


async def own_units(session: AsyncSession, principal: Principal) -> frozenset[str]:
    """The units whose events a staff member may see (read once per connection, not per event)."""
    return (await unit_scope(session, principal)).codes


# The routing key of a subscription that takes events of every unit (including those of no unit).
EVERY = ""


def routing_units(reach: Reach, own: frozenset[str], wanted: frozenset[str] | None) -> frozenset[str]:
    """The unit codes a subscription to one topic listens on; EVERY stands for all units.

    `wanted` is the client's unit_codes filter (None: no filter). A filter never widens what a principal
    may see, and units outside its reach are simply not listened on.
    """
    if reach is Reach.EVERY_UNIT:
        return frozenset({EVERY}) if wanted is None else wanted
    return own if wanted is None else own & wanted


# Event types narrower than their topic: only these roles receive them. A field worker's position is for the
# officers who dispatch (and admins), not for his colleagues on the same alerts topic.
TYPE_AUDIENCE: Mapping[str, frozenset[Role]] = {
    "alerts.field_staff_moved": frozenset({Role.OFFICER, Role.ADMIN}),
}


def may_receive(role: Role | None, event_type: str) -> bool:
    audience = TYPE_AUDIENCE.get(event_type)
    return audience is None or (role is not None and role in audience)
