"""outbox pruning: the counts of a finished run (per channel) and of direct messages (per
channel), kept when their rows are deleted

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 14:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = ("sent", "failed", "blocked", "cancelled", "transmitted", "delivered", "seen", "messages")


def upgrade() -> None:
    op.create_table(
        "notice_run_tally",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.ForeignKeyConstraint(["run_id"], ["notice_run.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "channel", name="uq_notice_run_tally"),
    )
    op.create_table(
        "outbox_direct_tally",
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.PrimaryKeyConstraint("channel"),
    )
    op.create_index("ix_notice_run_tally_run_id", "notice_run_tally", ["run_id"], unique=False)
    with op.batch_alter_table("notice_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pruned_at", storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notice_run", schema=None) as batch_op:
        batch_op.drop_column("pruned_at")
    op.drop_index("ix_notice_run_tally_run_id", table_name="notice_run_tally")
    op.drop_table("notice_run_tally")
    op.drop_table("outbox_direct_tally")
