"""Steps about notices: a citizen subscribing to alerts, staff composing a notice."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.app import CitizenBot
from bot.channels.console import RecordingChannel
from bot.core.messages import Reply
from storage.db import Database
from storage.models import AlertPlace, AlertSettings, AlertTopic, Notice, Outbox
from storage.repos import citizens
from tests.steps import onboard
from tests.telegram_chat import TelegramChat

Chat = RecordingChannel | TelegramChat

TZ = ZoneInfo("Europe/Sofia")

BG_TEXT = "Утре от 9 до 16 ч. няма да има вода в ж.к. Младост 1."

EN_TEXT = "Tomorrow from 9:00 to 16:00 there will be no water in Mladost 1."

# The composer's audience buttons, as staff read them in English.
WHOLE_CITY = "🏙️ All of Sofia Municipality"

# The alerts' place buttons in each language: places, districts, around a point, 1 km.
PLACE_LABELS = {
    "English": ("📍 Places", "🏘️ Districts", "📍 Around a point", "1 km"),
    "Български": ("📍 Места", "🏘️ Райони", "📍 Около точка", "1 км"),
}


async def subscribe(
    chat: RecordingChannel,
    user: str,
    *,
    language: str = "English",
    topic: str = "💧 Water supply",
    district: str | None = None,
    pin: tuple[float, float] | None = None,
) -> None:
    """A new citizen turns one topic on in /alerts, for a district or a 1 km circle."""
    places, districts, around, one_km = PLACE_LABELS[language]
    await onboard(chat, user, language)
    await chat.say("/alerts", user=user)
    await chat.tap(topic, user=user)
    if district:
        await chat.tap(places, user=user)
        await chat.tap(districts, user=user)
        await chat.tap(district, user=user)
    if pin:
        await chat.tap(places, user=user)
        await chat.tap(around, user=user)
        await chat.say(f"/loc {pin[0]} {pin[1]}", user=user)
        await chat.tap(one_km, user=user)


async def compose(
    chat: RecordingChannel,
    *,
    audience: tuple[str, ...] = ("🏘️ Districts", "Mladost", "➡️ Next"),
    urgent: bool = False,
    english: str | None = EN_TEXT,
    photo: Path | None = None,
) -> list[Reply]:
    """/broadcast as the admin up to the preview; returns the preview's replies."""
    await chat.say("/broadcast", user="admin")
    await chat.tap("💧 Water supply", user="admin")  # a topic not urgent by default
    for step in audience:
        if step.startswith("say:"):  # typed, not a button
            await chat.say(step.removeprefix("say:"), user="admin")
        else:
            await chat.tap(step, user="admin")
    await chat.tap("🚨 Emergency" if urgent else "✅ Normal", user="admin")
    await chat.say(BG_TEXT, user="admin")
    if english:
        await chat.say(english, user="admin")
    else:
        await chat.tap("No English", user="admin")
    if photo is not None:
        return await chat.say(f"/photo {photo}", user="admin")
    return await chat.tap("No photo", user="admin")


class City:
    """The bot with a console and a second ("viber") recording channel; the notices tick is
    the test's to call."""

    def __init__(self, app: CitizenBot, console: RecordingChannel, viber: RecordingChannel):
        self.app, self.console, self.viber = app, console, viber

    async def tick(self) -> None:
        await self.app.notices.tick()


def sofia(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    """A time in the city, as UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


async def outbox_rows(db: Database) -> list[Outbox]:
    async with db.sessions() as session:
        stmt = select(Outbox).order_by(col(Outbox.citizen_id), col(Outbox.channel))
        return list((await session.exec(stmt)).all())


async def the_notice(db: Database) -> Notice:
    async with db.sessions() as session:
        return (await session.exec(select(Notice))).one()


# -- a citizen's subscriptions in the database --------------------------------------------


async def citizen_id(db: Database, chat: Chat, user: str = "u1") -> int:
    address = chat.address(user)
    async with db.sessions() as session:
        found = await citizens.find_by_identity(
            session, channel=address.channel, user_id=address.user_id
        )
    assert found is not None and found.id is not None
    return found.id


async def topics_of(db: Database, cid: int) -> list[str]:
    async with db.sessions() as session:
        stmt = select(AlertTopic.topic).where(AlertTopic.citizen_id == cid)
        return sorted((await session.exec(stmt)).all())


async def places_of(db: Database, cid: int) -> list[tuple]:
    async with db.sessions() as session:
        stmt = select(AlertPlace).where(AlertPlace.citizen_id == cid).order_by(col(AlertPlace.id))
        return [
            (p.kind, p.district, p.lat, p.lon, p.radius_m) for p in (await session.exec(stmt)).all()
        ]


async def settings_of(db: Database, cid: int) -> AlertSettings | None:
    async with db.sessions() as session:
        return await session.get(AlertSettings, cid)
