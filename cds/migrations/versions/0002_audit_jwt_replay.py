"""The audit table (one row per hook call, cds.audit) and the JWT replay cache (cds.auth).

``jwt_replay`` is the shared ``jti`` cache: ``(iss TEXT NOT NULL, jti TEXT NOT NULL,
expires_at TIMESTAMP WITH TIME ZONE NOT NULL, PRIMARY KEY (iss, jti))``. Both are created only
if missing, so a replay table made by the verifier itself before this revision is kept.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# SQLite autoincrements only an INTEGER PRIMARY KEY; elsewhere the audit log outgrows 32 bits.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("audit"):
        op.create_table(
            "audit",
            sa.Column("id", _ID, primary_key=True, autoincrement=True),
            sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("hook_instance", sa.String(64), nullable=False),
            sa.Column("service_id", sa.String(100), nullable=False),
            sa.Column("hook", sa.String(40), nullable=False),
            sa.Column("client_iss", sa.String(300), nullable=True),
            sa.Column("outcome", sa.String(40), nullable=False),
            sa.Column("card_count", sa.Integer, nullable=False),
            sa.Column("cards_critical", sa.Integer, nullable=False),
            sa.Column("cards_warning", sa.Integer, nullable=False),
            sa.Column("cards_info", sa.Integer, nullable=False),
            sa.Column("rules", sa.Text, nullable=True),
            sa.Column("missing", sa.Text, nullable=True),
            sa.Column("gather_ms", sa.Float, nullable=False),
            sa.Column("facts_ms", sa.Float, nullable=False),
            sa.Column("evaluate_ms", sa.Float, nullable=False),
            sa.Column("render_ms", sa.Float, nullable=False),
            sa.Column("total_ms", sa.Float, nullable=False),
        )
        op.create_index("ix_audit_recorded_at", "audit", ["recorded_at"])
        op.create_index("ix_audit_hook_instance", "audit", ["hook_instance"])
    if not inspector.has_table("jwt_replay"):
        op.create_table(
            "jwt_replay",
            sa.Column("iss", sa.Text, nullable=False),
            sa.Column("jti", sa.Text, nullable=False),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("iss", "jti"),
        )


def downgrade() -> None:
    op.drop_table("jwt_replay")
    op.drop_index("ix_audit_hook_instance", table_name="audit")
    op.drop_index("ix_audit_recorded_at", table_name="audit")
    op.drop_table("audit")
