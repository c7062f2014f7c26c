"""Administrative units: list, read, and locate a point."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["units"])
