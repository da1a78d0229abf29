"""report confirmation: the citizen's answer to "Is it fixed?" after a report is resolved

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-03 17:20:00.000000

The answers themselves are report_event rows (kinds "confirmed" and "not_fixed"); these
columns keep the last answer on the report. Safe under old code during a rolling restart:
nullable columns old processes do not read.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report") as batch:
        batch.add_column(sa.Column("citizen_confirmed", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("confirmed_at", storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("report") as batch:
        batch.drop_column("confirmed_at")
        batch.drop_column("citizen_confirmed")
