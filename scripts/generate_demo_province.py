"""Write data/demo_province.geojson: the wards of the former Nam Định city, inside Ninh Bình province (37).

Names and codes are the national statistics office's. No official boundaries are available offline, so
the geometry is generated: an irregular outline of the former city area, cut along a meandering line standing
for the Đào river (Hồng Quang lies across it, to the south-east), the rest divided among the other wards by
Voronoi cells of seed points scattered around each ward's approximate centre. The province feature is the
union of the wards: the demo province covers only this area, not the whole of Ninh Bình.

Every feature is marked `demo_geometry: true`. The output is deterministic (fixed random seed) and checked
before it is written: valid polygons, wards that tile the outline with shared edges (no gap, no overlap),
coordinates on a grid of 1e-6 degrees (about 0.1 m).

Run: .venv/bin/python scripts/generate_demo_province.py [OUTPUT]
"""

from __future__ import annotations

import json
import math
import random
import sys
from collections.abc import Iterable, Sequence
from itertools import combinations, pairwise
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import LineString, MultiPoint, Point, Polygon
from shapely.geometry.polygon import orient
from shapely.ops import polygonize, split

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "data" / "demo_province.geojson"

PROVINCE = ("37", "Ninh Bình", "Ninh Binh Province")
GRID = 1e-6
DECIMALS = 6
SEED = 3766

Coordinate = tuple[float, float]

# (code, name, English name, approximate centre as lon, lat). Hồng Quang has no centre: it is everything
# across the river.
WARDS: tuple[tuple[str, str, str, Coordinate | None], ...] = (
    ("13666", "Phường Nam Định", "Nam Dinh Ward", (106.176, 20.433)),
    ("13684", "Phường Thiên Trường", "Thien Truong Ward", (106.170, 20.462)),
    ("13693", "Phường Đông A", "Dong A Ward", (106.212, 20.452)),
    ("13699", "Phường Thành Nam", "Thanh Nam Ward", (106.152, 20.402)),
    ("13735", "Phường Mỹ Lộc", "My Loc Ward", (106.122, 20.472)),
    ("13777", "Phường Trường Thi", "Truong Thi Ward", (106.190, 20.413)),
    ("13972", "Phường Vị Khê", "Vi Khe Ward", (106.115, 20.425)),
    ("13984", "Phường Hồng Quang", "Hong Quang Ward", None),
)
ACROSS_RIVER = "13984"

# The former city area, clockwise from the north-west; the east side follows the Red River.
OUTLINE: tuple[Coordinate, ...] = (
    (106.094, 20.468),
    (106.104, 20.487),
    (106.124, 20.497),
    (106.148, 20.492),
    (106.168, 20.486),
    (106.190, 20.480),
    (106.214, 20.473),
    (106.233, 20.463),
    (106.247, 20.449),
    (106.245, 20.431),
    (106.240, 20.411),
    (106.236, 20.393),
    (106.228, 20.379),
    (106.206, 20.373),
    (106.181, 20.371),
    (106.156, 20.373),
    (106.136, 20.381),
    (106.116, 20.392),
    (106.101, 20.405),
    (106.093, 20.425),
    (106.097, 20.444),
    (106.092, 20.457),
)

# The Đào river, from the Red River in the north-east to beyond the southern edge.
RIVER: tuple[Coordinate, ...] = (
    (106.258, 20.455),
    (106.238, 20.440),
    (106.222, 20.431),
    (106.210, 20.417),
    (106.196, 20.404),
    (106.180, 20.398),
    (106.166, 20.389),
    (106.155, 20.377),
    (106.150, 20.362),
)


def wiggle(
    points: Sequence[Coordinate], rng: random.Random, *, depth: int, roughness: float, closed: bool
) -> list[Coordinate]:
    """Midpoint displacement: each segment gains a midpoint pushed sideways, so lines look surveyed."""
    result = list(points)
    for _ in range(depth):
        refined: list[Coordinate] = []
        pairs = zip(result, result[1:] + result[:1], strict=True) if closed else pairwise(result)
        for (x0, y0), (x1, y1) in pairs:
            length = math.hypot(x1 - x0, y1 - y0)
            offset = rng.uniform(-roughness, roughness) * length
            # The normal of the segment, scaled by the offset.
            nx, ny = (y0 - y1) / length, (x1 - x0) / length
            refined.append((x0, y0))
            refined.append(((x0 + x1) / 2 + nx * offset, (y0 + y1) / 2 + ny * offset))
        if not closed:
            refined.append(result[-1])
        result = refined
    return result


def build_outline(rng: random.Random) -> Polygon:
    outline = Polygon(wiggle(OUTLINE, rng, depth=3, roughness=0.12, closed=True))
    if not outline.is_valid:
        raise SystemExit(f"generated outline is not valid: {shapely.is_valid_reason(outline)}")
    return outline


def split_by_river(outline: Polygon, rng: random.Random) -> tuple[Polygon, Polygon]:
    """The outline cut along the river: (the city side, the side across the river)."""
    river = LineString(wiggle(RIVER, rng, depth=3, roughness=0.18, closed=False))
    pieces = list(split(outline, river).geoms)
    if len(pieces) != 2:
        raise SystemExit(f"the river must cut the outline in two, not {len(pieces)}")
    # The piece across the river is the one that holds the outline's south-eastern corner.
    corner = Point(106.232, 20.386)
    across = min(pieces, key=lambda piece: piece.distance(corner))
    city = next(piece for piece in pieces if piece is not across)
    return city, across


