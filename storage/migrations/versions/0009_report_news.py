"""a citizen's choice to hear about their own and followed reports, apart from /stop

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 14:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both backends: no table copy, every row keeps the default (on).
    op.add_column(
        "alert_settings",
        sa.Column("report_news", sa.Boolean(), nullable=False, server_default=sa.true()),
    )


def downgrade() -> None:
    with op.batch_alter_table("alert_settings", schema=None) as batch_op:
        batch_op.drop_column("report_news")
