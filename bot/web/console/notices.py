"""Notices: the list (to come, going out, and sent or created in the last days) with each
one's state, schedule, audience and live progress (sent, failed and total of its latest run;
htmx polls its row, a small fragment, while it goes out), and the actions pause, resume and
cancel.

Every action is the domain's (bot/domain/notices.py), acting as the signed-in member, so the
role, the rules and the audit are the chat's; a refusal is said in the chat's words. The
notices are said with the chat's own wording (handlers/broadcast/views.py) through `Words`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.context import Context
from bot.domain import notices as domain
from bot.domain.actors import Forbidden
from bot.domain.errors import Refused
from bot.domain.work import Work
from bot.i18n import N_, format_number, format_when
from bot.web.console.app import Console, console_of, reading, render, staff_of, work
from bot.web.console.refusals import refusal_text
from handlers.broadcast.views import (
    NOTICE_STATUS,
    RUN_STATUS,
    audience_label,
    audience_size,
    describe_recurrence,
)
from handlers.labels import topic_label
from scheduler.notices import resolve_audience
from storage.models import Notice, NoticeRun, NoticeStatus, RunStatus
from storage.repos import notice_audience, notices, run_figures

LIST_LIMIT = 20
RECENT = timedelta(days=7)
POLL_AHEAD = timedelta(minutes=1)  # a notice due this soon is polled for its progress
FINAL = (RunStatus.DONE.value, RunStatus.MISSED.value, RunStatus.CANCELLED.value)


@dataclass(frozen=True, slots=True)
class Words:
    """What the chat's wording of notices (handlers/broadcast/views.py, handlers/labels.py)
    asks of a chat Context, for the signed-in member's language."""

    console: Console
    language: str

    @property
    def services(self) -> Any:
        return self.console.services

    def t(self, key: str, /, **values: object) -> str:
        return self.console.t(self.language, key, **values)

    def tn(self, key: str, n: int, /, **values: object) -> str:
        return self.console.tn(self.language, key, n, **values)

    def number(self, value: float, digits: int = 0) -> str:
        return format_number(value, self.language, digits)

    def when(self, moment: datetime, style: str = "datetime") -> str:
        return format_when(moment, self.language, self.console.services.city.timezone, style)

    @property
    def ctx(self) -> Context:
        return cast(Context, self)


# The domain's refusals whose chat sentence speaks of the chat ("send the text as a message",
# "here is the notice as it is now:"), in the console's words.
CONSOLE_REFUSALS = {
    "broadcast.stale": N_("console_notices.stale"),
    "broadcast.text_expected": N_("console_notices.text_expected"),
}


def say_refusal(console: Console, words: Words, refusal: Refused) -> str:
    own = CONSOLE_REFUSALS.get(refusal.key or "")
    return words.t(own) if own else refusal_text(console, words.language, refusal)


def words_of(request: web.Request) -> Words:
    return Words(console_of(request), staff_of(request).language)


@dataclass(frozen=True, slots=True)
class Progress:
    """A notice's latest run as the list shows it, polled while it goes out."""

    notice_id: int
    state: str
    state_label: str
    sent: int
    failed: int
    total: int
    polling: bool


@dataclass(frozen=True, slots=True)
class Line:
    notice: Notice
    topic: str
    schedule: str
    audience: str
    size: str
    progress: Progress
    can_pause: bool
    can_resume: bool
    can_cancel: bool


@dataclass(frozen=True, slots=True)
class Message:
    text: str
    ok: bool


def schedule_text(words: Words, notice: Notice) -> str:
    """Once now, once at a time, or a recurrence (until its last day), the chat's words."""
    if notice.recurrence:
        text = describe_recurrence(words.ctx, notice.recurrence)
        if notice.ends_at is not None:
            until = words.when(notice.ends_at - timedelta(minutes=1), "date")
            text += ", " + words.t("broadcast.until", date=until)
        return text
    if notice.status in (NoticeStatus.SCHEDULED, NoticeStatus.PAUSED) and notice.next_run_at:
        return words.t("broadcast.once_at", when=words.when(notice.next_run_at))
    return words.t("broadcast.once")


async def progress_of(
    session: AsyncSession, words: Words, notice: Notice, runs: list[NoticeRun], now: datetime
) -> tuple[Progress, dict[str, int] | None]:
    """The latest run's figures (None without a run) and the notice's state in words."""
    assert notice.id is not None
    state = notices.state(notice, runs)
    label = (
        words.t(NOTICE_STATUS[NoticeStatus(state)])
        if state in NOTICE_STATUS
        else words.t(RUN_STATUS[RunStatus(state)])
    )
    counts = await run_figures.run_counts(session, run_id=runs[0].id or 0) if runs else None
    sent, total = run_figures.sent_of(counts) if counts else (0, 0)
    failed = (counts["failed"] + counts["blocked"]) if counts else 0
    active = any(r.status in notices.ACTIVE_RUNS for r in runs)
    due = (
        notice.status == NoticeStatus.SCHEDULED
        and notice.next_run_at is not None
        and notice.next_run_at <= now + POLL_AHEAD
    )
    return Progress(notice.id, state, label, sent, failed, total, active or due), counts


