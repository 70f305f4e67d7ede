"""The feedback table, exactly as ``FeedbackStore.create_schema`` made it before Alembic.

A database made by an older version already has the table and no ``alembic_version``: the
table is left as it is and the revision recorded, so existing SQLite files upgrade in place.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("feedback"):
        return
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("service_id", sa.String(100), nullable=False),
        sa.Column("card_uuid", sa.String(100), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("accepted_suggestions", sa.Text, nullable=True),
        sa.Column("override_reason_system", sa.String(300), nullable=True),
        sa.Column("override_reason_code", sa.String(100), nullable=True),
        sa.Column("override_reason_display", sa.String(300), nullable=True),
        sa.Column("has_user_comment", sa.Boolean, nullable=False),
        sa.Column("outcome_timestamp", sa.String(40), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "service_id", "card_uuid", "outcome", "outcome_timestamp", name="uq_feedback_report"
        ),
    )


def downgrade() -> None:
    op.drop_table("feedback")
