"""report search: an FTS5 trigram index of the reports' text on SQLite

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 22:20:00.000000

The console's free-text search (storage/repos/queue.py) over the public id, description and
address. SQLite: an external-content FTS5 table with the trigram tokenizer (SQLite 3.34+),
kept by triggers, so a substring of three or more characters, in any case (Unicode case
folding, Cyrillic too), is found through the index instead of a scan of every report.
PostgreSQL keeps its trigram GIN index (migration 0013) and makes nothing here. Safe under
old code during a rolling restart: old processes do not read the table, the triggers keep it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATEMENTS = (
    "CREATE VIRTUAL TABLE report_fts USING fts5(public_id, description, address, "
    "content='report', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER report_fts_insert AFTER INSERT ON report BEGIN "
    "INSERT INTO report_fts(rowid, public_id, description, address) "
    "VALUES (new.id, new.public_id, new.description, new.address); END",
    "CREATE TRIGGER report_fts_delete AFTER DELETE ON report BEGIN "
    "INSERT INTO report_fts(report_fts, rowid, public_id, description, address) "
    "VALUES ('delete', old.id, old.public_id, old.description, old.address); END",
    "CREATE TRIGGER report_fts_update AFTER UPDATE OF public_id, description, address "
    "ON report BEGIN "
    "INSERT INTO report_fts(report_fts, rowid, public_id, description, address) "
    "VALUES ('delete', old.id, old.public_id, old.description, old.address); "
    "INSERT INTO report_fts(rowid, public_id, description, address) "
    "VALUES (new.id, new.public_id, new.description, new.address); END",
    "INSERT INTO report_fts(report_fts) VALUES ('rebuild')",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in ("report_fts_update", "report_fts_delete", "report_fts_insert"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS report_fts")
