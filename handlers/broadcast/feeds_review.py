"""Alerts from official feeds (bot/feeds/): staff decide on them, citizens see them.

- Staff get each new alert of a `review` feed with Send / Edit text / Skip
  (fa:send:<id>, fa:edit:<id>, fa:skip:<id>); Edit asks for the new Bulgarian text and shows
  the alert again with the same buttons.
- /now (and the menu's "Now"): what is in force for the citizen's places, in their language.
- A citizen filing a report in a category a feed covers (feeds.json `report_categories`)
  with a pin inside an active alert's area is told what is known and offered a message when
  it ends instead (fo:watch:<id>), or to file anyway (fo:file); handlers/reports.py calls
  `known_outage` at its location step.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.messages import Button, IncomingMessage, rows
from bot.core.router import Router
from bot.feeds import alerts as feed_alerts
from bot.feeds.alerts import Desk, area_of
from bot.feeds.parse import circle
from bot.i18n import N_
from handlers.menu import main_menu, menu_entry
from storage.models import AlertPlace, FeedAlert, FeedAlertStatus, PlaceKind, Role
from storage.repos import alerts, feeds

router = Router("feeds")

EDIT = "feeds.edit"  # waiting for the new Bulgarian text of an alert
MIN_TEXT = 10
STATUS_LABELS = {
    FeedAlertStatus.ACTIVE.value: N_("feeds.status_active"),
    FeedAlertStatus.SKIPPED.value: N_("feeds.status_skipped"),
    FeedAlertStatus.CLOSED.value: N_("feeds.status_closed"),
}


def desk(ctx: Context) -> Desk:
    services = ctx.services
    return Desk(
        services.city, services.translator, services.settings, services.settings.admin_addresses
    )


def _id(msg: IncomingMessage) -> int | None:
    value = (msg.payload or "").rsplit(":", 1)[-1]
    return int(value) if value.isdigit() else None


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


@router.button("fa", role=Role.STAFF)
async def on_review(msg: IncomingMessage, ctx: Context) -> None:
    action = (msg.payload or "").split(":")[1:2]
    alert = await _waiting(ctx, _id(msg))
    if alert is None:
        return
    if action == ["send"]:
        count = await feed_alerts.audience_size(ctx.session, desk(ctx), alert)
        queued = await feed_alerts.announce(ctx.session, desk(ctx), alert, now=ctx.now)
        if queued.notices:
            ctx.work.wake_notices_after_commit()
        ctx.reply(ctx.t("feeds.sent", id=alert.id, count=count))
    elif action == ["skip"]:
        await feed_alerts.skip(ctx.session, alert, now=ctx.now)
        ctx.reply(ctx.t("feeds.skipped", id=alert.id))
    elif action == ["edit"]:
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


# -- citizens: /now -----------------------------------------------------------------------------


def _meets(ctx: Context, alert: FeedAlert, places: list[AlertPlace]) -> bool:
    area = area_of(desk(ctx), alert)
    if area.geometry is None or not places:
        return True
    for place in places:
        if place.kind == PlaceKind.ALL:
            return True
        if place.kind == PlaceKind.DISTRICT and place.district in alert.districts:
            return True
        if place.kind == PlaceKind.RADIUS and place.lat is not None and place.lon is not None:
            if area.geometry.intersects(circle(place.lat, place.lon, place.radius_m or 1)):
                return True
    return False


def describe(ctx: Context, alert: FeedAlert) -> str:
    d = desk(ctx)
    lines = [
        feed_alerts.heading(d, alert, ctx.language),
        feed_alerts.body(alert, ctx.language),
        feed_alerts.until_line(d, alert, ctx.language) or "",
        feed_alerts.source_line(d, alert, ctx.language),
    ]
    return "\n".join(line for line in lines if line)


@menu_entry("now")
async def show_now(ctx: Context) -> None:
    assert ctx.citizen.id is not None
    places = await alerts.places(ctx.session, citizen_id=ctx.citizen.id)
    active = [a for a in await feeds.active(ctx.session, now=ctx.now) if _meets(ctx, a, places)]
    if not active:
        text = ctx.t("feeds.now_none")
        if not places:
            text += "\n\n" + ctx.t("feeds.now_hint")
        return ctx.reply(text, main_menu(ctx))
    parts = [ctx.t("feeds.now_title"), *(describe(ctx, a) for a in active)]
    ctx.reply("\n\n".join(parts), main_menu(ctx))


@router.command("now")
async def on_now(msg: IncomingMessage, ctx: Context) -> None:
    await show_now(ctx)


# -- citizens: the bot already knows ----------------------------------------------------------


async def known_outage(ctx: Context, *, category: str, lat: float, lon: float) -> bool:
    """At a report's location step: if an active alert of a feed covering `category` covers
    the pin, say what is known and offer a message when it ends; True if offered."""
    city = ctx.services.city
    covering = {f.id for f in city.feeds if category in f.report_categories}
    if not covering:
        return False
    for alert in await feeds.active(ctx.session, now=ctx.now):
        if alert.feed_id in covering and area_of(desk(ctx), alert).contains(lat, lon):
            feed = city.feed(alert.feed_id)
            source = feed.attribution_text(ctx.language) if feed else alert.feed_id
            ctx.state.update(known_alert=alert.id)
            text = "\n\n".join(
                [
                    ctx.t("feeds.known", source=source),
                    describe(ctx, alert),
                    ctx.t("feeds.known_ask"),
                ]
            )
            ctx.reply(
                text,
                rows(
                    Button(ctx.t("feeds.btn_watch"), payload=f"fo:watch:{alert.id}"),
                    Button(ctx.t("feeds.btn_file"), payload="fo:file"),
                ),
            )
            return True
    return False


@router.button("fo")
async def on_known_choice(msg: IncomingMessage, ctx: Context) -> None:
    from handlers import reports

    alert_id = ctx.state.data.get("known_alert")
    if ctx.state.name != reports.LOCATION or alert_id is None:
        return reports.stale(ctx)
    if (msg.payload or "").startswith("fo:watch:") and _id(msg) == alert_id:
        assert ctx.citizen.id is not None
        await feeds.watch(ctx.session, alert_id=alert_id, citizen_id=ctx.citizen.id, now=ctx.now)
        await reports._discard_photos(ctx)
        ctx.state.clear()
        ctx.reply(ctx.t("feeds.watching"), main_menu(ctx))
        return
    ctx.state.data.pop("known_alert", None)
    await reports.next_step(ctx, after=reports.LOCATION)
