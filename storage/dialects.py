"""PostgreSQL's `insert()` (with ON CONFLICT), loaded when first used: on SQLite the PostgreSQL
dialect (some 15 modules, 2 MB resident) is never imported (idle RSS: bench/idle_rss.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.dialects.postgresql import Insert


def pg_insert(table: Any) -> Insert:
    from sqlalchemy.dialects.postgresql import insert

    return insert(table)
