"""`citizenbot run` starts without the libraries that only some messages need (idle RSS:
bench/idle_rss.py): migrations and the city pack's full check run in a child process
(bot/preflight.py), shapes, photos, charts, the email client and the console's templates
load when first used, the table models' and survey questionnaires' pydantic schemas are built
when first used, and no button family carries a dataclass's generated methods."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.fakes.telegram_api import FakeBotAPI

HEAVY = (
    "matplotlib",
    "PIL",
    "shapely",
    "numpy",
    "alembic",
    "sqlalchemy.dialects.postgresql",
    "xml.etree.ElementTree",
    "babel.numbers",
    "aiosmtplib",  # with the first report emailed to a body
    "jinja2",  # with the staff console's first page
)

# `python -m bot run`, reporting once CitizenBot.start() has finished which heavy modules the
# started bot has imported.
PROBE = """
import runpy, sys
import bot.app

heavy = sys.argv[1].split(",")
start = bot.app.CitizenBot.start

async def reporting_start(self, *args, **kwargs):
    await start(self, *args, **kwargs)
    loaded = [name for name in heavy if name in sys.modules]
    # a table model's pydantic schema, built only when something validates or dumps one
    from storage.models.table import Table

    def tables(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from tables(sub)

    loaded += [t.__name__ for t in tables(Table) if t.__pydantic_complete__]
    import dataclasses
    import pydantic
    from bot.core.buttons import ButtonData

    loaded += [
        m.__name__ for m in tables(pydantic.BaseModel)
        if m.__module__ == "bot.surveys.schema" and m.__pydantic_complete__
    ]
    loaded += [b.__name__ for b in tables(ButtonData) if dataclasses.is_dataclass(b)]
    print("STARTED loaded=" + ",".join(loaded), flush=True)

bot.app.CitizenBot.start = reporting_start
sys.argv = ["citizenbot", "run"]
runpy.run_module("bot", run_name="__main__")
"""


def _env(tmp_path: Path, api: FakeBotAPI, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/bot.db",
        DATA_DIR=str(tmp_path),
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=api.base_url,
        HTTP_PORT="0",
        LOG_LEVEL="WARNING",
        **extra,
    )
    return env


async def test_run_starts_without_charts_photos_shapes_or_migrations(tmp_path: Path):
    async with FakeBotAPI() as api:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            PROBE,
            ",".join(HEAVY),
            cwd=tmp_path,
            env=_env(tmp_path, api),
            stdout=asyncio.subprocess.PIPE,
        )
        try:
            assert proc.stdout is not None
            line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
            assert line.startswith("STARTED"), line
            assert line.strip() == "STARTED loaded=", f"imported at start: {line}"
            await api.wait_for_polling(timeout=30)  # it serves Telegram all the same
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), 30) == 0
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    # the child process migrated the database before the bot started
    assert (tmp_path / "bot.db").stat().st_size > 0


async def test_run_with_a_broken_city_pack_stops_with_one_line(tmp_path: Path):
    async with FakeBotAPI() as api:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=tmp_path,
            env=_env(tmp_path, api, CITY="atlantis"),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    message = err.decode().strip()
    assert message.startswith("citizenbot: configuration error: no city pack 'atlantis'")
    assert len(message.splitlines()) == 1


async def test_run_with_a_pack_directory_whose_bodies_are_wrong(tmp_path: Path):
    """CITY may be a path: the city's own pack, checked in full before the bot starts."""
    import json
    import shutil

    from bot.city import PACKS_DIR

    pack = tmp_path / "mycity"
    shutil.copytree(PACKS_DIR / "sofia", pack)
    bodies = json.loads((pack / "bodies.json").read_text(encoding="utf-8"))
    bodies["bodies"][3]["districts"] = ["99"]
    (pack / "bodies.json").write_text(json.dumps(bodies), encoding="utf-8")
    async with FakeBotAPI() as api:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=tmp_path,
            env=_env(tmp_path, api, CITY=str(pack)),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    message = err.decode().strip()
    assert message == (
        f"citizenbot: configuration error: {pack / 'bodies.json'}: "
        "bodies[3].districts[0]: unknown district '99'"
    )
