"""Every table model, imported so that the metadata Alembic compares against is complete."""

from core.db import metadata
from core.identity.models import User
from core.units.models import AdminUnit

target_metadata = metadata

__all__ = ["AdminUnit", "User", "target_metadata"]
