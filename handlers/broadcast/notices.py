"""/notices (the list), /notice ID (without an id: the list, to pick one) and a notice's
buttons: pause, resume, cancel (asked first). Every route needs Role.STAFF; the buttons come
from older messages too, so they name the notice and check it again."""

from __future__ import annotations

from datetime import timedelta

from bot.core.context import Context
from bot.core.messages import IncomingMessage, Rows, rows
from bot.core.router import Router
from bot.domain import notices as domain
from bot.domain.errors import Refused
from handlers.broadcast.buttons import (
    CancelNoticeButton,
    ConfirmCancelButton,
    ListButton,
    OpenButton,
    PauseButton,
    ResumeButton,
)
from handlers.broadcast.views import (
    NOTICE_STATUS,
    RUN_STATUS,
    audience_label,
    describe_recurrence,
    urgency_line,
    with_note,
)
from handlers.labels import topic_label
from handlers.refusals import refusal_text
from storage.models import Notice, NoticeRun, NoticeStatus, Role, RunStatus
from storage.repos import notices, run_figures

router = Router("broadcast.notices")

LIST_LIMIT = 10
RECENT = timedelta(days=7)


@router.command("notices", role=Role.STAFF)
async def on_notices(msg: IncomingMessage, ctx: Context) -> None:
    await show_list(ctx)


@router.button(ListButton, role=Role.STAFF)
async def on_list_button(msg: IncomingMessage, ctx: Context) -> None:
    await show_list(ctx)


async def show_list(ctx: Context, note: str | None = None) -> None:
    """The notices to come, going out and of the last days, each a button; `note` above."""
    session = ctx.session
    upcoming = await notices.upcoming(session, limit=LIST_LIMIT)
    active = await notices.runs(session, statuses=notices.ACTIVE_RUNS, limit=LIST_LIMIT)
    done = [RunStatus.DONE.value, RunStatus.MISSED.value, RunStatus.CANCELLED.value]
    recent = await notices.runs(session, statuses=done, since=ctx.now - RECENT, limit=LIST_LIMIT)
    if not (upcoming or active or recent):
        ctx.reply(ctx.t("broadcast.list_empty"))
        return
    lines = [with_note(note, ctx.t("broadcast.list_title"))]
    ids: list[int] = []
    if upcoming:
        lines.append("\n" + ctx.t("broadcast.list_scheduled"))
        for notice in upcoming:
            lines.append(_upcoming_line(ctx, notice))
            ids.append(notice.id or 0)
    if active:
        lines.append("\n" + ctx.t("broadcast.list_running"))
        for run, notice in active:
            counts = await run_figures.run_counts(session, run_id=run.id or 0)
            lines.append(_run_line(ctx, run, notice, counts))
            ids.append(notice.id or 0)
    if recent:
        lines.append("\n" + ctx.t("broadcast.list_recent"))
        for run, notice in recent:
            counts = await run_figures.run_counts(session, run_id=run.id or 0)
            lines.append(_run_line(ctx, run, notice, counts))
            ids.append(notice.id or 0)
    buttons = [OpenButton(i).button(f"#{i}") for i in dict.fromkeys(ids)]
    ctx.reply("\n".join(lines), rows(*buttons, per_row=5))


def _upcoming_line(ctx: Context, notice: Notice) -> str:
    when = ctx.when(notice.next_run_at) if notice.next_run_at else "—"
    line = f"#{notice.id} {topic_label(ctx, notice.topic)} — {when}"
    if notice.recurrence:
        line += f" · 🔁 {describe_recurrence(ctx, notice.recurrence)}"
    if notice.status == NoticeStatus.PAUSED:
        line += f" · ⏸️ {ctx.t(NOTICE_STATUS[NoticeStatus.PAUSED])}"
    return line


def _run_line(ctx: Context, run: NoticeRun, notice: Notice, counts: dict[str, int]) -> str:
    when, state = ctx.when(run.due_at), _run_state(ctx, run, counts)
    return f"#{notice.id} {topic_label(ctx, notice.topic)} — {when} · {state}"


