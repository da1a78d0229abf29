"""report late notice: when the reporter was told the resolve deadline passed

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-03 22:30:00.000000

Safe under old code during a rolling restart: a nullable column old processes do not read,
and an index.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report") as batch:
        batch.add_column(sa.Column("late_told_at", storage.types.UTCDateTime(), nullable=True))
        batch.create_index("ix_report_resolve_due_status", ["resolve_due_at", "status"])


def downgrade() -> None:
    with op.batch_alter_table("report") as batch:
        batch.drop_index("ix_report_resolve_due_status")
        batch.drop_column("late_told_at")
