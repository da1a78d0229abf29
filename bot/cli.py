"""citizenbot run | chat | migrate | apikey | surveys."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from bot import __version__, apikeys
from bot.city import CityPackError
from bot.config import ConfigError, Settings, load_settings
from bot.core.channel import ChannelUnavailable
from bot.i18n import LANGUAGES
from bot.logs import setup_logging
from bot.preflight import PreflightFailed
from bot.surveys import cli as surveys_cli

log = logging.getLogger("citizenbot")

EXIT_CONFIG = 2
CONSOLE_LOG = "console.log"  # under DATA_DIR/logs
T = TypeVar("T")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="citizenbot",
        description="A messenger bot through which a city talks with its citizens.",
    )
    parser.add_argument("--version", action="version", version=f"citizenbot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser(
        "run",
        help="serve every configured channel, the web server and the scheduler",
        description="Serve every configured channel (Telegram when TELEGRAM_BOT_TOKEN is set, "
        "Viber when VIBER_AUTH_TOKEN is set), "
        "the web server and the scheduler. With no channel configured, opens the console.",
    )
    chat = sub.add_parser(
        "chat",
        help="talk to the bot in this terminal (console channel)",
        description="Talk to the bot in this terminal. Buttons are numbered: type the number "
        "or the label. /loc LAT LON sends a location, /photo PATH a photo; a line ending in \\ "
        "goes on to the next. Reads until EOF. Files and pictures go to DATA_DIR/exports, the "
        "log to DATA_DIR/logs/console.log.",
    )
    chat.add_argument("--user", default="local", help="console user id (default: local)")
    chat.add_argument("--lang", choices=LANGUAGES, help="the language your client reports")
    sub.add_parser(
        "migrate",
        help="apply database migrations",
        description="Bring the database at DATABASE_URL to the latest schema.",
    )
    apikeys.add_parser(sub)
    surveys_cli.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    _reserve_standard_fds()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_CONFIG
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"citizenbot: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    serving = settings.telegram_enabled or settings.viber_enabled
    console = args.command == "chat" or (args.command == "run" and not serving)
    quiet = args.command in ("apikey", "surveys")
    level = settings.log_level or ("WARNING" if quiet else "INFO")
    # The console's log goes to a file: the terminal is the chat.
    log_file = (Path(settings.data_dir) / "logs" / CONSOLE_LOG).resolve() if console else None
    log_file = setup_logging(level, _secrets(settings), file=log_file)
    try:
        if args.command == "migrate":
            return asyncio.run(_migrate(settings))
        if args.command == "apikey":
            return asyncio.run(apikeys.run(settings, args))
        if args.command == "surveys":
            return asyncio.run(surveys_cli.run(settings, args))
        user = getattr(args, "user", "local")
        lang = getattr(args, "lang", None)
        serve_web = args.command == "run"
        return run_loop(
            _run(
                settings,
                console=console,
                serve_web=serve_web,
                user=user,
                lang=lang,
                log_file=log_file,
            )
        )
    except (ConfigError, CityPackError) as exc:
        print(f"citizenbot: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except (PreflightFailed, ChannelUnavailable) as exc:
        print(f"citizenbot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


def _reserve_standard_fds() -> None:
    """Open /dev/null on a closed stdin, stdout or stderr (`citizenbot chat <&-`): otherwise
    the next file or socket opened takes that number, the console reads the database file as
    its input, and uvloop aborts when it closes it."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            os.open(os.devnull, os.O_RDWR)  # the lowest free number: this one


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run the service on uvloop where it is installed (faster sockets and thread wake-ups:
    see bench/README.md), else on asyncio's own loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def _secrets(settings: Settings) -> list[str]:
    values = [
        settings.telegram_bot_token,
        settings.telegram_webhook_secret,
        settings.viber_auth_token,
    ]
    return [v.get_secret_value() for v in values if v is not None]


async def _migrate(settings: Settings) -> int:
    from storage.migrate import upgrade

    await upgrade(settings.database_url)
    print("database is up to date")
    return 0


async def _run(
    settings: Settings,
    *,
    console: bool,
    serve_web: bool,
    user: str,
    lang: str | None,
    log_file: Path | None = None,
) -> int:
    from bot.app import CitizenBot, StopSignals
    from bot.channels.console import ConsoleChannel
    from bot.city import load_city
    from bot.core.messages import Address
    from bot.i18n import Translator
    from storage.repos import citizens

    if console:
        from storage.migrate import upgrade

        await upgrade(settings.database_url)
        city = load_city(settings.city)
    else:
        # Serving: migrations and the full check of the city pack run in a child process, so
        # alembic and shapely are not kept in this one's memory (bot/preflight.py).
        from bot.preflight import preflight

        level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
        await preflight(settings.database_url, settings.city, level)
        city = load_city(settings.city, lazy_shapes=True)
    terminal: ConsoleChannel | None = None
    channels = None
    if console:
        translator = Translator(default=settings.default_language)
        terminal = ConsoleChannel(
            t=lambda key, **kw: translator.translate(lang, key, **kw),
            user_id=user,
            language=lang,
            files_dir=Path(settings.data_dir) / "exports",
            translate=translator.translate,
            log_file=log_file,
        )
        channels = [terminal]
    app = CitizenBot(settings, channels=channels, city=city)
    if terminal is not None:

        async def chosen_language(address: Address) -> str | None:
            async with app.db.sessions() as session:
                citizen = await citizens.find_by_identity(
                    session, channel=address.channel, user_id=address.user_id
                )
            if citizen is None or citizen.consent_version is None:
                return None  # not chosen yet
            return citizen.language

        terminal.language_of = chosen_language
    with StopSignals() as signals:
        try:
            await app.start(web=serve_web)
            if terminal is None:
                await signals.wait()
            else:
                reading = asyncio.ensure_future(terminal.run_terminal(app.dispatcher.dispatch))
                await signals.wait(reading)
                if reading.done():
                    reading.result()
                else:
                    reading.cancel()
        finally:
            await app.stop()
    return 0
