"""The rules' stamp per device: a counter bumped by every change to what the rules hold about the device.

A consumer keeps the rule states of the devices it has seen in memory and reads only this counter per batch:
a state that changed elsewhere (another consumer, the worker's tick, an officer's clear) bumped it, and the
consumer then loads that device's states again.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_device_stamps",
        sa.Column("device_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_alert_device_stamps_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_alert_device_stamps")),
    )


def downgrade() -> None:
    op.drop_table("alert_device_stamps")
