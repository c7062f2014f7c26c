"""Import administrative units from a GeoJSON FeatureCollection, all or nothing.

Every feature is checked before anything is written, and every problem is reported (not only the first),
each with the 0-based index of its feature, so that one run tells the operator everything to fix in the file.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import create_engine, create_sessionmaker
from core.settings import Settings
from core.units import repository
from core.units.models import UnitLevel
from core.units.repository import UnitWrite

WHOLE_FILE = -1
# Share of a ward's area allowed outside its province: boundaries from different sources rarely match exactly.
OUTSIDE_PARENT_TOLERANCE = 0.01
NAME_MAX_LENGTH = 200
CODE_PATTERNS: Mapping[UnitLevel, re.Pattern[str]] = {
    UnitLevel.PROVINCE: re.compile(r"^[0-9]{2}$"),
    UnitLevel.WARD: re.compile(r"^[0-9]{5}$"),
}
# GeoJSON (RFC 7946) is WGS 84 longitude/latitude; older files may still name it.
ACCEPTED_CRS = frozenset(
    {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "EPSG:4326", "urn:ogc:def:crs:EPSG::4326"}
)


@dataclass(frozen=True, slots=True)
class ImportProblem:
    index: int  # 0-based feature index, or -1 for the file as a whole
    reason: str


class UnitImportError(Exception):
    def __init__(self, problems: Sequence[ImportProblem]) -> None:
        self.problems: tuple[ImportProblem, ...] = tuple(problems)
        # The message stays readable for a file with thousands of bad features; `problems` has them all.
        shown = "; ".join(f"feature {p.index}: {p.reason}" for p in self.problems[:5])
        more = len(self.problems) - 5
        super().__init__(f"{shown}; and {more} more" if more > 0 else shown)


@dataclass(frozen=True, slots=True)
class ValidUnit:
    index: int
    code: str
    name: str
    name_en: str
    level: UnitLevel
    parent_code: str | None
    boundary: MultiPolygon
    demo_geometry: bool

    def to_write(self) -> UnitWrite:
        return UnitWrite(
            code=self.code,
            name=self.name,
            name_en=self.name_en,
            level=self.level,
            parent_code=self.parent_code,
            boundary_wkb=shapely.to_wkb(self.boundary),
            demo_geometry=self.demo_geometry,
        )


class _InvalidError(Exception):
    """One reason a geometry cannot be read; collected into the feature's problem."""


