"""Alembic migrations and the models never drift apart, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import storage.models  # noqa: F401 - the tables
from storage.db import Database
from storage.migrate import alembic_config, current, upgrade

# Indexes only a migration makes, on one database: PostgreSQL's trigram index of the console's
# free-text search (migration 0013; SQLAlchemy cannot declare its operator class portably).
MIGRATION_ONLY_INDEXES = {"ix_report_text_trgm"}
# SQLite's FTS5 index of the same search (migration 0018) and its shadow tables.
MIGRATION_ONLY_TABLES = "report_fts"


def _modelled(obj, name, type_, reflected, compare_to) -> bool:
    if type_ == "table" and name.startswith(MIGRATION_ONLY_TABLES):
        return False
    return not (type_ == "index" and name in MIGRATION_ONLY_INDEXES)


def _named(name, type_, parent_names) -> bool:
    return not (type_ == "table" and name.startswith(MIGRATION_ONLY_TABLES))


async def test_migrated_database_matches_the_models(db: Database):
    def diff(connection):
        ctx = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_object": _modelled, "include_name": _named},
        )
        return compare_metadata(ctx, SQLModel.metadata)

    async with db.engine.connect() as conn:
        changes = await conn.run_sync(diff)
    assert changes == [], f"models and migrations differ; add a migration: {changes}"


async def test_database_is_at_head_and_upgrade_is_idempotent(db: Database, db_url: str):
    head = ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()
    assert await current(db_url) == head
    await upgrade(db_url)
    assert await current(db_url) == head


def test_migration_history_is_linear():
    script = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://"))
    assert len(script.get_heads()) == 1
