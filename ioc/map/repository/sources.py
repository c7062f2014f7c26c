"""Where each point layer's features come from: table, joins, who sees which rows, and their properties.

A tile and a GeoJSON answer read the same source: the tile in Web Mercator (clustered or one by one), the
GeoJSON in WGS 84. Sources filter on `ST_Transform(<point>, 3857) && <envelope>` first, the expression the
GIST indexes of migration 0014 are built on, so the index narrows the rows before any other condition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ioc.dispatch.repository.field_status import BUSY
from ioc.map.filters import LayerFilters
from ioc.map.layers import LayerId
from ioc.map.levels import SCALES
from ioc.map.models import OPEN_REPORTS_SQL
from ioc.map.repository.sql import Params, any_of, conditions, equals, in_units, iso, mercator_x, mercator_y
from ioc.map.scope import MapScope
from ioc.types import SEVERITY_RANK, AlarmStatus

# Severities by rank, so that a cluster can say its most severe member: (ARRAY[...])[max(rank) + 1].
_SEVERITY_BY_RANK = (
    "ARRAY["
    + ", ".join(
        f"'{severity.value}'" for severity, _ in sorted(SEVERITY_RANK.items(), key=lambda item: item[1])
    )
    + "]"
)
_SEVERITY_RANK = (
    "CASE p.severity "
    + " ".join(f"WHEN '{severity.value}' THEN {rank}" for severity, rank in SEVERITY_RANK.items())
    + " END"
)
ACTIVE_ALARM_STATUSES = (AlarmStatus.ACTIVE_UNACKNOWLEDGED.value, AlarmStatus.ACTIVE_ACKNOWLEDGED.value)


@dataclass(frozen=True, slots=True)
class Column:
    expression: str
    # How a cluster of one keeps it: min() for text and numbers, bool_and() for booleans.
    kind: str = "text"


@dataclass(frozen=True, slots=True)
class PointSource:
    point: str  # the WGS 84 point
    tables: str  # FROM ... JOIN ...
    where: str
    columns: dict[str, Column]
    # Properties of a cluster beyond its count, as aggregates over the source's rows `p`.
    cluster_columns: dict[str, str] = field(default_factory=dict)
    # The spatial test against a Web Mercator envelope; None: the point's own 3857 index.
    spatial: Callable[[str], str] | None = None

    @property
    def mercator(self) -> str:
        return f"ST_Transform({self.point}, 3857)"

    def select(self, envelope: str, *, geometry: bool = True) -> str:
        """The source's rows in `envelope` (Web Mercator): `g` the 3857 point (or `px`, `py` its coordinates
        when `geometry` is false, for grouping), `point` the WGS 84 one, then the properties."""
        test = self.spatial(envelope) if self.spatial else f"{self.mercator} && {envelope}"
        listed = "".join(f", {column.expression} AS {name}" for name, column in self.columns.items())
        place = (
            f"{self.mercator} AS g"
            if geometry
            else f"{mercator_x(self.point)} AS px, {mercator_y(self.point)} AS py"
        )
        return (
            f"SELECT {place}, {self.point} AS point{listed}\n"
            f"FROM {self.tables}\nWHERE {test} AND {self.where}"
        )


def _levels(value: str, device_type: str) -> tuple[str, str, str]:
    """SQL for the metric, its value and its level (ioc/map/levels.py) of a device's latest state."""
    metric = (
        "CASE "
        + " ".join(
            f"WHEN {device_type} = '{t.value}' AND s.metrics ? '{s.metric}' THEN '{s.metric}'"
            for t, s in SCALES.items()
        )
        + " END"
    )
    reading = (
        "CASE "
        + " ".join(
            f"WHEN {device_type} = '{t.value}' THEN ({value}->>'{s.metric}')::float8"
            for t, s in SCALES.items()
        )
        + " END"
    )
    level = (
        "CASE "
        + " ".join(
            f"WHEN {device_type} = '{t.value}' THEN "
            + " + ".join(
                f"(({value}->>'{s.metric}')::float8 >= {threshold})::int" for threshold in s.thresholds
            )
            for t, s in SCALES.items()
        )
        + " END"
    )
    return metric, reading, level


def devices(params: Params, scope: MapScope, filters: LayerFilters) -> PointSource:
    metric, reading, level = _levels("s.metrics", "d.type")
    return PointSource(
        point="d.location",
        tables="devices AS d LEFT JOIN device_state AS s ON s.device_id = d.id",
        where=conditions(
            "d.status <> 'decommissioned'",
            in_units(params, scope, "d.ward_code", "d.province_code"),
            equals(params, "d.ward_code", filters.unit_code, "text")
            if filters.unit_code is None or len(filters.unit_code) == 5
            else equals(params, "d.province_code", filters.unit_code, "text"),
            any_of(params, "d.type", filters.types),
            equals(params, "coalesce(s.online, false)", filters.online, "boolean"),
        ),
        columns={
            "id": Column("d.id::text"),
            "type": Column("d.type"),
            "online": Column("coalesce(s.online, false)", "bool"),
            "level": Column(level, "number"),
            "metric": Column(metric),
            "value": Column(reading, "number"),
        },
        cluster_columns={"level": "max(p.level)", "offline": "count(*) FILTER (WHERE NOT p.online)"},
    )


