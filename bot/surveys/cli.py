"""`citizenbot surveys load [PATH] | export ID [-o FILE] | list`.

load: checks every survey file at PATH (a file or a directory of *.yaml; by default the city
pack's surveys/) and, only if all are right, creates or updates them in one transaction. A bad
file is refused with "file:line: reason" on stderr (exit 1) and nothing is loaded.
export: the anonymised responses of survey ID (number or code) as CSV, to stdout or FILE
(bot.domain.surveys.export_chunks, recorded in the audit log as done by "cli").
Like `migrate`, every subcommand first brings the database to the latest schema.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Settings

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from bot.city import CityPack
    from bot.domain.work import Work
    from storage.db import Database

EXIT_FAILED = 1


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "surveys",
        help="load survey files into the database, export responses, list surveys",
        description="Surveys are YAML files in the city pack (surveys/*.yaml); see the README.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    load = actions.add_parser(
        "load", help="check and load survey files (default: the city pack's surveys/)"
    )
    load.add_argument(
        "path", metavar="PATH", nargs="?", type=Path, help="a .yaml file or a directory"
    )
    export = actions.add_parser("export", help="the anonymised responses of survey ID as CSV")
    export.add_argument("ref", metavar="ID", help="the survey's number or code")
    export.add_argument("-o", "--output", type=Path, help="write to FILE instead of stdout")
    actions.add_parser("list", help="number, code, status, dates and responses of each survey")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.city import load_city
    from storage.db import Database
    from storage.migrate import upgrade

    await upgrade(settings.database_url)
    city = load_city(settings.city)
    db = Database(settings.database_url)
    try:
        if args.action == "load":
            return await _load(db, city, args.path or city.directory / "surveys")
        if args.action == "export":
            return await _export(db, settings, city, args.ref, args.output)
        return await _list(db, city)
    finally:
        await db.dispose()


async def _load(db: Database, city: CityPack, path: Path) -> int:
    from bot.surveys.loader import SurveyFileError, load_paths
    from bot.surveys.sync import load_into
    from storage.types import utcnow

    try:
        loaded = load_paths([path], tz=city.timezone, districts=[d.code for d in city.districts])
        async with db.sessions() as session, session.begin():
            outcomes = await load_into(session, loaded, now=utcnow())
    except SurveyFileError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return _fail(f"nothing loaded: {len(exc.problems)} problem(s)")
    for outcome in outcomes:
        print(f"survey #{outcome.survey_id} {outcome.code}: {outcome.action}")
    return 0


async def _export(
    db: Database, settings: Settings, city: CityPack, ref: str, output: Path | None
) -> int:
    from bot.domain import surveys as domain
    from storage.repos import surveys

    async with db.sessions() as session, session.begin():
        survey = await surveys.find(session, ref=ref)
        if survey is None:
            return _fail(f"no survey {ref!r} (citizenbot surveys list)")
        chunks = domain.export_chunks(_work(session, settings, city), survey)
        if output is None:
            async for chunk in chunks:
                sys.stdout.write(chunk)
            return 0
        with output.open("w", encoding="utf-8", newline="") as fh:
            async for chunk in chunks:
                fh.write(chunk)
    print(f"written to {output}", file=sys.stderr)
    return 0


def _work(session: AsyncSession, settings: Settings, city: CityPack) -> Work:
    """The command line acts as a system actor with staff's rights (the operator)."""
    from bot.domain.actors import Actor
    from bot.domain.work import Work
    from bot.i18n import Translator
    from storage.models import Role
    from storage.types import utcnow

    return Work(
        session=session,
        actor=Actor.machine("cli", Role.STAFF),
        settings=settings,
        translator=Translator(default=settings.default_language),
        city=city,
        clock=utcnow,
    )


async def _list(db: Database, city: CityPack) -> int:
    from bot.surveys.lifecycle import phase, questions_of
    from bot.surveys.schema import localized
    from storage.repos import surveys
    from storage.types import utcnow

    now = utcnow()
    async with db.sessions() as session:
        found = await surveys.listed(session, limit=1000)
        table = [("ID", "CODE", "STATUS", "OPENS", "CLOSES", "RESPONSES", "TITLE")]
        for s in found:
            assert s.id is not None
            tallies = await surveys.tallies(session, survey_id=s.id)
            table.append(
                (
                    str(s.id),
                    s.code,
                    phase(s, now).value,
                    s.opens_at.astimezone(city.timezone).strftime("%Y-%m-%d %H:%M"),
                    s.closes_at.astimezone(city.timezone).strftime("%Y-%m-%d %H:%M"),
                    str(tallies.responses),
                    localized(questions_of(s).title, "bg"),
                )
            )
    if len(table) == 1:
        print("no surveys yet (citizenbot surveys load)")
        return 0
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _fail(message: str) -> int:
    print(f"citizenbot surveys: {message}", file=sys.stderr)
    return EXIT_FAILED
