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
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.template = f"cb_tpl_{uuid.uuid4().hex[:10]}"
        self._ready = False
        self._lock = asyncio.Lock()
        self.created: list[str] = []

    async def _admin(self) -> asyncpg.Connection:
        return await asyncpg.connect(_dsn(self.base_url))

    async def fresh(self) -> str:
        async with self._lock:
            if not self._ready:
                conn = await self._admin()
                try:
                    await conn.execute(f'CREATE DATABASE "{self.template}"')
                finally:
                    await conn.close()
                await upgrade(
                    make_url(self.base_url)
                    .set(database=self.template)
                    .render_as_string(hide_password=False)
                )
                self._ready = True
        name = f"cb_t_{uuid.uuid4().hex[:12]}"
        conn = await self._admin()
        try:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        finally:
            await conn.close()
        self.created.append(name)
        return make_url(self.base_url).set(database=name).render_as_string(hide_password=False)

    async def drop(self, url: str) -> None:
        name = make_url(url).database
        conn = await self._admin()
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    async def drop_template(self) -> None:
        if self._ready:
            conn = await self._admin()
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
            finally:
                await conn.close()