def alarms(params: Params, scope: MapScope, filters: LayerFilters) -> PointSource:
    return PointSource(
        point="a.location",
        tables="alarms AS a",
        # Written as the partial index's predicate, which this layer always asks.
        where=conditions(
            "a.cleared_at IS NULL",
            in_units(params, scope, "a.unit_code"),
            equals(params, "a.unit_code", filters.unit_code, "text"),
            any_of(params, "a.severity", filters.severities),
            any_of(params, "a.status", filters.statuses),
        ),
        columns={
            "id": Column("a.id::text"),
            "severity": Column("a.severity"),
            "status": Column("a.status"),
            "title": Column("a.title_vi"),
            "title_en": Column("a.title_en"),
            "unit_code": Column("a.unit_code"),
            "raised_at": Column(iso("a.raised_at")),
        },
        cluster_columns={"severity": f"({_SEVERITY_BY_RANK})[max({_SEVERITY_RANK}) + 1]"},
    )


def incidents(params: Params, scope: MapScope, filters: LayerFilters) -> PointSource:
    return PointSource(
        point="ST_PointOnSurface(i.footprint)",
        tables="incidents AS i",
        where=conditions(
            "i.status = 'open'",
            in_units(params, scope, "i.unit_code"),
            equals(params, "i.unit_code", filters.unit_code, "text"),
        ),
        columns={
            "id": Column("i.id::text"),
            "status": Column("i.status"),
            "title": Column("i.title_vi"),
            "title_en": Column("i.title_en"),
            "alarms": Column("i.alarm_count", "number"),
            "reports": Column("i.report_count", "number"),
        },
        # Few rows: the footprint's own (4326) index answers the box.
        spatial=lambda envelope: f"i.footprint && ST_Transform({envelope}, 4326)",
    )


def reports(params: Params, scope: MapScope, filters: LayerFilters) -> PointSource:
    # Open reports unless a status filter asks for others; the literal list matches the partial index.
    status = any_of(params, "r.status", filters.statuses) if filters.statuses else OPEN_REPORTS_SQL
    # The public view: what the public feed shows (public, not merged), never who filed it.
    who = in_units(params, scope, "r.unit_code") if scope.staff else "r.is_public"
    return PointSource(
        point="r.location",
        tables="feedback_reports AS r",
        where=conditions(
            status,
            "r.merged_into_id IS NULL",
            who,
            equals(params, "r.unit_code", filters.unit_code, "text"),
            any_of(params, "r.category_code", filters.categories),
        ),
        columns={
            "id": Column("r.id::text"),
            "category": Column("r.category_code"),
            "status": Column("r.status"),
            "created_at": Column(iso("r.created_at")),
        },
    )


def field_staff(
    params: Params, scope: MapScope, filters: LayerFilters, *, position_ttl_seconds: int
) -> PointSource:
    fresh_after = f"now() - make_interval(secs => {params.add(position_ttl_seconds, 'int')})"
    return PointSource(
        point="s.position",
        tables="field_staff_status AS s JOIN users AS u ON u.id = s.user_id",
        where=conditions(
            f"s.on_duty AND s.position_at >= {fresh_after}",
            "u.role = 'field_staff' AND u.is_active AND u.deleted_at IS NULL",
            in_units(params, scope, "u.unit_code"),
            equals(params, "u.unit_code", filters.unit_code, "text"),
            equals(params, f"NOT {BUSY}", filters.available, "boolean"),
        ),
        columns={
            "id": Column("s.user_id::text"),
            "name": Column("u.display_name"),
            "available": Column(f"NOT {BUSY}", "bool"),
            "updated_at": Column(iso("s.position_at")),
        },
    )


def recent_reports(params: Params, scope: MapScope, filters: LayerFilters) -> str:
    """Hotspots' reports: unmerged, of the caller's units, created in the last `filters.days` days.

    The days are written as a literal (an int of 1..365, checked by the route) so that the planner knows how
    few rows the period holds and reads them through ix_map_reports_created."""
    return conditions(
        f"r.created_at >= now() - make_interval(days => {int(filters.days)})",
        "r.merged_into_id IS NULL",
        in_units(params, scope, "r.unit_code"),
        equals(params, "r.unit_code", filters.unit_code, "text"),
        any_of(params, "r.category_code", filters.categories),
    )


def recent_days(params: Params, scope: MapScope, filters: LayerFilters) -> str:
    """Hotspots' counts in map_report_days (alias d): of the caller's units, from the UTC day `filters.days`
    days ago (a literal, as in recent_reports). The counts have no category: a filter on categories reads
    the reports (recent_reports)."""
    return conditions(
        f"d.day >= (now() AT TIME ZONE 'UTC')::date - {int(filters.days)}",
        in_units(params, scope, "d.unit_code"),
        equals(params, "d.unit_code", filters.unit_code, "text"),
    )


def in_bounds(params: Params, bounds: tuple[float, float, float, float]) -> str:
    """Hotspots' reports in a box (west, south, east, north in degrees), as plain comparisons of the
    coordinates that the period's rows pass after ix_map_reports_created found them. That index carries the
    location, unit and category, so the period is read from the index alone (no visit to the table): on a
    province of a million reports a city's tile through the 3857 index read every report the box ever had,
    and its tail was ten times slower."""
    west, south, east, north = (params.add(value, "float8") for value in bounds)
    return f"ST_X(r.location) BETWEEN {west} AND {east} AND ST_Y(r.location) BETWEEN {south} AND {north}"


SourceBuilder = Callable[[Params, MapScope, LayerFilters], PointSource]


def point_source(
    layer_id: LayerId, params: Params, scope: MapScope, filters: LayerFilters, *, position_ttl_seconds: int
) -> PointSource:
    if layer_id is LayerId.FIELD_STAFF:
        return field_staff(params, scope, filters, position_ttl_seconds=position_ttl_seconds)
    builders: dict[LayerId, SourceBuilder] = {
        LayerId.DEVICES: devices,
        LayerId.ALARMS: alarms,
        LayerId.INCIDENTS: incidents,
        LayerId.REPORTS: reports,
    }
    return builders[layer_id](params, scope, filters)
