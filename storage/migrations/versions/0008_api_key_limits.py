"""rate limits per API key

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 14:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("per_minute", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("per_day", sa.Integer(), nullable=True))
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.create_index(
            "ix_report_api_key_created", ["api_key_id", "created_at"], unique=False
        )
        batch_op.drop_index("ix_report_api_key_id")


def downgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.create_index("ix_report_api_key_id", ["api_key_id"], unique=False)
        batch_op.drop_index("ix_report_api_key_created")
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_column("per_day")
        batch_op.drop_column("per_minute")
