"""The operations centre's alerting: rules and their versions, rule states, alarms and their timeline, unit
alert settings and officers' alert preferences.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unit_alert_settings",
        sa.Column("unit_code", sa.String(length=5), nullable=False),
        sa.Column("push_min_severity", sa.String(length=16), nullable=False),
        sa.Column("dispatch_min_severity", sa.String(length=16), nullable=False),
        sa.Column(
            "reminder_seconds",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "dispatch_min_severity IN ('critical', 'major', 'minor', 'warning', 'indeterminate')",
            name=op.f("ck_unit_alert_settings_dispatch_severity_known"),
        ),
        sa.CheckConstraint(
            "push_min_severity IN ('critical', 'major', 'minor', 'warning', 'indeterminate')",
            name=op.f("ck_unit_alert_settings_push_severity_known"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_code"],
            ["admin_units.code"],
            name=op.f("fk_unit_alert_settings_unit_code_admin_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("unit_code", name=op.f("pk_unit_alert_settings")),
    )
    op.create_table(
        "alert_preferences",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("alarm_types", postgresql.ARRAY(sa.String(length=40)), nullable=True),
        sa.Column("min_severity", sa.String(length=16), nullable=False),
        sa.Column("quiet_start", sa.Time(), nullable=True),
        sa.Column("quiet_end", sa.Time(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "min_severity IN ('critical', 'major', 'minor', 'warning', 'indeterminate')",
            name=op.f("ck_alert_preferences_min_severity_known"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_alert_preferences_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_alert_preferences")),
    )
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('telemetry', 'camera', 'silence', 'report_surge')",
            name=op.f("ck_alert_rules_kind_known"),
        ),
        sa.CheckConstraint("current_version >= 1", name=op.f("ck_alert_rules_version_positive")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_alert_rules_created_by_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rules")),
    )
    op.create_index("ix_alert_rules_created", "alert_rules", ["created_at", "id"], unique=False)
    op.create_table(
        "alert_rule_versions",
        sa.Column("rule_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("alarm_type", sa.String(length=40), nullable=False),
        sa.Column("unit_codes", postgresql.ARRAY(sa.String(length=5)), nullable=True),
        sa.Column("device_types", postgresql.ARRAY(sa.String(length=32)), nullable=True),
        sa.Column(
            "zone",
            geoalchemy2.types.Geometry(
                geometry_type="POLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("created_by", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("version >= 1", name=op.f("ck_alert_rule_versions_version_positive")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_alert_rule_versions_created_by_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["alert_rules.id"],
            name=op.f("fk_alert_rule_versions_rule_id_alert_rules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rule_id", "version", name=op.f("pk_alert_rule_versions")),
    )
    op.create_index(
        "ix_alert_rule_versions_zone", "alert_rule_versions", ["zone"], unique=False, postgresql_using="gist"
    )
    op.create_table(
        "alarms",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("rule_id", sa.UUID(), nullable=True),
        sa.Column("rule_version", sa.Integer(), nullable=True),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("source_key", sa.String(length=100), nullable=False),
        sa.Column("device_id", sa.UUID(), nullable=True),
        sa.Column("unit_code", sa.String(length=5), nullable=False),
        sa.Column(
            "location",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("title_vi", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("count", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column(
            "last_seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.UUID(), nullable=True),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_by", sa.UUID(), nullable=True),
        sa.Column("clear_reason", sa.String(length=16), nullable=True),
        sa.Column("assignee_id", sa.UUID(), nullable=True),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(status IN ('active_acknowledged', 'cleared_acknowledged')) = (acknowledged_at IS NOT NULL)",
            name=op.f("ck_alarms_acknowledged_at_matches_status"),
        ),
        sa.CheckConstraint(
            "(status IN ('cleared_unacknowledged', 'cleared_acknowledged')) = (cleared_at IS NOT NULL)",
            name=op.f("ck_alarms_cleared_at_matches_status"),
        ),
        sa.CheckConstraint(
            "severity IN ('critical', 'major', 'minor', 'warning', 'indeterminate')",
            name=op.f("ck_alarms_severity_known"),
        ),
        sa.CheckConstraint(
            "source_kind IN ('device', 'report_cluster')", name=op.f("ck_alarms_source_kind_known")
        ),
        sa.CheckConstraint(
            "status IN ('active_unacknowledged', 'active_acknowledged', 'cleared_unacknowledged', "
            "'cleared_acknowledged')",
            name=op.f("ck_alarms_status_known"),
        ),
        sa.CheckConstraint("count >= 1", name=op.f("ck_alarms_count_positive")),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"],
            ["users.id"],
            name=op.f("fk_alarms_acknowledged_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_alarms_assignee_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["cleared_by"], ["users.id"], name=op.f("fk_alarms_cleared_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_alarms_device_id_devices"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["rule_id", "rule_version"],
            ["alert_rule_versions.rule_id", "alert_rule_versions.version"],
            name=op.f("fk_alarms_rule_id_rule_version_alert_rule_versions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["unit_code"],
            ["admin_units.code"],
            name=op.f("fk_alarms_unit_code_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarms")),
    )
    op.create_index(op.f("ix_alarms_assignee_id"), "alarms", ["assignee_id"], unique=False)
    op.create_index(op.f("ix_alarms_device_id"), "alarms", ["device_id"], unique=False)
    op.create_index("ix_alarms_location", "alarms", ["location"], unique=False, postgresql_using="gist")
    op.create_index("ix_alarms_raised", "alarms", ["raised_at", "id"], unique=False)
    op.create_index("ix_alarms_status", "alarms", ["status"], unique=False)
    op.create_index(op.f("ix_alarms_type"), "alarms", ["type"], unique=False)
    op.create_index("ix_alarms_unit_raised", "alarms", ["unit_code", "raised_at", "id"], unique=False)
    op.create_index(
        "uq_alarms_active_source",
        "alarms",
        ["rule_id", "source_key"],
        unique=True,
        postgresql_where=sa.text("cleared_at IS NULL"),
    )
    op.create_table(
        "alert_rule_states",
        sa.Column("rule_id", sa.UUID(), nullable=False),
        sa.Column("source_key", sa.String(length=100), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("last_ts", sa.DateTime(timezone=True), nullable=True),
        sa.Column("held_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_true_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("clear_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("alarm_id", sa.UUID(), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=True),
        sa.Column(
            "memory",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "source_kind IN ('device', 'report_cluster')", name=op.f("ck_alert_rule_states_source_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["rule_id", "rule_version"],
            ["alert_rule_versions.rule_id", "alert_rule_versions.version"],
            name=op.f("fk_alert_rule_states_rule_id_rule_version_alert_rule_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rule_id", "source_key", name=op.f("pk_alert_rule_states")),
    )
    op.create_index(
        "ix_alert_rule_states_due",
        "alert_rule_states",
        ["due_at"],
        unique=False,
        postgresql_where=sa.text("due_at IS NOT NULL"),
    )
    op.create_table(
        "alarm_timeline",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("alarm_id", sa.UUID(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column(
            "detail",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("reacted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_alarm_timeline_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["alarm_id"], ["alarms.id"], name=op.f("fk_alarm_timeline_alarm_id_alarms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_timeline")),
    )
    op.create_index("ix_alarm_timeline_alarm_at", "alarm_timeline", ["alarm_id", "at", "id"], unique=False)
    op.create_index(
        "ix_alarm_timeline_pending",
        "alarm_timeline",
        ["id"],
        unique=False,
        postgresql_where=sa.text("reacted_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_alarm_timeline_pending",
        table_name="alarm_timeline",
        postgresql_where=sa.text("reacted_at IS NULL"),
    )
    op.drop_index("ix_alarm_timeline_alarm_at", table_name="alarm_timeline")
    op.drop_table("alarm_timeline")
    op.drop_index(
        "ix_alert_rule_states_due",
        table_name="alert_rule_states",
        postgresql_where=sa.text("due_at IS NOT NULL"),
    )
    op.drop_table("alert_rule_states")
    op.drop_index(
        "uq_alarms_active_source", table_name="alarms", postgresql_where=sa.text("cleared_at IS NULL")
    )
    op.drop_index("ix_alarms_unit_raised", table_name="alarms")
    op.drop_index(op.f("ix_alarms_type"), table_name="alarms")
    op.drop_index("ix_alarms_status", table_name="alarms")
    op.drop_index("ix_alarms_raised", table_name="alarms")
    op.drop_index("ix_alarms_location", table_name="alarms", postgresql_using="gist")
    op.drop_index(op.f("ix_alarms_device_id"), table_name="alarms")
    op.drop_index(op.f("ix_alarms_assignee_id"), table_name="alarms")
    op.drop_table("alarms")
    op.drop_index("ix_alert_rule_versions_zone", table_name="alert_rule_versions", postgresql_using="gist")
    op.drop_table("alert_rule_versions")
    op.drop_index("ix_alert_rules_created", table_name="alert_rules")
    op.drop_table("alert_rules")
    op.drop_table("alert_preferences")
    op.drop_table("unit_alert_settings")
