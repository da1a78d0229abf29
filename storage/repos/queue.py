"""The staff console's queue of reports: one filter (`QueueQuery`) read as a page, a total,
counts per status, map markers and an export, all filtered, sorted and counted in SQL
(bench/console_queue.py measures them on 100,000 reports). Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import and_, func, literal, literal_column, or_, table
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import OPEN_STATUSES, Report
from storage.repos import deadlines

Sort = Literal["newest", "oldest", "updated"]
Hidden = Literal["any", "visible", "hidden"]
SORTS: tuple[Sort, ...] = ("newest", "oldest", "updated")


@dataclass(frozen=True, slots=True)
class QueueQuery:
    statuses: tuple[str, ...] = ()
    category: str | None = None
    district: str | None = None
    text: str | None = None  # over public id, description and address, any case
    hidden: Hidden = "any"
    sort: Sort = "newest"
    # More SQL conditions on Report, from filters a capability adds (bot/web/console/filters.py).
    extra: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class Marker:
    id: int
    public_id: str
    status: str
    category: str
    lat: float
    lon: float


ESCAPE = "!"  # LIKE's escape character (a backslash means different things to each database)


def _like(text: str) -> str:
    escaped = text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
    return f"%{escaped}%"


def conditions(query: QueueQuery, dialect: str, *, with_status: bool = True) -> list[Any]:
    conds: list[Any] = list(query.extra)
    if with_status and query.statuses:
        conds.append(col(Report.status).in_(list(query.statuses)))
    if query.category:
        conds.append(col(Report.category) == query.category)
    if query.district:
        conds.append(col(Report.district) == query.district)
    if query.hidden == "visible":
        conds.append(col(Report.hidden).is_(False))
    elif query.hidden == "hidden":
        conds.append(col(Report.hidden).is_(True))
    if query.text:
        conds.append(_text_condition(query.text, dialect))
    return conds


# The three searched columns as one text: on PostgreSQL, the expression of the trigram index
# ix_report_text_trgm (migration 0013), written the same so the planner uses it.
JOINED_TEXT = (
    "(report.public_id || ' ' || report.description || ' ' || coalesce(report.address, ''))"
)


# SQLite's index of the same three columns (migration 0018): an FTS5 table with the trigram
# tokenizer, which finds any substring of three or more characters in any case.
FTS_TABLE = "report_fts"
FTS_MIN = 3  # the trigram tokenizer matches nothing shorter


def _text_condition(text: str, dialect: str) -> Any:
    """The text anywhere in the public id, description or address, in any case.

    PostgreSQL: ILIKE over the three joined, which its trigram index answers. SQLite: a phrase
    query on the FTS5 trigram index (Unicode case folding); a text shorter than three
    characters, which it cannot answer, column by column: an ASCII text by LIKE (which ignores
    the case of ASCII letters, and only theirs), any other by instr() once per spelling people
    use: as typed, lower case, capitalised, upper."""
    joined = literal_column(JOINED_TEXT)
    if dialect != "sqlite":
        return joined.ilike(_like(text), escape=ESCAPE)
    if len(text) >= FTS_MIN:
        phrase = '"' + text.replace('"', '""') + '"'
        found = (
            select(literal_column("rowid"))
            .select_from(table(FTS_TABLE))
            .where(literal_column(FTS_TABLE).op("MATCH")(literal(phrase)))
        )
        return col(Report.id).in_(found)
    if text.isascii():
        columns = (col(Report.public_id), col(Report.description), col(Report.address))
        return or_(*(c.like(_like(text), escape=ESCAPE) for c in columns))
    variants = [text]
    for variant in (text.lower(), text.capitalize(), text.upper()):
        if variant not in variants:
            variants.append(variant)
    # instr() per spelling and column: a third of LIKE over the joined text's time (the
    # public id, ASCII, cannot hold the text).
    columns = (col(Report.description), col(Report.address))
    return or_(*(func.instr(c, v) > 0 for v in variants for c in columns))


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _order(query: QueueQuery) -> list[Any]:
    if query.sort == "oldest":
        return [col(Report.created_at).asc(), col(Report.id).asc()]
    if query.sort == "updated":
        return [col(Report.updated_at).desc(), col(Report.id).desc()]
    return [col(Report.created_at).desc(), col(Report.id).desc()]


async def page(
    session: AsyncSession, *, query: QueueQuery, offset: int, limit: int
) -> list[Report]:
    dialect = _dialect(session)
    where = conditions(query, dialect)
    if query.text and dialect == "sqlite":
        # Thousands may match: sort their ids and dates only, then read the page's rows.
        ids = select(col(Report.id)).where(*where).order_by(*_order(query))
        ids = ids.offset(offset).limit(limit)
        stmt = select(Report).where(col(Report.id).in_(ids)).order_by(*_order(query))
        return list((await session.exec(stmt)).all())
    stmt = select(Report).where(*where).order_by(*_order(query))
    return list((await session.exec(stmt.offset(offset).limit(limit))).all())


async def total(session: AsyncSession, *, query: QueueQuery) -> int:
    stmt = select(func.count()).select_from(Report).where(*conditions(query, _dialect(session)))
    return (await session.exec(stmt)).one()


async def status_counts(session: AsyncSession, *, query: QueueQuery) -> dict[str, int]:
    """How many reports of each status match the filter's other conditions."""
    stmt = (
        select(col(Report.status), func.count())
        .where(*conditions(query, _dialect(session), with_status=False))
        .group_by(col(Report.status))
    )
    return {status: n for status, n in (await session.exec(stmt)).all()}


async def markers(session: AsyncSession, *, query: QueueQuery, limit: int) -> list[Marker]:
    """The located reports of the filter, in its order, at most `limit`."""
    stmt = (
        select(
            col(Report.id),
            col(Report.public_id),
            col(Report.status),
            col(Report.category),
            col(Report.lat),
            col(Report.lon),
        )
        .where(
            *conditions(query, _dialect(session)),
            col(Report.lat).is_not(None),
            col(Report.lon).is_not(None),
        )
        .order_by(*_order(query))
        .limit(limit)
    )
    return [Marker(*row) for row in (await session.exec(stmt)).all()]


async def located_total(session: AsyncSession, *, query: QueueQuery) -> int:
    stmt = (
        select(func.count())
        .select_from(Report)
        .where(*conditions(query, _dialect(session)), col(Report.lat).is_not(None))
    )
    return (await session.exec(stmt)).one()


async def nearby(
    session: AsyncSession,
    *,
    report: Report,
    box: tuple[float, float, float, float],
    statuses: Sequence[str],
    limit: int,
) -> list[Report]:
    """Other reports of those statuses inside (min_lat, min_lon, max_lat, max_lon), newest
    first; the caller measures exact distances."""
    min_lat, min_lon, max_lat, max_lon = box
    stmt = (
        select(Report)
        .where(
            col(Report.id) != report.id,
            col(Report.status).in_(list(statuses)),
            col(Report.lat).between(min_lat, max_lat),
            col(Report.lon).between(min_lon, max_lon),
        )
        .order_by(col(Report.created_at).desc())
        .limit(limit)
    )
    return list((await session.exec(stmt)).all())


def reopened() -> Any:
    """The queue's "reopened" filter: open again after a citizen said it is not fixed (the
    reports the chat's /report lists as needing attention, whatever their open status)."""
    return and_(col(Report.reopened) > 0, col(Report.status).in_([s.value for s in OPEN_STATUSES]))


def overdue(now: datetime) -> Any:
    """The queue's "overdue" filter: storage/repos/deadlines.py's rule."""
    return deadlines.overdue(now)
