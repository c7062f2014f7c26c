"""The one set of rules for a `bbox` parameter, and the box around a circle."""

from __future__ import annotations

import pytest

from core.bbox import BBox, Circle, parse_bbox
from core.errors import ProblemError


def test_a_box_is_read_in_geojson_order() -> None:
    assert parse_bbox("106.14,20.40,106.22,20.46") == BBox(106.14, 20.40, 106.22, 20.46)


@pytest.mark.parametrize(
    "text",
    [
        "106.22,20.40,106.14,20.46",  # min_lon above max_lon
        "106.14,20.46,106.22,20.40",  # min_lat above max_lat
        "106.14,20.40,106.14,20.46",  # no width
        "-181,20.40,106.22,20.46",
        "106.14,-91,106.22,20.46",
        "106.14,20.40,181,20.46",
        "nan,20.40,106.22,20.46",
        "106.14,20.40,inf,20.46",
        "106.14,20.40,106.22",
        "106.14,20.40,106.22,20.46,1",
        "a,b,c,d",
        "",
    ],
)
def test_a_malformed_inverted_or_out_of_range_box_is_a_validation_error(text: str) -> None:
    with pytest.raises(ProblemError) as raised:
        parse_bbox(text)
    assert (raised.value.status, raised.value.code) == (422, "validation_error")
    assert raised.value.extensions["errors"][0]["location"] == ["query", "bbox"]


@pytest.mark.parametrize("text", ["105.0,20.0,106.6,20.5", "106.0,19.0,106.5,20.6"])
def test_a_box_larger_than_a_province_is_refused_with_its_own_code(text: str) -> None:
    with pytest.raises(ProblemError) as raised:
        parse_bbox(text)
    assert (raised.value.status, raised.value.code) == (422, "area_too_large")


def test_a_box_of_exactly_the_limit_is_accepted() -> None:
    assert parse_bbox("105.0,20.0,106.5,21.5") == BBox(105.0, 20.0, 106.5, 21.5)


def test_the_box_of_a_circle_holds_it_and_stays_in_range() -> None:
    box = Circle(lat=20.43, lon=106.175, radius_m=1000).bbox()
    assert box.min_lon < 106.175 < box.max_lon
    assert box.min_lat < 20.43 < box.max_lat
    # About 0.009° of latitude per kilometre.
    assert 0.017 < box.max_lat - box.min_lat < 0.019
    edge = Circle(lat=89.99, lon=179.99, radius_m=20_000).bbox()
    assert edge.max_lat == 90.0
    assert edge.max_lon == 180.0