def scatter_seeds(rng: random.Random, city: Polygon) -> list[tuple[str, Point]]:
    """Each ward gets its centre and a few nearby points, so its edges are broken lines, not single cuts."""
    seeds: list[tuple[str, Point]] = []
    for code, name, _, centre in WARDS:
        if centre is None:
            continue
        points = [Point(centre)]
        while len(points) < 5:
            angle = rng.uniform(0, 2 * math.pi)
            radius = rng.uniform(0.003, 0.008)
            candidate = Point(centre[0] + radius * math.cos(angle), centre[1] + radius * math.sin(angle))
            if city.contains(candidate):
                points.append(candidate)
        if not city.contains(points[0]):
            raise SystemExit(f"the centre of {name} is not on the city side of the river")
        seeds.extend((code, point) for point in points)
    return seeds


def divide(city: Polygon, seeds: Sequence[tuple[str, Point]]) -> dict[str, Any]:
    cells = shapely.voronoi_polygons(
        MultiPoint([point for _, point in seeds]), extend_to=city.envelope.buffer(0.05), ordered=True
    )
    parts: dict[str, list[Any]] = {}
    for (code, _), cell in zip(seeds, cells.geoms, strict=True):
        parts.setdefault(code, []).append(cell.intersection(city))
    return {code: shapely.unary_union(pieces) for code, pieces in parts.items()}


def snap_to_grid(pieces: dict[str, Any]) -> dict[str, Polygon]:
    """Round every vertex to the grid without opening gaps or overlaps.

    Rounding each polygon on its own could move the two copies of a shared edge differently. Instead the
    edges of all wards are noded into one planar graph, the graph is rounded once, faces are rebuilt from it
    and each face goes back to the ward it came from: neighbours share the very same rounded edges.
    """
    # A union with a grid size snap-rounds: a segment passing through the pixel of a rounded vertex is bent
    # through that vertex too, so nearly coincident edges become one edge instead of leaving slivers.
    rounded = shapely.unary_union([piece.boundary for piece in pieces.values()], grid_size=GRID)
    faces = list(polygonize(list(getattr(rounded, "geoms", [rounded]))))
    owned: dict[str, list[Polygon]] = {code: [] for code in pieces}
    for face in faces:
        owner = max(pieces, key=lambda code: pieces[code].intersection(face).area)
        owned[owner].append(face)
    result: dict[str, Polygon] = {}
    for code, ward_faces in owned.items():
        merged = shapely.unary_union(ward_faces, grid_size=GRID)
        if not isinstance(merged, Polygon):
            raise SystemExit(f"ward {code} is not one piece after rounding ({merged.geom_type})")
        result[code] = orient(merged, sign=1.0)
    return result


def rounded_coordinates(polygon: Polygon) -> list[list[list[float]]]:
    rings = [polygon.exterior, *polygon.interiors]
    return [[[round(x, DECIMALS), round(y, DECIMALS)] for x, y in ring.coords] for ring in rings]


def feature(
    code: str, name: str, name_en: str, level: str, parent: str | None, polygons: Iterable[Polygon]
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {
            "code": code,
            "name": name,
            "name_en": name_en,
            "level": level,
            "parent_code": parent,
            "demo_geometry": True,
        },
        "geometry": {"type": "MultiPolygon", "coordinates": [rounded_coordinates(p) for p in polygons]},
    }


def build() -> dict[str, Any]:
    rng = random.Random(SEED)
    outline = build_outline(rng)
    city, across = split_by_river(outline, rng)
    pieces = divide(city, scatter_seeds(rng, city))
    pieces[ACROSS_RIVER] = across
    wards = snap_to_grid(pieces)
    province = shapely.unary_union(list(wards.values()), grid_size=GRID)
    province_parts = [orient(p, sign=1.0) for p in getattr(province, "geoms", [province])]
    features = [feature(*PROVINCE, "province", None, province_parts)]
    for code, name, name_en, _ in sorted(WARDS):
        features.append(feature(code, name, name_en, "ward", PROVINCE[0], [wards[code]]))
    return {
        "type": "FeatureCollection",
        "metadata": {
            "demo_geometry": True,
            "note": (
                "Demo data. Names and codes of the wards of the former Nam Định city are the national "
                "statistics office's (Ninh Bình province, since 1 July 2025); the boundaries are generated, "
                "not official boundaries. The province feature is the union of these wards only, not the "
                "whole of Ninh Bình."
            ),
            "generator": "scripts/generate_demo_province.py",
        },
        "features": features,
    }


def verify(document: dict[str, Any]) -> None:
    """Check the document as written (after rounding), the way a reader of the file will see it."""
    shapes = {f["properties"]["code"]: shapely.geometry.shape(f["geometry"]) for f in document["features"]}
    for code, shape in shapes.items():
        if not shape.is_valid:
            raise SystemExit(f"{code}: {shapely.is_valid_reason(shape)}")
    wards = [shape for code, shape in shapes.items() if len(code) == 5]
    if not shapely.coverage_is_valid(wards):
        raise SystemExit("the wards do not form a clean coverage (edges do not match)")
    for a, b in combinations(wards, 2):
        if a.intersection(b).area > 0:
            raise SystemExit("two wards overlap")
    if shapely.unary_union(wards).symmetric_difference(shapes[PROVINCE[0]]).area > 1e-12:
        raise SystemExit("the wards do not add up to the province")


def write(document: dict[str, Any], path: Path) -> None:
    # One feature per line: small diffs when the generator changes, and still readable.
    header = {key: value for key, value in document.items() if key != "features"}
    lines = [json.dumps(header, ensure_ascii=False)[:-1] + ', "features": [']
    features = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in document["features"]]
    lines.append(",\n".join(features))
    lines.append("]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: Sequence[str]) -> int:
    output = Path(argv[0]) if argv else DEFAULT_OUTPUT
    document = build()
    write(document, output)
    verify(json.loads(output.read_text(encoding="utf-8")))
    print(f"wrote {output} ({len(document['features'])} features)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
