"""outbox claim index in the claim's order: (channel, status, next_attempt_at, id)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 13:00:00.000000

The delivery engine claims the oldest due rows, and rows due at the same moment (a broadcast's
are all queued at once) in the order they were queued: ORDER BY next_attempt_at, id. The index
stopped at next_attempt_at, so PostgreSQL sorted every due row to find the first 50: 230 ms a
claim with 800,000 rows pending, which held a million-recipient broadcast to 300 messages a
second (bench/README.md). With id in the index the scan yields the rows in order and stops at
the limit.

The index is rebuilt in the migration's transaction: on PostgreSQL writes to the outbox (new rows,
claims, results) wait while it is built (2.1 s for a million rows here), reads do not; processes
still running the old code claim as before.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = ["channel", "status", "next_attempt_at"]
NEW = ["channel", "status", "next_attempt_at", "id"]


def _replace(columns: list[str]) -> None:
    # Built before the old one is dropped, so claims always have an index.
    op.create_index("ix_outbox_claim_next", "outbox", columns)
    op.drop_index("ix_outbox_claim", table_name="outbox")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX ix_outbox_claim_next RENAME TO ix_outbox_claim")
    else:  # SQLite cannot rename an index
        op.create_index("ix_outbox_claim", "outbox", columns)
        op.drop_index("ix_outbox_claim_next", table_name="outbox")


def upgrade() -> None:
    _replace(NEW)


def downgrade() -> None:
    _replace(OLD)