async def line_of(session: AsyncSession, words: Words, notice: Notice, now: datetime) -> Line:
    assert notice.id is not None
    runs = await notices.runs_of(session, notice_id=notice.id)
    progress, counts = await progress_of(session, words, notice, runs, now)
    if counts is None or notice.status in (NoticeStatus.SCHEDULED, NoticeStatus.PAUSED):
        counts = await notice_audience.count_audience(
            session,
            topic=notice.topic,
            audience=resolve_audience(words.services.city, notice.audience),
            urgent=notice.urgent,
        )
        size = audience_size(words.ctx, counts)
    else:
        size = words.tn(N_("console_notices.run_total"), progress.total, n=progress.total)
    active = any(r.status in notices.ACTIVE_RUNS for r in runs)
    return Line(
        notice=notice,
        topic=topic_label(words.ctx, notice.topic),
        schedule=schedule_text(words, notice),
        audience=audience_label(words.ctx, notice.audience),
        size=size,
        progress=progress,
        can_pause=domain.can_pause(notice),
        can_resume=domain.can_resume(notice),
        can_cancel=domain.can_cancel(notice, sending=active),
    )


async def list_page(request: web.Request, message: Message | None = None) -> web.Response:
    console = console_of(request)
    words = words_of(request)
    now = console.services.clock()
    async with reading(request) as session:
        found: dict[int, Notice] = {}
        for notice in await notices.upcoming(session, limit=LIST_LIMIT):
            found.setdefault(notice.id or 0, notice)
        for _, notice in await notices.runs(
            session, statuses=notices.ACTIVE_RUNS, limit=LIST_LIMIT
        ):
            found.setdefault(notice.id or 0, notice)
        for _, notice in await notices.runs(
            session, statuses=FINAL, since=now - RECENT, limit=LIST_LIMIT
        ):
            found.setdefault(notice.id or 0, notice)
        for notice in await notices.created_since(session, since=now - RECENT, limit=LIST_LIMIT):
            found.setdefault(notice.id or 0, notice)
        lines = [await line_of(session, words, n, now) for n in found.values()]
    if message is None and request.query.get("created", "").isdigit():
        message = Message(words.t(N_("console_notices.created"), id=request.query["created"]), True)
    return render(request, "notices.html", lines=lines, message=message)


async def row_fragment(request: web.Request) -> web.Response:
    """One notice's row, polled while it goes out: its progress, and then its final state,
    audience and actions."""
    console = console_of(request)
    words = words_of(request)
    async with reading(request) as session:
        notice = await _notice(session, request.match_info["notice_id"])
        line = await line_of(session, words, notice, console.services.clock())
    return render(request, "_notice_row.html", line=line)


async def _notice(session: AsyncSession, notice_id: str) -> Notice:
    if not notice_id.isdigit() or len(notice_id) > 12:
        raise web.HTTPNotFound()
    notice = await notices.get(session, notice_id=int(notice_id))
    if notice is None:
        raise web.HTTPNotFound()
    return notice


async def pause(unit: Work, notice: Notice, words: Words) -> str:
    await domain.pause(unit, notice)
    return words.t("broadcast.paused")


async def resume(unit: Work, notice: Notice, words: Words) -> str:
    await domain.resume(unit, notice)
    return words.t("broadcast.resumed")


async def cancel(unit: Work, notice: Notice, words: Words) -> str:
    withdrawn = await domain.cancel(unit, notice)
    return words.t("broadcast.cancelled_notice", count=withdrawn)


# A notice's actions, each a form POSTed to /console/notices/<id>/<name>.
ACTIONS: dict[str, Callable[[Work, Notice, Words], Awaitable[str]]] = {
    "pause": pause,
    "resume": resume,
    "cancel": cancel,
}


def _action(name: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        console = console_of(request)
        words = words_of(request)
        try:
            async with work(request) as unit:
                notice = await _notice(unit.session, request.match_info["notice_id"])
                text = await ACTIONS[name](unit, notice, words)
        except Refused as refusal:
            message = Message(say_refusal(console, words, refusal), ok=False)
        except Forbidden:
            return forbidden(request)
        else:
            message = Message(text, ok=True)
        return await list_page(request, message)

    return handler


def forbidden(request: web.Request) -> web.Response:
    """The domain refused the member's role (re-read on this request)."""
    return render(request, "message.html", status=403, message_key=N_("console_notices.forbidden"))


async def get_list(request: web.Request) -> web.Response:
    return await list_page(request)


def routes(app: web.Application) -> None:
    app.router.add_get("/notices", get_list)
    app.router.add_get("/notices/{notice_id:\\d+}/row", row_fragment)
    for name in ACTIONS:
        app.router.add_post(f"/notices/{{notice_id:\\d+}}/{name}", _action(name))
