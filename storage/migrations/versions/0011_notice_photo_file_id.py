"""notice photo file id: Telegram's file_id of a notice's photo, once uploaded

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 15:10:00.000000

Safe under old code during a rolling restart: a nullable column old processes do not read.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notice") as batch:
        batch.add_column(
            sa.Column("photo_file_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("notice") as batch:
        batch.drop_column("photo_file_id")
