"""The demo province (37) the tests place people, reports and devices in."""

from __future__ import annotations

from core.settings import PROJECT_ROOT
from core.units.importer import read_document

DEMO = read_document(PROJECT_ROOT / "data" / "demo_province.geojson")
