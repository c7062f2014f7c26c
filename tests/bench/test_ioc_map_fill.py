"""The map benchmark's fill at a tiny size, on its own (--skip-load): it must write exactly what it was asked
for, where and when a live province would have it. The whole benchmark, load included, is in
tests/bench/test_smoke.py (ioc_map)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from tests.bench.test_smoke import admin_dsn, database_exists, database_for, drop_database, run

SIZES = {
    "--reports": 600,
    "--devices": 120,
    "--alarms": 30,
    "--cleared-alarms": 50,
    "--incidents": 5,
    "--field-staff": 12,
    "--warnings": 2,
}


@pytest.fixture(scope="module")
def filled() -> Iterator[psycopg.Connection[Any]]:
    """The benchmark's database after a fill of SIZES, kept for the checks and dropped afterwards."""
    database = database_for("ioc_map_fill")
    drop_database(database)
    options = [str(part) for pair in SIZES.items() for part in pair]
    command = [sys.executable, "bench/ioc_map.py", *options, "--skip-load", "--keep", "--database", database]
    try:
        code, output = run(command, dict(os.environ))
        assert code == 0, f"bench/ioc_map.py exited with {code}:\n{output[-4000:]}"
        assert "filled in " in output, output[-4000:]
        dsn = urlunsplit(urlsplit(admin_dsn())._replace(path=f"/{database}"))
        with psycopg.connect(dsn) as connection:
            yield connection
    finally:
        drop_database(database)
    assert not database_exists(database)


def one(connection: psycopg.Connection[Any], sql: str) -> Any:
    row = connection.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_the_fill_writes_the_counts_asked_for(filled: psycopg.Connection[Any]) -> None:
    assert one(filled, "SELECT count(*) FROM feedback_reports") == SIZES["--reports"]
    assert one(filled, "SELECT count(*) FROM devices") == SIZES["--devices"]
    assert one(filled, "SELECT count(*) FROM device_state") == SIZES["--devices"]
    assert one(filled, "SELECT count(*) FROM alarms WHERE cleared_at IS NULL") == SIZES["--alarms"]
    assert (
        one(filled, "SELECT count(*) FROM alarms WHERE cleared_at IS NOT NULL") == SIZES["--cleared-alarms"]
    )
    assert one(filled, "SELECT count(*) FROM incidents WHERE status = 'open'") == SIZES["--incidents"]
    assert one(filled, "SELECT count(*) FROM users WHERE role = 'field_staff'") == SIZES["--field-staff"]
    assert one(filled, "SELECT count(*) FROM field_staff_status") == SIZES["--field-staff"]
    assert one(filled, "SELECT count(*) FROM warnings WHERE cancelled_at IS NULL") == SIZES["--warnings"]


def test_every_report_lies_in_its_ward_and_the_open_ones_are_recent(filled: psycopg.Connection[Any]) -> None:
    outside = one(
        filled,
        "SELECT count(*) FROM feedback_reports AS r LEFT JOIN admin_units AS u ON u.code = r.ward_code "
        "WHERE u.code IS NULL OR NOT ST_Intersects(u.boundary, r.location) OR r.unit_code <> r.ward_code",
    )
    assert outside == 0
    opened = one(
        filled,
        "SELECT count(*) FROM feedback_reports "
        "WHERE status IN ('submitted', 'accepted', 'assigned', 'in_progress')",
    )
    assert 0 < opened < SIZES["--reports"] * 0.15  # about 5%
    assert (
        one(filled, "SELECT count(*) FROM feedback_reports WHERE status = 'closed'") > SIZES["--reports"] / 2
    )
    oldest = one(filled, "SELECT min(created_at) FROM feedback_reports")
    newest = one(filled, "SELECT max(created_at) FROM feedback_reports")
    assert one(filled, "SELECT now()") - oldest < timedelta(days=731)
    assert newest <= one(filled, "SELECT now()")
    stale = one(
        filled,
        "SELECT count(*) FROM feedback_reports WHERE created_at < now() - interval '61 days' "
        "AND status IN ('submitted', 'accepted', 'assigned', 'in_progress')",
    )
    assert stale == 0
    # Filed reports get numbers after the generated ones.
    assert one(filled, "SELECT last_value FROM feedback_report_number_seq") > SIZES["--reports"]


def test_hotspots_exist(filled: psycopg.Connection[Any]) -> None:
    """The city's own ward, one of eight, holds far more than an eighth of the reports."""
    share = one(filled, "SELECT avg((ward_code = '13666')::int) FROM feedback_reports")
    assert share > 0.2


def test_devices_have_states_and_alarms_are_one_per_device(filled: psycopg.Connection[Any]) -> None:
    types = {row[0] for row in filled.execute("SELECT DISTINCT type FROM devices")}
    assert len(types) >= 3
    online = one(filled, "SELECT count(*) FROM device_state WHERE online")
    assert 0 < online < SIZES["--devices"]
    with_reading = one(filled, "SELECT count(*) FROM device_state WHERE metrics <> '{}'::jsonb")
    assert with_reading > 0
    assert one(filled, "SELECT count(*) FROM devices WHERE ward_code IS NULL") == 0
    devices = one(filled, "SELECT count(DISTINCT device_id) FROM alarms WHERE cleared_at IS NULL")
    assert devices == SIZES["--alarms"]
    misplaced = one(
        filled,
        "SELECT count(*) FROM alarms AS a JOIN devices AS d ON d.id = a.device_id "
        "WHERE a.unit_code <> d.ward_code OR NOT ST_Equals(a.location, d.location) OR a.rule_id IS NULL",
    )
    assert misplaced == 0


def test_incidents_lead_with_an_active_alarm(filled: psycopg.Connection[Any]) -> None:
    led = one(
        filled,
        "SELECT count(*) FROM incidents AS i JOIN incident_members AS m ON m.incident_id = i.id "
        "AND m.member_kind = 'alarm' AND m.member_id = i.lead_alarm_id "
        "JOIN alarms AS a ON a.id = i.lead_alarm_id AND a.cleared_at IS NULL",
    )
    assert led == SIZES["--incidents"]
    counted = one(
        filled,
        "SELECT count(*) FROM incidents AS i WHERE report_count <> "
        "(SELECT count(*) FROM incident_members AS m "
        "WHERE m.incident_id = i.id AND m.member_kind = 'report')",
    )
    assert counted == 0


def test_field_staff_on_duty_stand_in_their_ward(filled: psycopg.Connection[Any]) -> None:
    on_duty = one(filled, "SELECT count(*) FROM field_staff_status WHERE on_duty")
    assert 0 < on_duty <= SIZES["--field-staff"]
    astray = one(
        filled,
        "SELECT count(*) FROM field_staff_status AS s JOIN users AS u ON u.id = s.user_id "
        "JOIN admin_units AS w ON w.code = u.unit_code "
        "WHERE s.on_duty AND NOT ST_Intersects(w.boundary, s.position)",
    )
    assert astray == 0
