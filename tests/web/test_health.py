from __future__ import annotations

import aiohttp

from bot import __version__
from bot.web.server import DB_KEY
from storage.db import Database
from tests.dbs import unreachable_url


async def test_healthz_ok_when_the_database_answers(bot_factory):
    app = await bot_factory([], web=True)
    async with aiohttp.ClientSession() as http, http.get(f"{app.web.url}/healthz") as resp:
        assert resp.status == 200
        assert await resp.json() == {"status": "ok", "database": "ok", "version": __version__}


async def test_healthz_503_when_the_database_is_down(bot_factory, db_url: str):
    app = await bot_factory([], web=True)
    await app.db.dispose()
    app.web.app[DB_KEY].engine = Database(unreachable_url(db_url)).engine
    async with aiohttp.ClientSession() as http, http.get(f"{app.web.url}/healthz") as resp:
        assert resp.status == 503
        assert (await resp.json())["database"] == "unavailable"
