"""The parity matrix: every conversation that exists, on every channel, with the same outcome.

Each scenario is a script of steps, written once. It runs on the console (the recording
channel), on Telegram (webhook, python-telegram-bot, the fake Bot API) and on Viber (signed
callbacks, the fake Viber REST API), each bot with its own fresh database, and the neutral
transcript — per step, the replies with their texts, button labels and whether they carry an
image, in order — must be the same on all three. A capability joins the matrix with one entry
in SCENARIOS; a channel with one entry in CHANNELS.

Steps use the console conventions every driver understands: `say` types a line (`/loc LAT
LON`, `/photo {jpeg}`, `/contact PHONE`, `/start`), `tap` presses a button of the last
keyboard by payload or label, `pop` collects what a user was sent meanwhile (a notification).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from bot.app import CitizenBot
from bot.channels.telegram.adapter import WEBHOOK_PATH as TELEGRAM_WEBHOOK
from bot.core.messages import Reply
from storage.db import Database
from tests.conftest import Clock, make_settings, recording_channel
from tests.dbs import PostgresTemplates, SqliteTemplates
from tests.fakes.telegram_api import FakeBotAPI
from tests.fakes.viber_api import FakeViberAPI, make_user
from tests.telegram_chat import FIRST_USER_ID, TelegramChat
from tests.telegram_chat import SECRET as TELEGRAM_SECRET
from tests.viber_chat import ViberChat, start_viber_bot, viber_settings

Step = tuple[str, str, str]  # (user, "say" | "tap" | "pop", argument)
Outcome = tuple[tuple[str, tuple[str, ...], bool], ...]  # (text, labels, has image) per reply

DESCRIPTION = "Уличната лампа пред блок 12 не свети от седмица."
REPORT_ID = "SOF-2026-000001"  # every bot has a fresh database


def onboard(user: str, language: str = "English") -> list[Step]:
    return [(user, "say", "/start"), (user, "tap", language)]


def file_report(user: str = "u1") -> list[Step]:
    return [
        (user, "say", "/report"),
        (user, "tap", "💡 Street lighting"),
        (user, "say", "/loc 42.6497 23.3790"),
        (user, "say", DESCRIPTION),
        (user, "say", "/photo {jpeg}"),
        (user, "tap", "✅ Done"),
        (user, "tap", "✅ Send"),
    ]


@dataclass(frozen=True)
class Scenario:
    steps: list[Step]
    expect: str  # appears in the last step's replies: the script did what it claims


SCENARIOS: dict[str, Scenario] = {
    "onboarding": Scenario(
        [*onboard("u1"), ("u1", "say", "/help"), ("u1", "say", "/menu")],
        "What would you like to do?",
    ),
    "language": Scenario(
        [*onboard("u1"), ("u1", "tap", "menu:language"), ("u1", "tap", "lang:bg")],
        "Готово, ще Ви пишем на български.",
    ),
    "report_with_location_and_photo": Scenario(
        [*onboard("u1"), *file_report()], f"registered as {REPORT_ID}"
    ),
    "report_with_typed_address_district_and_phone": Scenario(
        [
            *onboard("u1", "Български"),
            ("u1", "say", "/report"),
            ("u1", "tap", "🕳️ Пътища и тротоари"),
            ("u1", "tap", "⌨️ Ще напиша адрес"),
            ("u1", "say", "ул. Шипка 6"),
            ("u1", "tap", "Средец"),
            ("u1", "say", "Дупка на пътя, опасна за колите."),
            ("u1", "say", "/contact +359888123456"),
            ("u1", "tap", "⏭️ Без снимки"),
            ("u1", "tap", "✅ Изпрати"),
        ],
        REPORT_ID,
    ),
    "myreports": Scenario(
        [
            *onboard("u1"),
            *file_report(),
            ("u1", "say", "/myreports"),
            ("u1", "tap", f"📄 {REPORT_ID}"),
        ],
        f"Report {REPORT_ID} — New",
    ),
    "staff_status_change_notifies_the_reporter": Scenario(
        [
            *onboard("u1"),
            *onboard("admin"),
            *file_report(),
            ("admin", "say", f"/report {REPORT_ID}"),
            ("admin", "tap", "🛠️ In progress"),
            ("admin", "say", "Екипът е изпратен."),
            ("u1", "pop", ""),
        ],
        "new status: In progress",
    ),
    "resolved_report_not_fixed_with_a_photo": Scenario(
        [
            *onboard("u1"),
            *onboard("admin"),
            *file_report(),
            ("admin", "say", f"/report {REPORT_ID}"),
            ("admin", "tap", "✅ Resolved"),
            ("admin", "tap", "stk"),
            ("u1", "pop", ""),
            ("u1", "tap", "❌ No, it is not fixed"),
            ("u1", "say", "The lamp is dark again."),
            ("u1", "say", "/photo {jpeg}"),
        ],
        f"Report {REPORT_ID} is open again",
    ),
    "resolved_report_confirmed_fixed": Scenario(
        [
            *onboard("u1"),
            *onboard("admin"),
            *file_report(),
            ("admin", "say", f"/report {REPORT_ID}"),
            ("admin", "tap", "✅ Resolved"),
            ("admin", "tap", "stk"),
            ("u1", "pop", ""),
            ("u1", "tap", "✅ Yes, it is fixed"),
        ],
        f"Report {REPORT_ID} is now closed",
    ),
    "alerts_subscription": Scenario(
        [
            *onboard("u1"),
            ("u1", "say", "/alerts"),
            ("u1", "tap", "💧 Water supply"),
            ("u1", "tap", "📍 Places"),
            ("u1", "tap", "🏘️ Districts"),
            ("u1", "tap", "Mladost"),
            ("u1", "tap", "↩️ Back"),
            ("u1", "tap", "📍 Around a point"),
            ("u1", "say", "/loc 42.668 23.315"),
            ("u1", "tap", "1 km"),
            ("u1", "say", "/mysubs"),
            ("u1", "say", "/stop"),
            ("u1", "tap", "🔕 Yes, stop"),
        ],
        "🔕",
    ),
    "unknown_command_and_text": Scenario(
        [*onboard("u1"), ("u1", "say", "/nonsense"), ("u1", "say", "просто текст")],
        "Sorry, we did not understand.",
    ),
}


class Chat(Protocol):
    async def say(self, text: str, *, user: str = ...) -> list[Reply]: ...
    async def tap(self, label_or_payload: str, *, user: str = ...) -> list[Reply]: ...
    def pop(self, user: str) -> list[Reply]: ...


# A bot on one channel: given the common settings (database, data dir, admins) and the clock.
RunBot = Callable[[dict[str, object], Clock], contextlib.AbstractAsyncContextManager[Chat]]


@contextlib.asynccontextmanager
async def console_bot(common: dict[str, object], clock: Clock) -> AsyncIterator[Chat]:
    chat = recording_channel()
    app = CitizenBot(make_settings(**common), channels=[chat], clock=clock)
    await app.start(web=False)
    try:
        yield chat
    finally:
        await app.stop()


@contextlib.asynccontextmanager
async def telegram_bot(common: dict[str, object], clock: Clock) -> AsyncIterator[Chat]:
    async with FakeBotAPI() as api:
        settings = make_settings(
            **common,
            telegram_bot_token=api.token,
            telegram_api_base_url=api.base_url,
            telegram_webhook_url="https://bot.example.org/telegram/webhook",
            telegram_webhook_secret=TELEGRAM_SECRET,
        )
        db = Database(settings.database_url)
        chat = TelegramChat(api, "", db)
        app = CitizenBot(settings, clock=clock)
        await app.start(web=True)
        chat.webhook_url = f"{app.web.url}{TELEGRAM_WEBHOOK}"
        try:
            yield chat
        finally:
            await app.stop()
            await db.dispose()
        assert api.violations == []


@contextlib.asynccontextmanager
async def viber_bot(common: dict[str, object], clock: Clock) -> AsyncIterator[Chat]:
    async with FakeViberAPI() as api:
        app = await start_viber_bot(api, make_settings(**common, **viber_settings(api)), clock)
        try:
            yield ViberChat(api)
        finally:
            await app.stop()
        assert api.violations == []


CHANNELS: dict[str, RunBot] = {
    "console": console_bot,
    "telegram": telegram_bot,
    "viber": viber_bot,
}
# "admin" in the scripts, on every channel (the drivers derive user ids from the names).
ADMINS = f"console:admin,telegram:{FIRST_USER_ID - 1},viber:{make_user('admin').id}"


def outcome(replies: list[Reply]) -> Outcome:
    return tuple(
        (r.text, tuple(b.label for b in r.all_buttons), r.image is not None) for r in replies
    )


async def run(chat: Chat, steps: list[Step], jpeg: Path) -> list[Outcome]:
    transcript = []
    for user, action, argument in steps:
        argument = argument.format(jpeg=jpeg)
        if action == "say":
            replies = await chat.say(argument, user=user)
        elif action == "tap":
            replies = await chat.tap(argument, user=user)
        else:
            replies = chat.pop(user)
        transcript.append(outcome(replies))
    return transcript


@pytest.fixture
async def fresh_db_urls(
    sqlite_templates: SqliteTemplates,
    postgres_templates: PostgresTemplates | None,
) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Fresh databases for the channels' bots, on one backend: PostgreSQL where
    TEST_DATABASE_URL is set (the stricter), else SQLite. The matrix compares channels; the
    backends are compared by every other database test."""
    created: list[str] = []

    async def fresh() -> str:
        if postgres_templates is None:
            return await sqlite_templates.fresh()
        url = await postgres_templates.fresh()
        created.append(url)
        return url

    yield fresh
    for url in created:
        assert postgres_templates is not None
        await postgres_templates.release(url)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_every_channel_has_the_same_conversation(
    name: str,
    fresh_db_urls: Callable[[], Awaitable[str]],
    clock: Clock,
    jpeg: Path,
    tmp_path: Path,
):
    scenario = SCENARIOS[name]
    transcripts: dict[str, list[Outcome]] = {}
    for channel, run_bot in CHANNELS.items():
        common = {
            "db_url": await fresh_db_urls(),
            "data_dir": str(tmp_path / channel),
            "admins": ADMINS,
        }
        async with run_bot(common, clock) as chat:
            transcripts[channel] = await run(chat, scenario.steps, jpeg)

    reference = transcripts["console"]
    assert all(reference[i] for i, step in enumerate(scenario.steps) if step[1] != "pop")
    assert any(scenario.expect in text for text, _, _ in reference[-1]), reference[-1]
    for channel, transcript in transcripts.items():
        for index, (step, got, want) in enumerate(
            zip(scenario.steps, transcript, reference, strict=True)
        ):
            assert got == want, f"{channel}, step {index} {step}"
