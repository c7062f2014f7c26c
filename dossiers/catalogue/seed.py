"""Load the sample procedures (data/dossiers/procedures.yaml), all or nothing, idempotently by code.

The file's items have the shape of the agencies' sync items and go through the same upsert, so seeding twice
changes nothing (updated_at included), and a procedure an agency has since changed is set back to the file's
version only where they differ.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import in_own_transaction
from core.settings import PROJECT_ROOT, Settings
from dossiers.catalogue import upsert
from dossiers.catalogue.schemas import ProcedureUpsert

PROCEDURES_FILE = PROJECT_ROOT / "data" / "dossiers" / "procedures.yaml"


class ProcedureFileError(Exception):
    """The file cannot be loaded; the message lists every problem, each with where it is."""


class ProcedureFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    procedures: list[ProcedureUpsert]


def parse_procedures(raw: Any) -> list[ProcedureUpsert]:
    try:
        procedures = ProcedureFile.model_validate(raw).procedures
    except ValidationError as invalid:
        problems = [
            f"{'.'.join(map(str, error['loc'])) or 'file'}: {error['msg']}" for error in invalid.errors()
        ]
        raise ProcedureFileError("; ".join(problems)) from invalid
    repeated = sorted(code for code, count in Counter(item.code for item in procedures).items() if count > 1)
    if repeated:
        raise ProcedureFileError(f"codes given more than once: {', '.join(repeated)}")
    return procedures


def read_procedures(path: Path = PROCEDURES_FILE) -> list[ProcedureUpsert]:
    with path.open(encoding="utf-8") as stream:
        return parse_procedures(yaml.safe_load(stream))


async def seed_procedures(session: AsyncSession, path: Path = PROCEDURES_FILE) -> int:
    """Upsert the file's procedures in the caller's session; how many the file holds. Nothing is written when
    any of them is invalid. Procedures missing from the file are left as they are."""
    procedures = read_procedures(path)
    await upsert.write(session, procedures)
    return len(procedures)


async def seed_procedures_file(settings: Settings, path: Path = PROCEDURES_FILE) -> int:
    """seed_procedures in its own transaction: the command line's unit of work."""
    return await in_own_transaction(settings, lambda session: seed_procedures(session, path))
