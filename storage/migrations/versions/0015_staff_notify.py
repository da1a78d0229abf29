"""staff notifications: how each staff member hears of their bodies' new reports

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 22:30:00.000000

Safe under old code during a rolling restart: a new table old processes do not read (without
a row a staff member gets every report, as the new code's default).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage.types import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "staff_notify",
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("mode", _TEXT(length=8), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["citizen_id"], ["citizen.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("citizen_id"),
    )


def downgrade() -> None:
    op.drop_table("staff_notify")
