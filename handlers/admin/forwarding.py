"""/forwarding (admins): reports sent on to bodies that work outside the bot (email, Open311)
that failed or still wait, failed first, each failed one with a "Retry" button (fwr:<id>);
a citizen's "not fixed" sent on (the report reopened) is labelled as such.
The rules (admins only, failed only, audited) are bot/domain/forwarding_queue.py's; the
sending is scheduler/forwarding.py's."""

from __future__ import annotations

from bot.core.buttons import ButtonData
from bot.core.context import Context
from bot.core.messages import IncomingMessage, rows
from bot.core.router import Router
from bot.domain import forwarding_queue as domain
from bot.domain.errors import Refused
from bot.i18n import N_
from storage.models import ForwardHow, ForwardKind, ForwardState, ReportForward, Role

router = Router("admin.forwarding")

ERROR_SHOWN = 120
HOW = {
    ForwardHow.EMAIL.value: N_("forward.by_email"),
    ForwardHow.OPEN311.value: N_("forward.by_open311"),
}

LINE = {
    ForwardKind.REPORT.value: N_("forward.line"),
    # A citizen's "not fixed" sent on (the report reopened), not the report itself.
    ForwardKind.REOPENED.value: N_("forward.line_reopened"),
}


class RetryButton(ButtonData, prefix="fwr"):
    forward: int


@router.command("forwarding", role=Role.ADMIN)
async def on_forwarding(msg: IncomingMessage, ctx: Context) -> None:
    found = await domain.unsettled(ctx.work)
    if not found:
        ctx.reply(ctx.t("forward.none"))
        return
    failed = sum(row.state == ForwardState.FAILED.value for row, _ in found)
    lines = [ctx.tn("forward.title", len(found), count=len(found), failed=failed)]
    buttons = []
    for row, public_id in found:
        lines.append(line(ctx, row, public_id))
        if row.state == ForwardState.FAILED.value and row.id is not None:
            buttons.append(RetryButton(row.id).button(ctx.t("forward.btn_retry", id=public_id)))
    ctx.reply("\n".join(lines), rows(*buttons))


def line(ctx: Context, row: ReportForward, public_id: str) -> str:
    """`SOF-2026-000007 → Mladost District Administration, by email: failed after 8 attempts
    (SMTP 550 …)`"""
    body = ctx.services.city.body(row.body_code)
    name = body.name(ctx.language) if body else row.body_code
    how = ctx.t(HOW.get(row.how, HOW[ForwardHow.EMAIL.value]))
    if row.state == ForwardState.FAILED.value:
        state = ctx.tn("forward.failed", row.attempts, count=row.attempts)
    else:
        state = ctx.t("forward.pending", when=ctx.when(row.next_attempt_at))
    key = LINE.get(row.kind, LINE[ForwardKind.REPORT.value])
    text = ctx.t(key, id=public_id, body=name, how=how, state=state)
    if row.last_error:
        text += f" ({row.last_error[:ERROR_SHOWN]})"
    return text


@router.button(RetryButton, role=Role.ADMIN)
async def on_retry(msg: IncomingMessage, ctx: Context) -> None:
    try:
        row = await domain.retry(ctx.work, RetryButton.of(msg).forward)
    except Refused:
        ctx.reply(ctx.t("forward.not_failed"))
        return
    body = ctx.services.city.body(row.body_code)
    ctx.reply(ctx.t("forward.retried", body=body.name(ctx.language) if body else row.body_code))
