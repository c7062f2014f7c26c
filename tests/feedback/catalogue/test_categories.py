"""The report catalogue: the shipped YAML, seeding it, refusing bad question definitions, and its routes."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import PROJECT_ROOT
from core.units.importer import import_units, read_document
from feedback.catalogue.repository import categories as categories_table
from feedback.catalogue.repository import departments as departments_table
from feedback.catalogue.schemas import QuestionDatatype
from feedback.catalogue.seed import CATEGORIES_FILE, CatalogueError, read_catalogue, seed_catalogue

DEMO = read_document(PROJECT_ROOT / "data" / "demo_province.geojson")
RAW: dict[str, Any] = yaml.safe_load(CATEGORIES_FILE.read_text(encoding="utf-8"))
EXPECTED_CODES = {
    "road_damage",
    "lighting",
    "waste",
    "flooding",
    "trees",
    "traffic",
    "public_order",
    "environment",
    "illegal_construction",
    "other",
}


@pytest.fixture
async def units(session: AsyncSession) -> None:
    await import_units(session, DEMO)
    await session.flush()


@pytest.fixture
async def seeded(session: AsyncSession, units: None) -> None:
    await seed_catalogue(session, RAW)
    await session.flush()


async def snapshot(session: AsyncSession) -> tuple[list[Any], list[Any]]:
    departments = (await session.execute(select(departments_table).order_by(text("code")))).all()
    categories = (await session.execute(select(categories_table).order_by(text("code")))).all()
    return [tuple(row) for row in departments], [tuple(row) for row in categories]


async def count_rows(session: AsyncSession) -> tuple[int, int]:
    departments = await session.scalar(select(func.count()).select_from(departments_table))
    categories = await session.scalar(select(func.count()).select_from(categories_table))
    return departments or 0, categories or 0


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"], body["type"]) == (status, code, f"/problems/{code}")
    return body


# The shipped file ------------------------------------------------------------------------------------------


def test_the_shipped_file_has_the_categories_in_both_languages() -> None:
    document = read_catalogue()

    assert {category.code for category in document.categories} >= EXPECTED_CODES
    for category in document.categories:
        texts = [category.name_vi, category.name_en, category.description_vi, category.description_en]
        texts += [label for q in category.questions for label in (q.label_vi, q.label_en)]
        assert all(piece.strip() for piece in texts), category.code
        assert category.name_vi != category.name_en, category.code
    assert all(department.province_code == "37" for department in document.departments)


def test_the_shipped_questions_are_typed_as_intended() -> None:
    by_code = {c.code: {q.code: q for q in c.questions} for c in read_catalogue().categories}

    size = by_code["road_damage"]["size"]
    assert size.datatype is QuestionDatatype.SINGLE_CHOICE
    assert [option.key for option in size.options or []] == ["small", "medium", "large"]
    assert by_code["road_damage"]["lanes_blocked"].datatype is QuestionDatatype.NUMBER
    pole = by_code["lighting"]["pole_number"]
    assert (pole.datatype, pole.required, pole.options) == (QuestionDatatype.TEXT, False, None)
    assert by_code["waste"]["waste_type"].datatype is QuestionDatatype.MULTI_CHOICE
    depth = by_code["flooding"]["water_depth_cm"]
    assert (depth.datatype, depth.required) == (QuestionDatatype.NUMBER, True)


# Seeding ---------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("units")
async def test_seeding_the_shipped_file_twice_gives_the_same_rows(session: AsyncSession) -> None:
    first = await seed_catalogue(session, RAW)
    await session.flush()
    rows = await snapshot(session)

    second = await seed_catalogue(session, RAW)
    await session.flush()

    assert first == second
    assert await snapshot(session) == rows
    assert await count_rows(session) == (len(RAW["departments"]), len(RAW["categories"]))


@pytest.mark.usefixtures("units")
async def test_seeding_again_updates_a_changed_category(session: AsyncSession) -> None:
    await seed_catalogue(session, RAW)
    changed = copy.deepcopy(RAW)
    changed["categories"][0]["sla_resolve_working_days"] = 9
    changed["categories"][0]["questions"] = []

    await seed_catalogue(session, changed)
    await session.flush()

    row = (await session.execute(select(categories_table).where(text("code = 'road_damage'")))).one()
    assert (row.sla_resolve_working_days, row.questions) == (9, [])


def with_question(question: dict[str, Any]) -> dict[str, Any]:
    """The shipped file with one more question on the first category."""
    document = copy.deepcopy(RAW)
    document["categories"][0]["questions"].append(question)
    return document


def choice(code: str, options: Any) -> dict[str, Any]:
    return {
        "code": code,
        "label_vi": "Câu hỏi",
        "label_en": "Question",
        "datatype": "single_choice",
        "options": options,
    }


OPTION = {"key": "yes", "name_vi": "Có", "name_en": "Yes"}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param(
            with_question(choice("kind", None)),
            "'kind' is single_choice and needs options",
            id="choice-without-options",
        ),
        pytest.param(
            with_question(choice("kind", [])),
            "'kind' is single_choice and needs options",
            id="choice-with-empty-options",
        ),
        pytest.param(
            with_question({**choice("count", [OPTION]), "datatype": "number"}),
            "'count' is number and may not have options",
            id="options-on-a-number",
        ),
        pytest.param(
            with_question({**choice("size", [OPTION])}),
            "duplicate question codes: size",
            id="duplicate-question-codes",
        ),
        pytest.param(
            with_question(choice("kind", [OPTION, OPTION])),
            "'kind' has duplicate option keys: yes",
            id="duplicate-option-keys",
        ),
        pytest.param(
            with_question({**choice("kind", [OPTION]), "datatype": "date"}),
            "categories.0.questions",
            id="unknown-datatype",
        ),
    ],
)
@pytest.mark.usefixtures("units")
async def test_invalid_questions_are_refused_and_nothing_is_written(
    session: AsyncSession, document: dict[str, Any], message: str
) -> None:
    with pytest.raises(CatalogueError, match=message) as caught:
        await seed_catalogue(session, document)

    # The error says where the problem is, so that one run tells the editor of the file what to fix.
    assert "categories.0.questions" in str(caught.value)
    assert await count_rows(session) == (0, 0)


async def test_a_category_naming_an_unknown_department_is_refused(session: AsyncSession) -> None:
    document = copy.deepcopy(RAW)
    document["categories"][0]["default_department_code"] = "SGTVT"

    with pytest.raises(CatalogueError, match="'road_damage' names the unknown department 'SGTVT'"):
        await seed_catalogue(session, document)


async def test_seeding_before_the_units_are_loaded_is_refused(session: AsyncSession) -> None:
    with pytest.raises(CatalogueError, match="province 37 is not loaded"):
        await seed_catalogue(session, RAW)

    assert await count_rows(session) == (0, 0)


@pytest.mark.usefixtures("seeded")
async def test_categories_are_reachable_from_the_units(session: AsyncSession) -> None:
    rows = (
        await session.execute(
            text("""
        SELECT c.code, d.code AS department, u.code AS province, u.level::text AS level
        FROM feedback_categories AS c
        JOIN departments AS d ON d.code = c.default_department_code
        JOIN admin_units AS u ON u.code = d.province_code
    """)
        )
    ).all()

    assert {row.code for row in rows} == EXPECTED_CODES
    assert {(row.province, row.level) for row in rows} == {("37", "province")}


# Routes ----------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("seeded")
async def test_list_gives_the_active_categories_in_display_order(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await session.execute(text("UPDATE feedback_categories SET active = false WHERE code = 'other'"))
    await session.flush()

    response = await client.get("/api/v1/feedback/categories")

    assert response.status_code == 200, response.text
    body = response.json()
    shipped = sorted(RAW["categories"], key=lambda category: category["sort_order"])
    assert [item["code"] for item in body] == [c["code"] for c in shipped if c["code"] != "other"]
    road = body[0]
    assert road["department"] == {
        "code": "SXD",
        "name_vi": "Sở Xây dựng",
        "name_en": "Department of Construction",
        "province_code": "37",
    }
    assert [question["code"] for question in road["questions"]] == ["size", "lanes_blocked"]


@pytest.mark.usefixtures("seeded")
async def test_one_category_with_its_questions(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/feedback/categories/flooding")

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["code"], body["name_vi"], body["name_en"]) == (
        "flooding",
        "Thoát nước, ngập úng",
        "Drainage and flooding",
    )
    assert body["sla_acknowledge_working_hours"] == 4
    assert body["questions"] == [
        {
            "code": "water_depth_cm",
            "label_vi": "Độ sâu nước ngập (cm)",
            "label_en": "Water depth (cm)",
            "datatype": "number",
            "required": True,
            "order": 1,
            "options": None,
        }
    ]


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("vi", "Không tìm thấy loại phản ánh"),
        ("en", "Report category not found"),
        ("en-GB,vi;q=0.5", "Report category not found"),
    ],
)
@pytest.mark.usefixtures("seeded")
async def test_an_unknown_category_is_a_404_problem(
    client: httpx.AsyncClient, session: AsyncSession, language: str, title: str
) -> None:
    response = await client.get("/api/v1/feedback/categories/parking", headers={"Accept-Language": language})

    body = assert_problem(response, 404, "category_not_found")
    assert body["title"] == title
    assert "parking" in body["detail"]


@pytest.mark.usefixtures("seeded")
async def test_an_inactive_category_is_not_found(client: httpx.AsyncClient, session: AsyncSession) -> None:
    await session.execute(text("UPDATE feedback_categories SET active = false WHERE code = 'trees'"))
    await session.flush()

    assert_problem(await client.get("/api/v1/feedback/categories/trees"), 404, "category_not_found")


@pytest.mark.parametrize("code", ["Road_Damage", "road-damage", "x", "1road"])
async def test_a_code_that_is_not_a_slug_is_refused(client: httpx.AsyncClient, code: str) -> None:
    assert_problem(await client.get(f"/api/v1/feedback/categories/{code}"), 422, "validation_error")
