"""The sample catalogue: a realistic spread of Nam Định's procedures, seeded idempotently by code."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from dossiers.catalogue.schemas import is_procedure_code
from dossiers.catalogue.seed import ProcedureFileError, read_procedures, seed_procedures

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def test_the_sample_spans_the_fields_levels_and_deadline_kinds() -> None:
    procedures = read_procedures()

    assert 30 <= len(procedures) <= 40
    assert all(is_procedure_code(item.code) for item in procedures)
    fields = {item.field_vi for item in procedures}
    assert {
        "Đất đai",
        "Đăng ký kinh doanh",
        "Hộ tịch",
        "Xây dựng",
        "Chứng thực",
        "Lao động",
        "Y tế",
    } <= fields
    assert {item.level.value for item in procedures} == {"province", "commune"}
    assert {item.online_level.value for item in procedures} == {"partial", "full"}
    assert {item.deadline.kind.value for item in procedures} == {
        "working_days",
        "working_hours",
        "calendar_days",
        "same_day",
    }
    assert all(1 <= len(item.documents) <= 5 for item in procedures)
    assert all(item.name_en for item in procedures)
    names = {item.name_vi for item in procedures}
    assert {"Đăng ký khai sinh", "Đăng ký kết hôn", "Đăng ký khai tử"} <= names


async def test_seeding_twice_writes_once_and_leaves_updated_at_alone(session: AsyncSession) -> None:
    count = await seed_procedures(session)
    await session.execute(text("UPDATE dossier_procedures SET updated_at = :t"), {"t": LONG_AGO})

    again = await seed_procedures(session)

    assert count == again == len(read_procedures())
    rows = (await session.execute(text("SELECT count(*), max(updated_at) FROM dossier_procedures"))).one()
    assert tuple(rows) == (count, LONG_AGO)


async def test_a_file_with_one_bad_procedure_writes_nothing(session: AsyncSession, tmp_path: Path) -> None:
    original = (Path(__file__).parents[3] / "data" / "dossiers" / "procedures.yaml").read_text(
        encoding="utf-8"
    )
    broken = tmp_path / "procedures.yaml"
    broken.write_text(original.replace("kind: same_day\n    amount: 0", "kind: same_day\n    amount: 2", 1))

    with pytest.raises(ProcedureFileError, match="deadline"):
        await seed_procedures(session, broken)

    assert (await session.execute(text("SELECT count(*) FROM dossier_procedures"))).scalar_one() == 0


def test_a_file_repeating_a_code_is_refused(tmp_path: Path) -> None:
    # Quoted: YAML would read a bare 1.001193 as a number.
    item = (
        '- {code: "1.001193", name_vi: A, field_vi: B, level: commune, online_level: full,'
        " deadline: {kind: same_day, amount: 0}}\n"
    )
    repeated = tmp_path / "procedures.yaml"
    repeated.write_text("procedures:\n" + item + item)

    with pytest.raises(ProcedureFileError, match=r"1\.001193"):
        read_procedures(repeated)
