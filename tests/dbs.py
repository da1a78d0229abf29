"""Fresh, migrated databases for tests: SQLite always, PostgreSQL when TEST_DATABASE_URL is set.

Migrations run once per test session into a template; each test gets its own copy (a file
copy on SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL), so tests are isolated.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from storage.migrate import upgrade

PG_ENV = "TEST_DATABASE_URL"


def postgres_url() -> str | None:
    url = os.environ.get(PG_ENV)
    if not url:
        return None
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url.removeprefix("postgresql://")
    return url


def unreachable_url(like: str) -> str:
    """A database URL of the same backend that cannot be reached (an outage)."""
    if like.startswith("sqlite"):
        return "sqlite+aiosqlite:////dev/null/outage.db"
    return "postgresql+asyncpg://postgres@127.0.0.1:1/test"


@contextlib.asynccontextmanager
async def postgres_outage(url: str, how: str) -> AsyncIterator[None]:
    """The PostgreSQL database of `url` becomes unavailable while the server stays up, then
    returns: `how` is "renamed" (connecting says it does not exist) or "closed" (ALLOW_CONNECTIONS
    false). Its open connections are ended, as an operator doing this would see them end."""
    name = make_url(url).database
    away = f"{name}_away"
    admin = await asyncpg.connect(_dsn(url, "postgres"))
    try:
        await admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        if how == "renamed":
            await admin.execute(f'ALTER DATABASE "{name}" RENAME TO "{away}"')
            await admin.execute(f'ALTER DATABASE "{away}" WITH ALLOW_CONNECTIONS true')
        else:
            assert how == "closed", how
        yield
    finally:
        if how == "renamed":
            await admin.execute(f'ALTER DATABASE "{away}" RENAME TO "{name}"')
        await admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        await admin.close()


def _dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


class SqliteTemplates:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._template: Path | None = None
        self._lock = asyncio.Lock()

    async def fresh(self) -> str:
        async with self._lock:
            if self._template is None:
                template = self.root / "template.db"
                await upgrade(f"sqlite+aiosqlite:///{template}")
                self._template = template
        path = self.root / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(self._template, path)
        return f"sqlite+aiosqlite:///{path}"


class PostgresTemplates:
    """Databases copied from one migrated template, kept for reuse within a test process.

    Creating a database takes ~0.15 s and dropping one ~0.3–0.8 s (PostgreSQL checkpoints on
    DROP DATABASE), far more than most tests. So a released database is emptied instead
    (every table's rows deleted, sequences restarted: ~10 ms) and handed to the next test,
    unless its schema no longer matches the template's (a migration test) or it cannot be
    emptied at once: then it is dropped and a new copy made.
    """

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.template = f"cb_tpl_{uuid.uuid4().hex[:10]}"
        self._ready = False
        self._lock = asyncio.Lock()
        self._free: list[str] = []
        self._schema: str | None = None
        self._empty_sql = ""
        self.created: list[str] = []

    async def _admin(self) -> asyncpg.Connection:
        return await asyncpg.connect(_dsn(self.base_url))

    def _url(self, name: str) -> str:
        return make_url(self.base_url).set(database=name).render_as_string(hide_password=False)

    async def fresh(self) -> str:
        async with self._lock:
            if not self._ready:
                await self._make_template()
            if self._free:
                return self._url(self._free.pop())
        name = f"cb_t_{uuid.uuid4().hex[:12]}"
        conn = await self._admin()
        try:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
            # Tests never outlive the server, so commits need not wait for the disk.
            await conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        finally:
            await conn.close()
        self.created.append(name)
        return self._url(name)

    async def _make_template(self) -> None:
        conn = await self._admin()
        try:
            await conn.execute(f'CREATE DATABASE "{self.template}"')
        finally:
            await conn.close()
        await upgrade(self._url(self.template))
        conn = await asyncpg.connect(_dsn(self.base_url, self.template))
        try:
            self._schema = await conn.fetchval(_SCHEMA_FINGERPRINT)
            tables = await conn.fetch(
                "SELECT quote_ident(tablename) AS t FROM pg_tables"
                " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        finally:
            await conn.close()
        self._empty_sql = "".join(f"DELETE FROM {row['t']};" for row in tables)
        self._ready = True

    async def release(self, url: str) -> None:
        """The test is done with `url`: empty it for the next test, or drop it."""
        name = make_url(url).database
        assert name is not None
        if await self._emptied(name):
            self._free.append(name)
        else:
            await self.drop(url)

    async def _emptied(self, name: str) -> bool:
        try:
            conn = await asyncpg.connect(_dsn(self.base_url, name), timeout=5)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False
        try:
            # Whatever the test left connected (and its advisory locks) goes first.
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if await conn.fetchval(_SCHEMA_FINGERPRINT) != self._schema:
                return False
            async with conn.transaction():
                await conn.execute(
                    "SET LOCAL lock_timeout = '2s';"
                    # Rows go in any order: foreign keys are not checked for this.
                    "SET LOCAL session_replication_role = replica;"
                    + self._empty_sql
                    + "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass,"
                    " start_value, false) FROM pg_sequences WHERE schemaname = 'public';"
                )
            return True
        except asyncpg.PostgresError:
            return False
        finally:
            await conn.close()

    async def drop(self, url: str) -> None:
        name = make_url(url).database
        conn = await self._admin()
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    async def drop_template(self) -> None:
        """At the session's end: the reused databases and the template."""
        if not self._ready:
            return
        conn = await self._admin()
        try:
            for name in [*self._free, self.template]:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


# Tables, columns, indexes, constraints, triggers and the migration: equal to the template's
# means a test left the schema as it found it.
_SCHEMA_FINGERPRINT = """
SELECT md5(coalesce(string_agg(x, ',' ORDER BY x), '')) FROM (
    SELECT 'c:' || table_name || '.' || column_name || ':' || data_type || ':' || is_nullable
        || ':' || coalesce(column_default, '') AS x
    FROM information_schema.columns WHERE table_schema = 'public'
    UNION ALL SELECT 'i:' || indexdef FROM pg_indexes WHERE schemaname = 'public'
    UNION ALL SELECT 'k:' || conrelid::regclass || ':' || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    UNION ALL SELECT 't:' || tgrelid::regclass || ':' || tgname FROM pg_trigger
    WHERE NOT tgisinternal
    UNION ALL SELECT 'v:' || version_num FROM alembic_version
) AS schema
"""
