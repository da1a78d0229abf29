"""Citizens choose what alerts they get: /alerts (and the menu's "Alerts") shows the topics as
toggle buttons, then the places (places.py): all of the city, districts, or a circle (500 m,
1 km, 2 km) around a pin the citizen shares. /mysubs (mine.py) shows everything with a button
for each setting (quiet hours and the daily digest: hours.py); /stop (stop.py) stops alerts,
notices and survey invitations after a confirmation, until the citizen turns them back on.
News about the citizen's own and followed reports goes on after /stop; it has its own switch
in /mysubs. The buttons' payloads: buttons.py.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.messages import IncomingMessage, rows
from bot.core.router import Router
from handlers.alerts.buttons import MineButton, PlacesButton, TopicsButton, TopicToggle
from handlers.alerts.flow import citizen_id, leave
from handlers.menu import menu_entry
from storage.repos import alerts

router = Router("alerts.subscribe")


@menu_entry("alerts")
async def show_topics(ctx: Context, note: str | None = None) -> None:
    leave(ctx)
    chosen = await alerts.topics(ctx.session, citizen_id=citizen_id(ctx))
    settings = await alerts.settings(ctx.session, citizen_id=citizen_id(ctx))
    lines = [note] if note else []
    if settings.stopped:
        lines.append(ctx.t("alerts.stopped_banner"))
    lines.append(ctx.t("alerts.topics_intro"))
    buttons = []
    for topic in ctx.services.city.topics:
        on = topic.code in chosen
        label = f"✅ {topic.name(ctx.language)}" if on else topic.short_name(ctx.language)
        buttons.append(TopicToggle(topic.code, not on).button(label))
    nav = (
        PlacesButton().button(ctx.t("alerts.btn_places")),
        MineButton().button(ctx.t("alerts.btn_my")),
    )
    ctx.reply("\n\n".join(lines), rows(*buttons, nav, per_row=2))


@router.command("alerts")
async def on_alerts(msg: IncomingMessage, ctx: Context) -> None:
    await show_topics(ctx)


@router.button(TopicsButton.prefix)
async def on_topic(msg: IncomingMessage, ctx: Context) -> None:
    toggle = TopicToggle.parse(msg.payload)
    topic = ctx.services.city.topic(toggle.topic) if toggle else None
    if toggle is None or topic is None:  # "at" itself, or a topic the city no longer has
        return await show_topics(ctx)
    cid = citizen_id(ctx)
    resumed = toggle.on and (await alerts.settings(ctx.session, citizen_id=cid)).stopped
    await alerts.set_topic(ctx.session, citizen_id=cid, topic=topic.code, on=toggle.on, now=ctx.now)
    name = topic.name(ctx.language)
    if toggle.on:
        note = ctx.t("alerts.topic_on", topic=name)
    else:
        note = ctx.t("alerts.topic_off", topic=name)
    if resumed:
        note += "\n" + ctx.t("alerts.resumed")
    await show_topics(ctx, note)
