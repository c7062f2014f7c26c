"""Every kind of bad definition gets a 422 problem with its own code, pointing at the part at fault, in the
shape of every 422 of the API, and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.openapi import ValidationProblem
from core.identity.principal import Role
from ioc.rules.schemas import CAMERA_FIRE, FLOODING_REPORTS
from tests.ioc.rules.rules_api import URL, count_rules, flood, with_catalogue
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("units")

CAMERA = CAMERA_FIRE
SURGE = FLOODING_REPORTS


def _square(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def _level(op: str, value: float) -> dict[str, Any]:
    return {"metric": "level_cm", "op": op, "value": value}


async def _refused(
    client: AsyncClient, session: AsyncSession, person: PersonFactory, definition: dict[str, Any]
) -> ValidationProblem:
    admin = await person(Role.ADMIN)
    await with_catalogue(session)
    response = await client.post(URL, json={"definition": definition}, headers=admin.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = ValidationProblem.model_validate(response.json())
    assert problem.detail
    assert await count_rules(session) == (0, 0)
    return problem


# (definition, code, where the error points inside the definition, words its message must hold)
DOMAIN_CASES: dict[str, tuple[dict[str, Any], str, list[str], str]] = {
    "metric unknown to the device type": (
        flood(condition={"metric": "pm25", "op": ">", "value": 50}),
        "unknown_metric",
        ["scope", "device_types"],
        "water_level has no pm25",
    ),
    "metric missing for one of the types": (
        flood(scope={"device_types": ["water_level", "air_quality"]}),
        "unknown_metric",
        ["scope", "device_types"],
        "air_quality has no level_cm",
    ),
    "metric no device reports": (
        flood(scope={}, condition={"metric": "radiation", "op": ">", "value": 1}, clear={}),
        "unknown_metric",
        ["condition"],
        "radiation",
    ),
    "metric no device reports, in the clearing": (
        flood(scope={}, clear={"condition": {"metric": "radiation", "op": "<", "value": 1}}),
        "unknown_metric",
        ["clear", "condition"],
        "radiation",
    ),
    "metric of the clearing condition": (
        flood(clear={"condition": {"metric": "pm10", "op": "<", "value": 20}}),
        "unknown_metric",
        ["scope", "device_types"],
        "pm10",
    ),
    "camera rule on a water gauge": (
        {**CAMERA, "scope": {"device_types": ["camera_security", "water_level"]}},
        "device_type_not_allowed",
        ["scope", "device_types", "1"],
        "water_level",
    ),
    "AND that can never hold": (
        flood(condition={"all": [_level(">", 30), _level("<", 20)]}, clear={}),
        "impossible_condition",
        ["condition"],
        "never hold",
    ),
    "severity whose condition contradicts the rule's": (
        flood(
            severities=[{"severity": "warning"}, {"severity": "critical", "condition": _level("<", 10)}],
        ),
        "impossible_condition",
        ["severities", "1", "condition"],
        "critical",
    ),
    "clearing that can never hold": (
        flood(clear={"condition": {"all": [_level("<", 20), _level(">", 25)]}}),
        "impossible_clearing",
        ["clear", "condition"],
        "never clear",
    ),
    "clearing that holds while an OR still does": (
        flood(
            condition={"any": [_level(">", 30), {"metric": "rain_mm", "op": ">", "value": 5}]},
            clear={"condition": _level("<", 20)},
        ),
        "clearing_overlaps",
        ["clear", "condition"],
        "level_cm = 19, rain_mm = 6",
    ),
    "clearing band with no gap at its edge": (
        flood(condition=_level(">=", 30), clear={"condition": _level("<=", 30)}),
        "clearing_overlaps",
        ["clear", "condition"],
        "level_cm = 30",
    ),
    "clear.severities outside the ladder": (
        flood(clear={"condition": _level("<", 20), "severities": ["warning", "major"]}),
        "invalid_severities",
        ["clear", "severities", "1"],
        "major",
    ),
    "clear.severities listed twice": (
        flood(clear={"condition": _level("<", 20), "severities": ["warning", "warning"]}),
        "invalid_severities",
        ["clear", "severities", "1"],
        "twice",
    ),
    "unit that does not exist": (
        flood(scope={"unit_codes": ["13666", "99999"], "device_types": ["water_level"]}),
        "unit_not_found",
        ["scope", "unit_codes", "1"],
        "99999",
    ),
    "report category that does not exist": (
        {**SURGE, "category_code": "meteor_strike"},
        "category_not_found",
        ["category_code"],
        "meteor_strike",
    ),
    "self-intersecting zone": (
        flood(
            scope={
                "zone": {
                    "type": "Polygon",
                    "coordinates": [
                        [[106.16, 20.42], [106.18, 20.44], [106.18, 20.42], [106.16, 20.44], [106.16, 20.42]]
                    ],
                }
            }
        ),
        "invalid_zone",
        ["scope", "zone"],
        "Self-intersection",
    ),
    "zone outside the province": (
        flood(scope={"zone": _square(105.80, 21.00, 105.85, 21.05)}),
        "outside_province",
        ["scope", "zone"],
        "not inside the province",
    ),
    "zone partly outside the province": (
        flood(scope={"zone": _square(106.20, 20.45, 106.30, 20.55)}),
        "outside_province",
        ["scope", "zone"],
        "not inside the province",
    ),
    "zone away from the listed units": (
        # Inside ward 13735 (Mỹ Lộc), far from ward 13693 (Đông A).
        flood(scope={"unit_codes": ["13693"], "zone": _square(106.10, 20.46, 106.12, 20.48)}),
        "zone_outside_units",
        ["scope", "zone"],
        "none of the unit_codes",
    ),
}


@pytest.mark.parametrize("case", DOMAIN_CASES.values(), ids=list(DOMAIN_CASES))
async def test_domain_checks_refuse_with_their_code(
    client: AsyncClient,
    session: AsyncSession,
    person: PersonFactory,
    case: tuple[dict[str, Any], str, list[str], str],
) -> None:
    definition, code, path, words = case
    problem = await _refused(client, session, person, definition)
    assert problem.code == code
    assert [(item.location, item.type) for item in problem.errors] == [(["body", "definition", *path], code)]
    assert problem.errors[0].pointer == "/definition/" + "/".join(path)
    assert words in problem.errors[0].message


# (definition, the last keys of the location, words of the message)
MODEL_CASES: dict[str, tuple[dict[str, Any], list[str], str]] = {
    "unknown device type": (
        flood(scope={"device_types": ["toaster"]}),
        ["scope", "device_types", "0"],
        "'water_level'",
    ),
    "clearing above the raising threshold": (
        flood(clear={"condition": _level("<", 40)}),
        [],
        "above the raising threshold",
    ),
    "clearing below a falling threshold": (
        flood(condition=_level("<", 10), clear={"condition": _level(">", 5)}),
        [],
        "below the raising threshold",
    ),
    "clearing the same way as the condition": (
        flood(clear={"condition": _level(">", 20)}),
        [],
        "go the other way",
    ),
    "negative hold": (flood(for_seconds=-1), ["for_seconds"], "greater than or equal to 0"),
    "negative clearing hold": (
        flood(clear={"condition": _level("<", 20), "for_seconds": -5}),
        ["clear", "for_seconds"],
        "greater than or equal to 0",
    ),
    "negative escalation delay": (
        flood(severities=[{"severity": "warning", "after_seconds": -60}]),
        ["severities", "0", "after_seconds"],
        "greater than or equal to 0",
    ),
    "negative cool-down": ({**CAMERA, "cooldown_seconds": -1}, ["cooldown_seconds"], "greater than or equal"),
    "zero absence": (
        flood(clear={"absent_seconds": 0}),
        ["clear", "absent_seconds"],
        "greater than or equal",
    ),
    "surge radius of zero": ({**SURGE, "radius_m": 0}, ["radius_m"], "greater than 0"),
    "surge window of zero": (
        {**SURGE, "window_seconds": 0},
        ["window_seconds"],
        "greater than or equal to 1",
    ),
    "surge with device types": (
        {**SURGE, "scope": {"device_types": ["water_level"]}},
        [],
        "no device types",
    ),
    "the same severity twice": (
        flood(severities=[{"severity": "warning"}, {"severity": "warning", "after_seconds": 60}]),
        ["severities"],
        "each severity at most once",
    ),
    "a ladder that steps down with time": (
        flood(severities=[{"severity": "critical"}, {"severity": "warning", "after_seconds": 60}]),
        ["severities"],
        "at least as severe",
    ),
    "a ladder that starts late": (
        flood(severities=[{"severity": "warning", "after_seconds": 60}]),
        ["severities"],
        "after_seconds 0",
    ),
    "an empty ladder": (flood(severities=[]), ["severities"], "at least 1 item"),
    "a NUL in the name": (flood(name="Ngập\x00"), ["name"], "NUL"),
    "an unknown field": (flood(threshold=30), ["threshold"], "Extra inputs"),
    "a rate of change with both directions": (
        flood(
            condition={"metric": "level_cm", "rises_by": 10, "falls_by": 10, "within_seconds": 60}, clear={}
        ),
        ["condition", "rate_of_change"],
        "exactly one of rises_by and falls_by",
    ),
}


@pytest.mark.parametrize("case", MODEL_CASES.values(), ids=list(MODEL_CASES))
async def test_the_model_refuses_with_a_clear_location(
    client: AsyncClient,
    session: AsyncSession,
    person: PersonFactory,
    case: tuple[dict[str, Any], list[str], str],
) -> None:
    definition, path, words = case
    problem = await _refused(client, session, person, definition)
    assert problem.code == "validation_error"
    # Pydantic names the kind it parsed the definition as, then the path inside it.
    wanted = ["body", "definition", definition["kind"], *path]
    matching = [item for item in problem.errors if item.location[: len(wanted)] == wanted]
    assert matching, problem.errors
    assert any(words in item.message for item in matching), [item.message for item in matching]


@pytest.mark.parametrize("kind", ["weather", None, ["camera"]])
async def test_an_unknown_kind_is_one_clear_error(
    client: AsyncClient, session: AsyncSession, person: PersonFactory, kind: Any
) -> None:
    problem = await _refused(client, session, person, {**CAMERA, "kind": kind})
    assert [(item.location, item.message) for item in problem.errors] == [
        (["body", "definition"], "kind must be telemetry, camera, silence or report_surge")
    ]


async def test_a_condition_of_no_known_shape_is_one_clear_error(
    client: AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    problem = await _refused(client, session, person, flood(condition={"metric": "level_cm"}, clear={}))
    assert [(item.location, item.type) for item in problem.errors] == [
        (["body", "definition", "telemetry", "condition"], "condition_kind")
    ]
    assert "{metric, op, value}" in problem.errors[0].message


async def test_a_mistake_deep_in_a_tree_points_at_it(
    client: AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    tree = {"all": [_level(">", 30), {"any": [_level("<", 5), {"metric": "rain_mm", "op": "=", "value": 1}]}]}
    problem = await _refused(client, session, person, flood(condition=tree, clear={}))
    path = ["condition", "all", "all", "1", "any", "any", "1", "threshold", "op"]
    assert [item.location for item in problem.errors] == [["body", "definition", "telemetry", *path]]


async def test_a_valid_rate_of_change_with_a_threshold_clearing_is_accepted(
    client: AsyncClient, person: PersonFactory
) -> None:
    # Whether a rise can hold at the same time as a low value depends on the values before it: not refused.
    admin = await person(Role.ADMIN)
    definition = flood(
        condition={"metric": "level_cm", "rises_by": 20, "within_seconds": 600},
        clear={"condition": _level("<", 20), "for_seconds": 300},
    )
    response = await client.post(URL, json={"definition": definition}, headers=admin.headers)
    assert response.status_code == 201, response.text


async def test_a_zone_along_the_province_edge_is_accepted(client: AsyncClient, person: PersonFactory) -> None:
    # Within the province's outline, touching the demo boundary's corner at (106.092, ...) is still inside.
    admin = await person(Role.ADMIN)
    definition = flood(scope={"unit_codes": ["13666"], "zone": _square(106.16, 20.42, 106.18, 20.44)})
    response = await client.post(URL, json={"definition": definition}, headers=admin.headers)
    assert response.status_code == 201, response.text
