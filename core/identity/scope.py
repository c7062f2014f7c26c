"""Which administrative units a signed-in user may see.

Admins see every unit. Officers and field staff see their own unit and, when it is a province, the wards
under it. Citizens see no unit's internal data: what they may see of their own reports is decided by the
domain that owns the reports, not by unit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Message, ProblemError
from core.identity import repository
from core.identity.principal import Principal, Role

logger = logging.getLogger("smartcity.identity")


@dataclass(frozen=True, slots=True)
class UnitScope:
    all_units: bool
    codes: frozenset[str]

    def allows(self, unit_code: str | None) -> bool:
        return self.all_units or (unit_code is not None and unit_code in self.codes)


EVERY_UNIT = UnitScope(all_units=True, codes=frozenset())
NO_UNIT = UnitScope(all_units=False, codes=frozenset())


async def unit_scope(session: AsyncSession, principal: Principal) -> UnitScope:
    if principal.role is Role.ADMIN:
        return EVERY_UNIT
    if principal.role is Role.CITIZEN or principal.unit_code is None:
        return NO_UNIT
    # The unit comes from the access token; its wards are read now, so a ward added since sign-in counts.
    children = await repository.child_unit_codes(session, principal.unit_code)
    return UnitScope(all_units=False, codes=frozenset({principal.unit_code, *children}))


def outside_unit(unit_code: str) -> ProblemError:
    return ProblemError(
        403,
        "outside_unit",
        Message(
            f"Đơn vị {unit_code} nằm ngoài phạm vi được giao cho bạn",
            f"The unit {unit_code} is outside the units assigned to you",
        ),
    )


async def ensure_can_see_unit(session: AsyncSession, principal: Principal, unit_code: str) -> None:
    """Nothing when `principal` may see `unit_code`; a 403 outside_unit problem otherwise."""
    scope = await unit_scope(session, principal)
    if not scope.allows(unit_code):
        logger.warning(
            "access outside the assigned units", extra={"user_id": str(principal.user_id), "unit": unit_code}
        )
        raise outside_unit(unit_code)