def _run_state(ctx: Context, run: NoticeRun, counts: dict[str, int]) -> str:
    """How a run stands, the same words in /notices and /notice: "sending · 0 of 1 sent"."""
    text = ctx.t(RUN_STATUS[RunStatus(run.status)])
    sent, total = run_figures.sent_of(counts)
    if total or run.status not in (RunStatus.MISSED, RunStatus.CANCELLED):
        text += " · " + ctx.t("broadcast.sent_of", sent=sent, total=total)
    return text


@router.command("notice", role=Role.STAFF)
async def on_notice(msg: IncomingMessage, ctx: Context) -> None:
    arg = msg.args.strip().lstrip("#")
    if not arg:
        return await show_list(ctx, ctx.t("broadcast.pick_notice"))
    notice = await notices.get(ctx.session, notice_id=int(arg)) if _is_id(arg) else None
    if notice is None:
        ctx.reply(ctx.t("broadcast.not_found"))
        return
    await show_notice(ctx, notice)


@router.button(OpenButton, role=Role.STAFF)
async def on_open(msg: IncomingMessage, ctx: Context) -> None:
    notice = await _tapped_notice(ctx, OpenButton.of(msg).notice)
    if notice is None:
        return
    await show_notice(ctx, notice)


async def show_notice(ctx: Context, notice: Notice, note: str | None = None) -> None:
    assert notice.id is not None
    runs = await notices.runs_of(ctx.session, notice_id=notice.id)
    lines = [
        ctx.t("broadcast.notice_title", id=notice.id, topic=topic_label(ctx, notice.topic)),
        ctx.t("broadcast.notice_status", status=_notice_state(ctx, notice, runs)),
        ctx.t("broadcast.summary_audience", audience=audience_label(ctx, notice.audience)),
        urgency_line(ctx, notice),
        ctx.t("broadcast.notice_schedule", schedule=_schedule_text(ctx, notice)),
    ]
    if notice.next_run_at and notice.status in (NoticeStatus.SCHEDULED, NoticeStatus.PAUSED):
        lines.append(ctx.t("broadcast.notice_next", when=ctx.when(notice.next_run_at)))
    lines.append(ctx.t("broadcast.notice_created", when=ctx.when(notice.created_at)))
    lines.append("")
    lines.append(ctx.t("broadcast.notice_text_bg", text=notice.text_bg))
    lines.append(ctx.t("broadcast.notice_text_en", text=notice.text_en or "—"))
    if notice.photo:
        lines.append(ctx.t("broadcast.notice_photo"))
    if runs:
        lines.append("")
        lines.append(ctx.t("broadcast.notice_runs"))
        for run in runs:
            lines.append(await _run_detail(ctx, run))
    active = any(r.status in notices.ACTIVE_RUNS for r in runs)
    text = "\n".join(lines)
    ctx.reply(with_note(note, text), _notice_buttons(ctx, notice, active))


def _notice_state(ctx: Context, notice: Notice, runs: list[NoticeRun]) -> str:
    state = notices.state(notice, runs)
    if state in NOTICE_STATUS:
        return ctx.t(NOTICE_STATUS[NoticeStatus(state)])
    return ctx.t(RUN_STATUS[RunStatus(state)])


async def _run_detail(ctx: Context, run: NoticeRun) -> str:
    counts = await run_figures.run_counts(ctx.session, run_id=run.id or 0)
    line = f"{ctx.when(run.due_at)} — {_run_state(ctx, run, counts)}"
    if sum(counts.values()) or run.status in notices.ACTIVE_RUNS or run.status == RunStatus.DONE:
        line += "\n   " + ctx.t("broadcast.counts", **counts)
    if counts["sent"] or counts["failed"]:
        line += _receipts_detail(
            ctx, await run_figures.run_receipts(ctx.session, run_id=run.id or 0)
        )
    return line


RECEIPT_CHANNELS = ("viber",)  # the channels that report delivered and seen


def _receipts_detail(ctx: Context, figures: dict[str, run_figures.ChannelReceipts]) -> str:
    """Delivered and seen where the channels report them; what Viber bills."""
    known = [figures[name] for name in RECEIPT_CHANNELS if name in figures]
    text = ""
    if any(f.sent for f in known):
        delivered, seen = sum(f.delivered for f in known), sum(f.seen for f in known)
        text += "\n   " + ctx.t("broadcast.receipts", delivered=delivered, seen=seen)
    if "viber" in figures and figures["viber"].messages:
        text += "\n   " + ctx.t("broadcast.viber_billed", count=figures["viber"].messages)
    return text


