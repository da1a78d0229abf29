"""report forward: reports sent on to bodies by email or to their Open311 endpoint

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-03 22:30:00.000000

Safe under old code during a rolling restart: a new table old processes do not use.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "report_forward",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("body_code", sa.String(length=32), nullable=False),
        sa.Column("how", text(length=16), nullable=False),
        sa.Column("state", text(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("claimed_by", text(length=64), nullable=True),
        sa.Column("last_error", text(length=300), nullable=True),
        sa.Column("service_request_id", text(length=64), nullable=True),
        sa.Column("token", text(length=64), nullable=True),
        sa.Column("remote_status", text(length=16), nullable=True),
        sa.Column("sent_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("status_checked_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("report_id", "body_code", name="uq_report_forward_body"),
    )
    op.create_index("ix_report_forward_report_id", "report_forward", ["report_id"])
    op.create_index("ix_report_forward_body_code", "report_forward", ["body_code"])
    op.create_index("ix_report_forward_due", "report_forward", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("report_forward")
