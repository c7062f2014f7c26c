"""The operations centre's KPIs: the indexes their figures read.

The KPIs count a unit's reports filed and resolved in a period, its alarms open now, and the dispatch
offers made in a period; the other figures read indexes that exist already (alarms by unit and raised time,
dossiers by unit and receipt, devices by ward).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_feedback_reports_unit_created", "feedback_reports", ["unit_code", "created_at"], unique=False
    )
    op.create_index("ix_feedback_reports_created", "feedback_reports", ["created_at"], unique=False)
    op.create_index(
        "ix_feedback_reports_unit_resolved",
        "feedback_reports",
        ["unit_code", "resolved_at"],
        unique=False,
        postgresql_where=sa.text("resolved_at IS NOT NULL"),
    )
    op.create_index(
        "ix_alarms_open_unit",
        "alarms",
        ["unit_code", "severity"],
        unique=False,
        postgresql_where=sa.text("cleared_at IS NULL"),
    )
    op.create_index("ix_dispatch_offers_offered", "dispatch_offers", ["offered_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_dispatch_offers_offered", table_name="dispatch_offers")
    op.drop_index("ix_alarms_open_unit", table_name="alarms")
    op.drop_index("ix_feedback_reports_unit_resolved", table_name="feedback_reports")
    op.drop_index("ix_feedback_reports_created", table_name="feedback_reports")
    op.drop_index("ix_feedback_reports_unit_created", table_name="feedback_reports")