def _schedule_text(ctx: Context, notice: Notice) -> str:
    if not notice.recurrence:
        if notice.next_run_at is None:
            return ctx.t("broadcast.once")
        return ctx.t("broadcast.once_at", when=ctx.when(notice.next_run_at))
    text = describe_recurrence(ctx, notice.recurrence)
    if notice.ends_at is not None:
        until = ctx.when(notice.ends_at - timedelta(minutes=1), "date")
        text += ", " + ctx.t("broadcast.until", date=until)
    return text


def _notice_buttons(ctx: Context, notice: Notice, active: bool) -> Rows:
    assert notice.id is not None
    buttons = []
    if domain.can_pause(notice):
        buttons.append(PauseButton(notice.id).button(ctx.t("broadcast.btn_pause")))
    if domain.can_resume(notice):
        buttons.append(ResumeButton(notice.id).button(ctx.t("broadcast.btn_resume")))
    if domain.can_cancel(notice, sending=active):
        buttons.append(CancelNoticeButton(notice.id).button(ctx.t("broadcast.btn_cancel_notice")))
    buttons.append(OpenButton(notice.id).button(ctx.t("broadcast.btn_refresh")))
    buttons.append(ListButton().button(ctx.t("broadcast.btn_list")))
    return rows(*buttons, per_row=2)


@router.button(PauseButton, ResumeButton, role=Role.STAFF)
async def on_pause_or_resume(msg: IncomingMessage, ctx: Context) -> None:
    pause = PauseButton.parse(msg.payload)
    tapped = pause or ResumeButton.of(msg)
    notice = await _tapped_notice(ctx, tapped.notice)
    if notice is None:
        return
    try:
        await (domain.pause if pause else domain.resume)(ctx.work, notice)
    except Refused as refusal:
        return await show_notice(ctx, notice, refusal_text(ctx, refusal))
    done = ctx.t("broadcast.paused") if pause else ctx.t("broadcast.resumed")
    await show_notice(ctx, await _reload(ctx, notice), done)


@router.button(CancelNoticeButton, role=Role.STAFF)
async def on_cancel_notice(msg: IncomingMessage, ctx: Context) -> None:
    notice_id = CancelNoticeButton.of(msg).notice
    if await _tapped_notice(ctx, notice_id) is None:
        return
    ctx.reply(
        ctx.t("broadcast.cancel_confirm", id=notice_id),
        rows(
            ConfirmCancelButton(notice_id).button(ctx.t("broadcast.btn_cancel_yes")),
            OpenButton(notice_id).button(ctx.t("broadcast.btn_cancel_no")),
            per_row=2,
        ),
    )


@router.button(ConfirmCancelButton, role=Role.STAFF)
async def on_cancel_confirmed(msg: IncomingMessage, ctx: Context) -> None:
    notice = await _tapped_notice(ctx, ConfirmCancelButton.of(msg).notice)
    if notice is None:
        return
    try:
        withdrawn = await domain.cancel(ctx.work, notice)
    except Refused as refusal:
        return await show_notice(ctx, notice, refusal_text(ctx, refusal))
    await show_notice(
        ctx, await _reload(ctx, notice), ctx.t("broadcast.cancelled_notice", count=withdrawn)
    )


async def _tapped_notice(ctx: Context, notice_id: int) -> Notice | None:
    """The notice a button names; a gone one is said to be not found."""
    found = 0 < notice_id < 10**12  # a forged id beyond the column's range finds nothing either
    notice = await notices.get(ctx.session, notice_id=notice_id) if found else None
    if notice is None:
        ctx.reply(ctx.t("broadcast.not_found"))
    return notice


def _is_id(arg: str) -> bool:
    return arg.isdigit() and len(arg) <= 12


async def _reload(ctx: Context, notice: Notice) -> Notice:
    assert notice.id is not None
    fresh = await notices.get(ctx.session, notice_id=notice.id)
    return fresh or notice
