"""The start-up checks of `citizenbot run`, in a child process: the database is brought to the
latest schema (alembic) and the city pack is checked in full (its district polygons, with
shapely). The serving process then holds neither alembic and the migration scripts nor
shapely and the polygons until a citizen's location needs them: about 25 MB less resident
memory for the life of the process (bench/idle_rss.py). The child reads the database URL and
the city from its environment, never from its command line (a URL may carry a password).
"""

from __future__ import annotations

import asyncio
import os
import sys

from bot.city import CityPackError, load_city
from bot.logs import setup_logging

URL_VARIABLE = "CITIZENBOT_PREFLIGHT_DATABASE_URL"
CITY_VARIABLE = "CITIZENBOT_PREFLIGHT_CITY"
LEVEL_VARIABLE = "CITIZENBOT_PREFLIGHT_LOG_LEVEL"
EXIT_CITY = 3  # the pack is broken: its one-line reason is on stdout


class PreflightFailed(RuntimeError):
    """The migrations failed in the child (its traceback went to stderr)."""


async def preflight(database_url: str, city: str, log_level: str) -> None:
    """Run the checks in a child process; raises CityPackError or PreflightFailed."""
    env = {
        **os.environ,
        URL_VARIABLE: database_url,
        CITY_VARIABLE: city,
        LEVEL_VARIABLE: log_level,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.preflight", env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    if proc.returncode == EXIT_CITY:
        raise CityPackError(out.decode(errors="replace").strip())
    if proc.returncode != 0:
        raise PreflightFailed(f"the database migrations failed (exit {proc.returncode})")


def main() -> int:
    setup_logging(os.environ.get(LEVEL_VARIABLE, "INFO"), [])
    try:
        load_city(os.environ[CITY_VARIABLE])
    except CityPackError as exc:
        print(exc, flush=True)
        return EXIT_CITY
    from storage.migrate import upgrade

    asyncio.run(upgrade(os.environ[URL_VARIABLE]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
