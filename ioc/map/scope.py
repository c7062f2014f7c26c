"""Who sees what on the map: the caller's units, or the public view.

A `MapScope` is what every layer query filters on:
- `MapScope.everything()` for an admin: every unit, staff view;
- `MapScope.of_units({"37", "37001", ...})` for staff of those units (an officer of a province gets the
  province and its wards, as core/identity/scope.py says): staff view, only those units' rows;
- `MapScope.under_unit("37")` for staff of a unit as their token names it: the query itself adds the
  unit's wards, so no lookup precedes it;
- `PUBLIC_SCOPE` for anonymous callers and citizens: public layers only, the public view of reports.
`token_scope(principal)` builds the right one from the request's caller without a query;
`map_scope(session, principal)` reads the units, for a unit filter to be checked against them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Principal, Role
from core.identity.scope import UnitScope, outside_unit, unit_scope


@dataclass(frozen=True, slots=True)
class MapScope:
    # Staff see staff layers and the staff view of reports; the public never does.
    staff: bool
    all_units: bool
    unit_codes: frozenset[str]
    # A unit whose own rows and whose wards' rows are seen, resolved by the layer's query itself (the
    # caller's unit from his token), so that a tile costs one round trip; None when `unit_codes` says all.
    under: str | None = None

    @classmethod
    def everything(cls) -> MapScope:
        return cls(staff=True, all_units=True, unit_codes=frozenset())

    @classmethod
    def of_units(cls, codes: frozenset[str] | set[str]) -> MapScope:
        return cls(staff=True, all_units=False, unit_codes=frozenset(codes))

    @classmethod
    def under_unit(cls, unit_code: str) -> MapScope:
        """Staff of `unit_code`: it and, for a province, its wards (as core/identity/scope.py decides)."""
        return cls(staff=True, all_units=False, unit_codes=frozenset(), under=unit_code)

    @classmethod
    def of(cls, units: UnitScope) -> MapScope:
        return cls.everything() if units.all_units else cls.of_units(units.codes)

    def allows(self, unit_code: str) -> bool:
        return self.staff and (self.all_units or unit_code in self.unit_codes)

    def narrowed_to(self, unit_code: str | None) -> MapScope:
        """The scope limited to the one unit a filter asks for; 403 outside_unit beyond the caller's units."""
        if unit_code is None:
            return self
        if not self.allows(unit_code):
            raise outside_unit(unit_code)
        return MapScope.of_units({unit_code})

    @property
    def codes(self) -> list[str]:
        """The unit codes as a sorted list, the form queries bind."""
        return sorted(self.unit_codes)


PUBLIC_SCOPE = MapScope(staff=False, all_units=False, unit_codes=frozenset())


async def map_scope(session: AsyncSession, principal: Principal | None) -> MapScope:
    """Staff and admins by their units (read now, for a unit filter to be checked against); anonymous
    callers and citizens see the public view."""
    if principal is None or not principal.is_staff:
        return PUBLIC_SCOPE
    return MapScope.of(await unit_scope(session, principal))


def token_scope(principal: Principal | None) -> MapScope:
    """The same scope without reading the database: the caller's unit, its wards found by the query."""
    if principal is None or not principal.is_staff:
        return PUBLIC_SCOPE
    if principal.role is Role.ADMIN:
        return MapScope.everything()
    if principal.unit_code is None:
        return MapScope.of_units(set())
    return MapScope.under_unit(principal.unit_code)
