"""Device telemetry: readings partitioned by day, hourly rollups, camera events, latest state, dead letters.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CAMERA_EVENT_TYPES = (
    "red_light",
    "wrong_way",
    "speeding",
    "illegal_parking",
    "accident",
    "congestion",
    "intrusion",
    "crowd",
    "fire",
    "smoke",
    "loitering",
    "abandoned_object",
)
_DEAD_LETTER_REASONS = (
    "malformed_json",
    "schema_violation",
    "unknown_device",
    "decommissioned_device",
    "non_finite_value",
    "future_timestamp",
    "stale_timestamp",
    "oversized_payload",
    "unknown_topic",
)


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "device_readings",
        sa.Column("device_id", sa.UUID(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("metrics", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "ts", "seq", name=op.f("pk_device_readings")),
        postgresql_partition_by="RANGE (ts)",
    )
    op.create_table(
        "device_readings_hourly",
        sa.Column("device_id", sa.UUID(), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("sum", sa.Float(), nullable=False),
        sa.Column("min", sa.Float(), nullable=False),
        sa.Column("max", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "metric", "hour", name=op.f("pk_device_readings_hourly")),
    )
    op.create_index("ix_device_readings_hourly_hour", "device_readings_hourly", ["hour"])
    op.create_table(
        "device_rollup_hours",
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("passes", sa.SmallInteger(), nullable=False),
        sa.Column("rolled_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("hour", name=op.f("pk_device_rollup_hours")),
    )
    op.create_table(
        "device_camera_events",
        sa.Column("device_id", sa.UUID(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("plate", sa.String(length=20), nullable=True),
        sa.Column("bbox", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("snapshot_key", sa.String(length=200), nullable=True),
        sa.Column("location", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("ward_code", sa.String(length=5), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(_in("type", _CAMERA_EVENT_TYPES), name=op.f("ck_device_camera_events_type_known")),
        sa.CheckConstraint(
            "confidence >= 0 AND confidence <= 1", name=op.f("ck_device_camera_events_confidence_range")
        ),
        sa.PrimaryKeyConstraint("device_id", "ts", "seq", name=op.f("pk_device_camera_events")),
    )
    op.create_index("ix_device_camera_events_ts", "device_camera_events", ["ts"])
    op.create_index(
        "ix_device_camera_events_location", "device_camera_events", ["location"], postgresql_using="gist"
    )
    op.create_table(
        "device_state",
        sa.Column("device_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "metrics",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported_state", sa.String(length=8), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_event_type", sa.String(length=32), nullable=True),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("online", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("online_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "reported_state IS NULL OR reported_state IN ('online', 'offline')",
            name=op.f("ck_device_state_reported_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_device_state_device_id_devices"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_device_state")),
    )
    op.create_table(
        "ingest_dead_letters",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("topic", sa.String(length=256), nullable=False),
        sa.Column("device_ref", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("payload_bytes", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            _in("reason", _DEAD_LETTER_REASONS), name=op.f("ck_ingest_dead_letters_reason_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_dead_letters")),
    )
    op.create_index("ix_ingest_dead_letters_received", "ingest_dead_letters", ["received_at", "id"])


def downgrade() -> None:
    op.drop_table("ingest_dead_letters")
    op.drop_table("device_state")
    op.drop_table("device_camera_events")
    op.drop_table("device_rollup_hours")
    op.drop_table("device_readings_hourly")
    op.drop_table("device_readings")
