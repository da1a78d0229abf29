"""console: sign-in links and sessions of the staff web console; the queue's indexes

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-03 17:00:00.000000

Safe under old code during a rolling restart: new tables and indexes old processes do not use.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("used_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["citizen_id"], ["citizen.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_console_link_citizen_id", "console_link", ["citizen_id"])
    op.create_table(
        "console_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("seen_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("ended_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["citizen_id"], ["citizen.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_index("ix_console_session_citizen_id", "console_session", ["citizen_id"])
    op.create_index("ix_report_created_id", "report", ["created_at", "id"])
    op.create_index("ix_report_status_created", "report", ["status", "created_at", "id"])
    op.create_index("ix_report_updated_id", "report", ["updated_at", "id"])
    if op.get_bind().dialect.name == "postgresql":
        _trigram_index()


# The console's free-text search (storage/repos/queue.py JOINED_TEXT) on PostgreSQL: a GIN
# trigram index answers ILIKE '%…%'. pg_trgm is a trusted extension (PostgreSQL 13+: the
# database's owner may create it); where it cannot be created the search still works, by a
# scan. Reflection skips expression indexes, so the models need not name it.
TRIGRAM_INDEX = (
    "CREATE INDEX ix_report_text_trgm ON report USING gin "
    "((public_id || ' ' || description || ' ' || coalesce(address, '')) gin_trgm_ops)"
)


def _trigram_index() -> None:
    bind = op.get_bind()
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError:
        return
    bind.exec_driver_sql(TRIGRAM_INDEX)


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_report_text_trgm")
    op.drop_index("ix_report_updated_id", table_name="report")
    op.drop_index("ix_report_status_created", table_name="report")
    op.drop_index("ix_report_created_id", table_name="report")
    op.drop_index("ix_console_session_citizen_id", table_name="console_session")
    op.drop_table("console_session")
    op.drop_index("ix_console_link_citizen_id", table_name="console_link")
    op.drop_table("console_link")