def _array(value: Any) -> bool:
    """A JSON array as parsed (list), or as built in Python, e.g. by shapely's mapping() (tuple)."""
    return isinstance(value, list | tuple)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _ring(raw: Any, where: str) -> list[tuple[float, float]]:
    if not _array(raw):
        raise _InvalidError(f"{where} is not an array of positions")
    points: list[tuple[float, float]] = []
    for position in raw:
        if not _array(position) or not 2 <= len(position) <= 3 or not all(map(_number, position)):
            raise _InvalidError(f"{where} has a position that is not [lon, lat] numbers: {position!r:.60}")
        lon, lat = float(position[0]), float(position[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise _InvalidError(
                f"{where} has a position out of range (lon -180..180, lat -90..90): [{lon}, {lat}]"
            )
        points.append((lon, lat))
    if len(points) < 4:
        raise _InvalidError(f"{where} has {len(points)} positions; a ring needs at least 4")
    if points[0] != points[-1]:
        raise _InvalidError(f"{where} is not closed (its first and last positions differ)")
    return points


def _polygon(raw: Any, where: str) -> Polygon:
    if not _array(raw) or not raw:
        raise _InvalidError(f"{where} has no rings")
    rings = [_ring(ring, f"ring {i} of {where}") for i, ring in enumerate(raw)]
    return Polygon(rings[0], rings[1:])


def read_geometry(raw: Any) -> MultiPolygon:
    """A GeoJSON Polygon or MultiPolygon as a valid shapely MultiPolygon (a Polygon is promoted)."""
    if not isinstance(raw, dict):
        raise _InvalidError("geometry is missing")
    kind, coordinates = raw.get("type"), raw.get("coordinates")
    if kind not in ("Polygon", "MultiPolygon"):
        raise _InvalidError(f"geometry type must be Polygon or MultiPolygon, not {kind!r}")
    if not _array(coordinates) or not coordinates:
        raise _InvalidError("geometry is empty")
    if kind == "Polygon":
        shape = MultiPolygon([_polygon(coordinates, "the polygon")])
    else:
        shape = MultiPolygon([_polygon(part, f"polygon {i}") for i, part in enumerate(coordinates)])
    if shape.is_empty:
        raise _InvalidError("geometry is empty")
    if not shape.is_valid:
        # GEOS names the fault and where it is, e.g. "Self-intersection[106.18 20.43]".
        raise _InvalidError(f"geometry is not valid: {shapely.is_valid_reason(shape)}")
    if shape.area == 0:
        raise _InvalidError("geometry has no area")
    return shape


def _text(properties: Mapping[str, Any], key: str, reasons: list[str]) -> str:
    value = properties.get(key)
    if not isinstance(value, str) or not value.strip():
        reasons.append(f"property {key!r} must be a non-empty string")
        return ""
    if len(value) > NAME_MAX_LENGTH:
        reasons.append(f"property {key!r} is longer than {NAME_MAX_LENGTH} characters")
    return value.strip()


@dataclass(slots=True)
class _Draft:
    """A feature read on its own, before the checks that need the other features."""

    index: int
    code: str | None
    level: UnitLevel | None
    parent_code: str | None
    reasons: list[str]
    unit: ValidUnit | None = None


def _read_feature(index: int, feature: Any) -> _Draft:
    reasons: list[str] = []
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return _Draft(index, None, None, None, ["not a GeoJSON Feature"])
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        properties = {}
        reasons.append("properties are missing")

    level: UnitLevel | None = None
    raw_level = properties.get("level")
    if isinstance(raw_level, str) and raw_level in {member.value for member in UnitLevel}:
        level = UnitLevel(raw_level)
    else:
        reasons.append(f"property 'level' must be 'province' or 'ward', not {raw_level!r:.40}")

    code = properties.get("code")
    if not isinstance(code, str):
        reasons.append("property 'code' must be a string")
        code = None
    elif level is not None and not CODE_PATTERNS[level].match(code):
        digits = 2 if level is UnitLevel.PROVINCE else 5
        reasons.append(f"code {code!r} must be {digits} digits for a {level.value}")

    parent_code = properties.get("parent_code")
    if level is UnitLevel.PROVINCE and parent_code is not None:
        reasons.append("a province must not have a parent_code")
    elif level is UnitLevel.WARD and (
        not isinstance(parent_code, str) or not CODE_PATTERNS[UnitLevel.PROVINCE].match(parent_code)
    ):
        reasons.append("a ward needs a parent_code: the 2-digit code of its province")
        parent_code = None
    if not isinstance(parent_code, str):
        parent_code = None

    name, name_en = _text(properties, "name", reasons), _text(properties, "name_en", reasons)
    demo = properties.get("demo_geometry", False)
    if not isinstance(demo, bool):
        reasons.append("property 'demo_geometry' must be true or false")

    boundary: MultiPolygon | None = None
    try:
        boundary = read_geometry(feature.get("geometry"))
    except _InvalidError as exc:
        reasons.append(str(exc))

    draft = _Draft(index, code, level, parent_code, reasons)
    if not reasons and code is not None and level is not None and boundary is not None:
        draft.unit = ValidUnit(index, code, name, name_en, level, parent_code, boundary, bool(demo))
    return draft


def _features(document: Any) -> list[Any]:
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise UnitImportError([ImportProblem(WHOLE_FILE, "the file is not a GeoJSON FeatureCollection")])
    crs = document.get("crs")
    if crs is not None:
        crs_properties = crs.get("properties") if isinstance(crs, dict) else None
        name = crs_properties.get("name") if isinstance(crs_properties, dict) else None
        if name not in ACCEPTED_CRS:
            raise UnitImportError(
                [
                    ImportProblem(
                        WHOLE_FILE,
                        f"coordinates must be WGS 84 longitude/latitude (CRS84), not {name or crs!r}",
                    )
                ]
            )
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise UnitImportError([ImportProblem(WHOLE_FILE, "the collection has no features")])
    return features


def referenced_parents(document: Any) -> set[str]:
    """Parent codes named by the document's features, read leniently (validation reports bad ones)."""
    features = document.get("features") if isinstance(document, dict) else None
    codes: set[str] = set()
    for feature in features if isinstance(features, list) else []:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        parent = properties.get("parent_code") if isinstance(properties, dict) else None
        if isinstance(parent, str):
            codes.add(parent)
    return codes


def validate_units(document: Any, stored_provinces: Mapping[str, Any] | None = None) -> list[ValidUnit]:
    """Check a parsed GeoJSON document and return its units, or raise UnitImportError with every problem.

    `stored_provinces` maps codes of provinces already in the database to their boundaries (shapely), so
    that a file of wards can name a province it does not carry.
    """
    drafts = [_read_feature(index, feature) for index, feature in enumerate(_features(document))]

    first_seen: dict[str, int] = {}
    for draft in drafts:
        if draft.code is None:
            continue
        if draft.code in first_seen:
            draft.reasons.append(f"duplicate code {draft.code} (first at feature {first_seen[draft.code]})")
        else:
            first_seen[draft.code] = draft.index

    in_file = {d.code: d for d in drafts if d.level is UnitLevel.PROVINCE and d.code is not None}
    stored = stored_provinces or {}
    for draft in drafts:
        if draft.level is not UnitLevel.WARD or draft.parent_code is None:
            continue
        parent_draft = in_file.get(draft.parent_code)
        if parent_draft is None and draft.parent_code not in stored:
            draft.reasons.append(
                f"parent province {draft.parent_code} is neither in the file nor in the database"
            )
            continue
        if parent_draft is not None:
            parent = parent_draft.unit.boundary if parent_draft.unit is not None else None
        else:
            parent = stored[draft.parent_code]
        if parent is not None and draft.unit is not None:
            outside = _share_outside(draft.unit.boundary, parent)
            if outside > OUTSIDE_PARENT_TOLERANCE:
                draft.reasons.append(
                    f"the ward lies {outside:.1%} outside its province {draft.parent_code} "
                    f"(at most {OUTSIDE_PARENT_TOLERANCE:.0%} is tolerated)"
                )

    problems = [ImportProblem(d.index, "; ".join(d.reasons)) for d in drafts if d.reasons]
    if problems:
        raise UnitImportError(problems)
    return [draft.unit for draft in drafts if draft.unit is not None]


def _share_outside(ward: MultiPolygon, province: Any) -> float:
    shapely.prepare(province)
    if province.covers(ward):
        return 0.0
    return float(ward.difference(province).area / ward.area)


async def import_units(session: AsyncSession, document: Any) -> int:
    """Validate and upsert the document's units in the session's transaction (never commits); returns how
    many units the document holds.

    Nothing is written when any feature is invalid.
    """
    wanted = referenced_parents(document)
    stored = {
        code: shapely.from_wkb(wkb)
        for code, wkb in (await repository.province_boundaries(session, wanted)).items()
    }
    valid = validate_units(document, stored)
    await repository.upsert_units(session, [unit.to_write() for unit in valid])
    return len(valid)


def read_document(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except OSError as exc:
        problem = ImportProblem(WHOLE_FILE, f"cannot read {path}: {exc.strerror or exc}")
        raise UnitImportError([problem]) from exc
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise UnitImportError([ImportProblem(WHOLE_FILE, f"not valid JSON: {exc}")]) from exc


async def import_units_file(settings: Settings, path: Path) -> int:
    """Import a GeoJSON file into the configured database in one transaction, committed only when every
    feature is valid."""
    document = read_document(path)
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            return await import_units(session, document)
    finally:
        await engine.dispose()
