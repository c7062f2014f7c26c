"""The linking pairs file: read and checked at start, its categories those of the seeded catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from feedback.catalogue.models import FeedbackCategory
from ioc.incidents.links import LINKS_FILE, LinksDocument, current_links, read_links, table_of

GOOD_PAIR: dict[str, Any] = {
    "alarm": "flood",
    "with_report": "flooding",
    "distance_m": 300,
    "window_minutes": 60,
}


async def test_every_category_of_the_file_is_a_seeded_category(catalogue: AsyncSession) -> None:
    seeded = set((await catalogue.scalars(select(col(FeedbackCategory.code)))).all())
    named = current_links().category_codes()
    assert named, "the file pairs alarms with report categories"
    assert named - seeded == set()


def test_the_shipped_file_reads_and_pairs_work_both_ways() -> None:
    links = read_links(LINKS_FILE)
    assert links.footprint_buffer_m > 0
    assert "air_quality" in links.for_alarm("fire").alarms
    assert "fire" in links.for_alarm("air_quality").alarms
    assert links.for_alarm("flood").reports["flooding"].window_seconds == 240 * 60
    assert "flood" in links.for_report("flooding").alarms
    assert not links.for_report("lighting")
    assert not links.for_alarm("no_such_type")


@pytest.mark.parametrize(
    "pair",
    [
        {**GOOD_PAIR, "with_alarm": "flood"},  # two partners
        {key: value for key, value in GOOD_PAIR.items() if key != "with_report"},  # none
        {**GOOD_PAIR, "distance_m": 0},
        {**GOOD_PAIR, "distance_m": 50_000},
        {**GOOD_PAIR, "window_minutes": 0},
        {**GOOD_PAIR, "window_minutes": 2000},
        {**GOOD_PAIR, "alarm": "Flood!"},
        {**GOOD_PAIR, "with_report": "no spaces"},
        {**GOOD_PAIR, "colour": "blue"},
    ],
)
def test_a_bad_pair_is_refused(pair: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        LinksDocument.model_validate({"footprint_buffer_m": 50, "pairs": [pair]})


def test_a_pair_listed_twice_even_reversed_is_refused() -> None:
    twice = {"alarm": "fire", "with_alarm": "air_quality", "distance_m": 100, "window_minutes": 10}
    reversed_ = {"alarm": "air_quality", "with_alarm": "fire", "distance_m": 200, "window_minutes": 20}
    with pytest.raises(ValidationError, match="listed twice"):
        LinksDocument.model_validate({"footprint_buffer_m": 50, "pairs": [twice, reversed_]})
    with pytest.raises(ValidationError):
        LinksDocument.model_validate({"footprint_buffer_m": 0, "pairs": [GOOD_PAIR]})
    with pytest.raises(ValidationError):
        LinksDocument.model_validate({"footprint_buffer_m": 50, "pairs": []})


def test_a_bad_file_stops_the_reading(tmp_path: Path) -> None:
    path = tmp_path / "links.yaml"
    path.write_text(
        yaml.safe_dump({"footprint_buffer_m": 50, "pairs": [{"alarm": "flood"}]}), encoding="utf-8"
    )
    with pytest.raises(ValidationError):
        read_links(path)
    path.write_text(yaml.safe_dump({"footprint_buffer_m": 50, "pairs": [GOOD_PAIR]}), encoding="utf-8")
    assert read_links(path) == table_of(
        LinksDocument.model_validate({"footprint_buffer_m": 50, "pairs": [GOOD_PAIR]})
    )
