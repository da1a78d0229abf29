"""Alerts from official feeds (bot/feeds/), the staff's side: staff get each new alert of a
`review` feed with Send / Edit text / Skip (bot.feeds.alerts.ReviewButton: fa:send:<id>,
fa:edit:<id>, fa:skip:<id>); Edit asks for the new Bulgarian text and shows the alert again
with the same buttons. /stats shows each feed's state (`feeds_section`).

Citizens' side: /now is handlers/alerts/now.py, the report step's "we already know"
handlers/alerts/known.py.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.messages import IncomingMessage
from bot.core.router import Router
from bot.feeds import alerts as feed_alerts
from bot.feeds.alerts import REVIEW_EDIT, REVIEW_SEND, REVIEW_SKIP, ReviewButton
from bot.i18n import N_
from handlers.alerts.official import desk
from storage.models import FeedAlert, FeedAlertStatus, Role
from storage.repos import feeds

router = Router("broadcast.feeds_review")

EDIT = "feeds.edit"  # waiting for the new Bulgarian text of an alert
MIN_TEXT = 10
STATUS_LABELS = {
    FeedAlertStatus.ACTIVE.value: N_("feeds.status_active"),
    FeedAlertStatus.SKIPPED.value: N_("feeds.status_skipped"),
    FeedAlertStatus.CLOSED.value: N_("feeds.status_closed"),
}


# -- staff --------------------------------------------------------------------------------------


async def _waiting(ctx: Context, alert_id: int | None) -> FeedAlert | None:
    """The alert if it still waits for staff; else says why not."""
    alert = await feeds.get(ctx.session, alert_id=alert_id) if alert_id else None
    if alert is None:
        ctx.reply(ctx.t("feeds.no_alert"))
        return None
    if alert.status != FeedAlertStatus.REVIEW:
        status = ctx.t(STATUS_LABELS.get(alert.status, N_("feeds.status_closed")))
        ctx.reply(ctx.t("feeds.not_waiting", id=alert.id, status=status))
        return None
    return alert


@router.button(ReviewButton, role=Role.STAFF)
async def on_review(msg: IncomingMessage, ctx: Context) -> None:
    tapped = ReviewButton.of(msg)
    alert = await _waiting(ctx, tapped.alert)
    if alert is None:
        return
    if tapped.action == REVIEW_SEND:
        count = await feed_alerts.audience_size(ctx.session, desk(ctx), alert)
        queued = await feed_alerts.announce(ctx.session, desk(ctx), alert, now=ctx.now)
        if queued.notices:
            ctx.work.wake_notices_after_commit()
        ctx.reply(ctx.t("feeds.sent", id=alert.id, count=count))
    elif tapped.action == REVIEW_SKIP:
        await feed_alerts.skip(ctx.session, alert, now=ctx.now)
        ctx.reply(ctx.t("feeds.skipped", id=alert.id))
    elif tapped.action == REVIEW_EDIT:
        ctx.state.set(EDIT)
        ctx.state.update(alert_id=alert.id)
        ctx.reply(ctx.t("feeds.ask_text", id=alert.id))


@router.state(EDIT, role=Role.STAFF)
async def on_new_text(msg: IncomingMessage, ctx: Context) -> None:
    text = (msg.text or "").strip()
    if len(text) < MIN_TEXT:
        return ctx.reply(ctx.t("feeds.text_too_short"))
    alert = await _waiting(ctx, ctx.state.data.get("alert_id"))
    ctx.state.clear()
    if alert is None:
        return
    alert.text_bg = text
    alert.updated_at = ctx.now
    ctx.session.add(alert)
    summary = await feed_alerts.staff_summary(
        ctx.session, desk(ctx), alert, ctx.language, review=True
    )
    ctx.reply(summary, feed_alerts.review_buttons(desk(ctx), alert, ctx.language))


# -- staff: /stats ---------------------------------------------------------------------------------


def _reason(ctx: Context, error: str | None) -> str:
    """Why a feed fails, in the reader's language (the technical detail is in the logs)."""
    error = error or ""
    if error.startswith("HTTP "):
        return error
    if error == "timed out":
        return ctx.t("feeds.err_timeout")
    if error == "cannot connect":
        return ctx.t("feeds.err_connect")
    return ctx.t("feeds.err_content")


async def feeds_section(ctx: Context) -> str | None:
    """/stats: each feed's state (works or failing since when, and why), its last success,
    its open items; and how many reports each alert spared."""
    city = ctx.services.city
    if not city.feeds:
        return None
    states = await feeds.states(ctx.session)
    lines = [ctx.t("feeds.stats_title")]
    for feed in city.feeds:
        state = states.get(feed.id)
        if state is not None and state.failures and state.last_error_at is not None:
            since = ctx.when(state.last_error_at)
            status = ctx.t("feeds.stats_failing", since=since, error=_reason(ctx, state.last_error))
        else:
            status = ctx.t("feeds.stats_ok")
        success = state.last_success_at if state else None
        lines.append(
            ctx.t(
                "feeds.stats_line",
                feed=feed.id,
                state=status,
                success=ctx.when(success) if success else ctx.t("feeds.stats_never"),
                items=state.items if state else 0,
            )
        )
    for alert in await feeds.recent(ctx.session, limit=50):
        if alert.avoided:
            topic = feed_alerts.heading(desk(ctx), alert, ctx.language)
            lines.append(
                ctx.t("feeds.stats_avoided", id=alert.id, topic=topic, avoided=alert.avoided)
            )
    return "\n".join(lines)
