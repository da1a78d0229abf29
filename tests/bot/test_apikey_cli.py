"""`citizenbot apikey` as an operator runs it, and the key it prints against the real API."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from bot.app import CitizenBot
from tests.conftest import make_settings

Post = Callable[[str], Awaitable[int]]


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


async def citizenbot(*args: str, database_url: str, cwd: Path) -> Run:
    """`python -m bot apikey ARGS` in a subprocess (awaited, so two can run at once)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env["DATABASE_URL"] = database_url
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "apikey",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
        cwd=cwd,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return Run(proc.returncode, out.decode(), err.decode())


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/keys.db"


@pytest.fixture
async def post(database_url: str, tmp_path: Path) -> AsyncIterator[Post]:
    """POST an Open311 request with a key to the bot serving the same database; the status."""
    app: CitizenBot | None = None

    async def send(key: str) -> int:
        nonlocal app
        if app is None:  # started after the CLI made the database
            settings = make_settings(database_url, data_dir=str(tmp_path / "data"))
            app = CitizenBot(settings)
            await app.start(web=True)
        lat, lon = app.city.center
        form = {"api_key": key, "service_code": "sofia-1", "lat": str(lat), "long": str(lon)}
        url = f"{app.web.url}/open311/v2/requests.json"
        async with aiohttp.ClientSession() as http, http.post(url, data=form) as resp:
            return resp.status

    yield send
    if app is not None:
        await app.stop()


async def test_create_list_revoke(database_url: str, tmp_path: Path, post: Post):
    def run(*args: str) -> Awaitable[Run]:
        return citizenbot(*args, database_url=database_url, cwd=tmp_path)

    created = await run("create", "crm")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    assert len(key) >= 40 and " " not in key
    assert key not in created.stderr
    assert await post(key) == 200
    assert await post(key + "x") == 403

    listed, again = await asyncio.gather(run("list"), run("create", "crm"))
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.strip().splitlines()
    assert header.split() == [
        "NAME", "PREFIX", "PER", "MINUTE", "PER", "DAY", "CREATED", "LAST", "USED", "REVOKED"
    ]  # fmt: skip
    assert row.split()[:6] == ["crm", key[:8], "30", "(default)", "1000", "(default)"]
    assert len(row.split()) == 11 and row.split()[-1] == "-"  # used (date, time), not revoked
    assert key not in listed.stdout + listed.stderr
    assert again.returncode == 1 and "already exists" in again.stderr
    assert again.stdout == ""

    revoked = await run("revoke", "crm")
    assert revoked.returncode == 0, revoked.stderr
    assert await post(key) == 403
    listed, missing = await asyncio.gather(run("list"), run("revoke", "crm"))
    assert listed.stdout.strip().splitlines()[1].split()[-1] != "-"
    assert missing.returncode == 1 and "no active API key named 'crm'" in missing.stderr


async def test_limits_per_key(database_url: str, tmp_path: Path, post: Post):
    def run(*args: str) -> Awaitable[Run]:
        return citizenbot(*args, database_url=database_url, cwd=tmp_path)

    created = await run("create", "crm", "--per-minute", "2", "--per-day", "500")
    assert created.returncode == 0, created.stderr
    assert "It may file 2 reports a minute and 500 a day." in created.stdout
    key = created.stdout.strip().splitlines()[-1]
    assert [await post(key) for _ in range(3)] == [200, 200, 429]

    changed = await run("limit", "crm", "--per-minute", "3")
    assert changed.stdout == "API key 'crm' may file 3 reports a minute and 500 a day\n"
    assert await post(key) == 200
    assert await post(key) == 429
    reset = await run("limit", "crm", "--per-minute", "default", "--per-day", "default")
    assert reset.stdout == (
        "API key 'crm' may file 30 (default) reports a minute and 1000 (default) a day\n"
    )
    listed = await run("list")
    assert listed.stdout.splitlines()[1].split()[2:6] == ["30", "(default)", "1000", "(default)"]
    assert await post(key) == 200

    for args, words in [
        (("limit", "crm"), "give --per-minute N"),
        (("limit", "gis", "--per-day", "5"), "no active API key named 'gis'"),
        (("limit", "crm", "--per-day", "0"), "'0' is not a number from 1"),
        (("create", "gis", "--per-minute", "many"), "'many' is not a number from 1"),
    ]:
        refused = await run(*args)
        assert refused.returncode != 0 and words in refused.stderr, (args, refused.stderr)
