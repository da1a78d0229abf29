"""`citizenbot apikey create NAME | limit NAME | revoke NAME | list`: keys for Open311 clients.

A new key is printed once, alone on the last line of the output (scripts take `tail -n 1`);
only its SHA-256 hash is stored. Each key files at most OPEN311_REPORTS_PER_MINUTE and
OPEN311_REPORTS_PER_DAY reports unless given its own limits (`--per-minute N --per-day N`
on create or limit; `default` goes back to the setting). Like `migrate`, every subcommand
first brings the database at DATABASE_URL to the latest schema.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from bot.config import Settings

if TYPE_CHECKING:
    from storage.db import Database
    from storage.models import ApiKey

NAME_MAX = 100
EXIT_FAILED = 1
DEFAULT = "default"


def _limit(text: str) -> int | None:
    """A limit option: a whole number from 1, or `default` (the setting) as None."""
    if text.strip().lower() == DEFAULT:
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 10_000_000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number from 1, or 'default'")
    return value


def _limit_options(parser: argparse.ArgumentParser) -> None:
    for option, what in (("--per-minute", "a minute"), ("--per-day", "a day (city time)")):
        parser.add_argument(
            option,
            type=_limit,
            metavar="N",
            default=argparse.SUPPRESS,
            help=f"reports the key may file {what}; 'default': the setting",
        )


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "apikey",
        help="create, revoke or list API keys for Open311 clients",
        description="Manage the API keys that Open311 clients need to file reports "
        "(POST /open311/v2/requests). Only a hash of each key is stored.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create", help="make a key for NAME and print it (once, on the last line)"
    )
    create.add_argument("name", metavar="NAME", help="who the key is for, e.g. crm")
    _limit_options(create)
    limit = actions.add_parser("limit", help="change how many reports NAME's key may file")
    limit.add_argument("name", metavar="NAME")
    _limit_options(limit)
    revoke = actions.add_parser("revoke", help="revoke NAME's key: it stops working at once")
    revoke.add_argument("name", metavar="NAME")
    actions.add_parser(
        "list", help="name, prefix, limits, created, last used and revoked of each key"
    )


async def run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.city import load_city
    from storage.db import Database
    from storage.migrate import upgrade

    await upgrade(settings.database_url)
    tz = load_city(settings.city, lazy_shapes=True).timezone  # the time zone alone
    db = Database(settings.database_url)
    try:
        limits = {k: getattr(args, k) for k in ("per_minute", "per_day") if hasattr(args, k)}
        if args.action == "create":
            return await _create(db, args.name.strip(), limits, settings)
        if args.action == "limit":
            return await _set_limits(db, args.name.strip(), limits, settings)
        if args.action == "revoke":
            return await _revoke(db, args.name.strip())
        return await _list(db, tz, settings)
    finally:
        await db.dispose()


async def _create(
    db: Database, name: str, limits: dict[str, int | None], settings: Settings
) -> int:
    from storage.repos import api_keys

    if not name or len(name) > NAME_MAX:
        return _fail(f"NAME must be 1-{NAME_MAX} characters")
    try:
        async with db.sessions() as session, session.begin():
            row, key = await api_keys.create(session, name=name, **limits)
            prefix = row.prefix
            minute, day = _limits(row, settings)
    except IntegrityError:
        return _fail(f"an API key named {name!r} already exists (revoke it or pick a new name)")
    print(f"API key {name!r} created (prefix {prefix}).")
    print(f"It may file {minute} reports a minute and {day} a day. It is shown only this once:")
    print(key)
    return 0


async def _set_limits(
    db: Database, name: str, limits: dict[str, int | None], settings: Settings
) -> int:
    from storage.repos import api_keys

    if not limits:
        return _fail("give --per-minute N, --per-day N or both")
    async with db.sessions() as session, session.begin():
        row = await api_keys.set_limits(session, name=name, limits=limits)
        if row is None:
            return _fail(f"no active API key named {name!r}")
        minute, day = _limits(row, settings)
    print(f"API key {name!r} may file {minute} reports a minute and {day} a day")
    return 0


def _limits(row: ApiKey, settings: Settings) -> tuple[str, str]:
    """The key's limits as shown: its own, or the setting's followed by "(default)"."""
    minute, day = settings.open311_reports_per_minute, settings.open311_reports_per_day
    return (
        str(row.per_minute) if row.per_minute else f"{minute} (default)",
        str(row.per_day) if row.per_day else f"{day} (default)",
    )


async def _revoke(db: Database, name: str) -> int:
    from storage.repos import api_keys

    async with db.sessions() as session, session.begin():
        revoked = await api_keys.revoke(session, name=name)
    if not revoked:
        return _fail(f"no active API key named {name!r}")
    print(f"API key {name!r} revoked")
    return 0


async def _list(db: Database, tz: ZoneInfo, settings: Settings) -> int:
    from storage.repos import api_keys

    async with db.sessions() as session:
        rows = await api_keys.all_keys(session)
    if not rows:
        print("no API keys yet (citizenbot apikey create NAME)")
        return 0
    table = [("NAME", "PREFIX", "PER MINUTE", "PER DAY", "CREATED", "LAST USED", "REVOKED")]
    table += [
        (
            r.name,
            r.prefix,
            *_limits(r, settings),
            _when(r.created_at, tz),
            _when(r.last_used_at, tz),
            _when(r.revoked_at, tz),
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _when(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else "-"


def _fail(message: str) -> int:
    print(f"citizenbot apikey: {message}", file=sys.stderr)
    return EXIT_FAILED
