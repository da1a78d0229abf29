"""/stats for admins: the figures an admin reads (citizens, reports by status, category and
district, the median time to resolve, subscriptions, deliveries, survey responses, retention)
and the weekly chart as a PNG — on the console and Telegram paths, SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from PIL import Image

from bot.channels.console import RecordingChannel
from bot.city import load_city
from bot.stats_chart import week_bounds, week_labels
from storage.db import Database
from storage.models import Outbox, ReportStatus, SurveyStatus
from storage.repos import alerts, citizens, stats, surveys
from tests.conftest import Clock
from tests.steps import onboard
from tests.steps.reports import seed_report

REFUSED = "This command is for municipal staff only."
PNG = b"\x89PNG\r\n\x1a\n"
SOFIA_PACK = load_city("sofia")
SOFIA = ZoneInfo("Europe/Sofia")

S = ReportStatus


async def seed(db: Database, chat: RecordingChannel, now: datetime) -> None:
    day, hour = timedelta(days=1), timedelta(hours=1)
    async with db.sessions() as session, session.begin():
        v1, _ = await citizens.get_or_create_by_identity(
            session, channel="viber", user_id="v1", language="bg", now=now - 20 * day
        )
        v2, _ = await citizens.get_or_create_by_identity(
            session, channel="viber", user_id="v2", language="en", now=now - 40 * day
        )
        u1 = await citizens.find_by_identity(
            session, channel=chat.name, user_id=chat.address("u1").user_id
        )
        assert u1 is not None
        for citizen, topic in ((v1, "water"), (v2, "water"), (u1, "heating")):
            await alerts.set_topic(session, citizen_id=citizen.id, topic=topic, on=True, now=now)

        # First resolutions after 1 d, 3 d, 2 h, 5 d and 29 h: the median is 1 d 5 h.
        await seed_report(session, "sofia-28", "15", now - 10 * day, (S.RESOLVED, now - 9 * day))
        await seed_report(
            session,
            "sofia-28",
            "15",
            now - 20 * day,
            (S.ACKNOWLEDGED, now - 19 * day),
            (S.RESOLVED, now - 17 * day),
        )
        await seed_report(
            session, "sofia-27", "02", now - 3 * day, (S.RESOLVED, now - 3 * day + 2 * hour)
        )
        await seed_report(session, "sofia-1", None, now - day)
        await seed_report(session, "sofia-27", "15", now - 30 * day, (S.REJECTED, now - 29 * day))
        await seed_report(
            session,
            "sofia-28",
            "02",
            now - 40 * day,
            (S.RESOLVED, now - 35 * day),  # the first resolution counts
            ("reopened", now - 34 * day),
            (S.RESOLVED, now - 2 * day),
            reopener=u1.id,
        )
        await seed_report(session, "sofia-1", "15", now - 50 * hour, (S.RESOLVED, now - 21 * hour))
        await seed_report(session, "sofia-1", "02", now - 6 * day, (S.IN_PROGRESS, now - 5 * day))

        for channel, status, n in (
            ("telegram", "sent", 3),
            ("telegram", "failed", 1),
            ("viber", "sent", 1),
            ("viber", "blocked", 2),
            ("viber", "pending", 1),
        ):
            for i in range(n):
                session.add(
                    Outbox(
                        channel=channel,
                        user_id=f"{status}{i}",
                        language="bg",
                        kind="direct",
                        status=status,
                    )
                )

        survey = await surveys.create(
            session,
            code="stats",
            status=SurveyStatus.PUBLISHED,
            opens_at=now - day,
            closes_at=now + day,
            definition={},
            now=now,
        )
        for citizen, completed in ((v1, True), (v2, True), (u1, False)):
            response = await surveys.start_response(
                session, survey_id=survey.id, citizen_id=citizen.id, district=None, now=now
            )
            response.completed_at = now if completed else None
            session.add(response)


async def test_stats_shows_the_figures_and_a_weekly_chart(
    chat: RecordingChannel, db: Database, clock: Clock
):
    for user, language in (("admin", "English"), ("u1", "English"), ("u2", "Български")):
        await onboard(chat, user, language)
    await seed(db, chat, clock.now)

    text, chart = await chat.say("/stats", user="admin")

    assert text.text == (
        "📈 Statistics as of 27 Nov 2026, 12:00\n"
        "\n"
        "👥 Citizens: 5\n"
        f"By channel: {chat.name.capitalize()} 3 · Viber 2\n"
        "By language: Bulgarian 2 · English 3\n"
        "Active: 3 in the last 7 days, 4 in the last 30\n"
        "\n"
        "📝 Reports: 8\n"
        "By status: New 1 · In progress 1 · Resolved 5 · Rejected 1\n"
        "By category: Street cleaning 3 · Street lighting 3 · Waste collection 2\n"
        "By district: Mladost 4 · Krasno Selo 3 · district not given 1\n"
        "Median time to resolve: 1 d 5 h (resolved reports: 5)\n"
        "\n"
        "🔔 Alert subscriptions: Water supply 2 · Heating 1\n"
        "\n"
        "📤 Deliveries (sent / failed / blocked):\n"
        "Telegram: 3 / 1 / 0\n"
        "Viber: 1 / 0 / 2\n"
        "\n"
        "🗳️ Survey responses: 3, completed: 2\n"
        "\n"
        "🗄️ Data retention: 24 months after a citizen's last message\n"
        "\n"
        "📡 Feeds\n"
        "meteoalarm: works; last success: never; items: 0\n"
        "sofiatraffic: works; last success: never; items: 0\n"
        "sofiyska-voda: works; last success: never; items: 0\n"
        "\n"
        "🏛 By body (medians: to acknowledge and to resolve; “on time” counts open reports past"
        " their deadline as late):\n"
        "\n"
        f"Bodies with no reports yet: {len(SOFIA_PACK.bodies.bodies)}"
    )
    assert chart.text == "📊 Reports per week, last 12 weeks"
    assert isinstance(chart.image, bytes) and chart.image.startswith(PNG)
    image = Image.open(io.BytesIO(chart.image))
    assert image.format == "PNG" and image.size == (1080, 600)


async def test_stats_in_bulgarian_with_nothing_yet(chat: RecordingChannel):
    await onboard(chat, "admin", "Български")
    text, chart = await chat.say("/stats", user="admin")
    assert "👥 Граждани: 1\n" in text.text
    assert "📝 Сигнали: 0\nПо статус: —\nПо категория: —\nПо район: —\n" in text.text
    assert "Медианно време до решаване: още няма решени сигнали" in text.text
    assert "📤 Доставки: още няма" in text.text
    assert text.text.endswith(
        "🗄️ Срок за съхранение на данните: 24 мес. след последното съобщение на гражданина\n"
        "\n"
        "📡 Източници на данни\n"
        "meteoalarm: работи; последно успешно четене: няма; записи: 0\n"
        "sofiatraffic: работи; последно успешно четене: няма; записи: 0\n"
        "sofiyska-voda: работи; последно успешно четене: няма; записи: 0\n"
        "\n"
        "🏛 По звена (медиани: до потвърждаване и до решаване; „в срок“ брои като закъснели и"
        " отворените след срока):\n"
        "\n"
        f"Звена все още без сигнали: {len(SOFIA_PACK.bodies.bodies)}"
    )
    assert chart.text == "📊 Сигнали по седмици, последните 12 седмици"
    assert Image.open(io.BytesIO(chart.image)).format == "PNG"


async def test_stats_in_bulgarian_has_no_english_words(
    chat: RecordingChannel, db: Database, clock: Clock
):
    for user, language in (("admin", "Български"), ("u1", "English"), ("u2", "Български")):
        await onboard(chat, user, language)
    await seed(db, chat, clock.now)
    text, _chart = await chat.say("/stats", user="admin")
    channels = {"console": "Viber 2 · конзола 3", "telegram": "Telegram 3 · Viber 2"}[chat.name]
    assert text.text.startswith("📈 Статистика към 27.11.2026 12:00\n")
    assert f"По канал: {channels}\n" in text.text
    assert "По език: английски 2 · български 3\n" in text.text
    assert "По статус: Нов 1 · В работа 1 · Решен 5 · Отхвърлен 1\n" in text.text
    assert "Медианно време до решаване: 1 д 5 ч (решени сигнали: 5)\n" in text.text
    assert "\nTelegram: 3 / 1 / 0\nViber: 1 / 0 / 2\n" in text.text
    assert "console" not in text.text and " bg " not in text.text


async def test_long_breakdowns_are_cut_to_the_ten_largest(
    chat: RecordingChannel, db: Database, clock: Clock
):
    await onboard(chat, "admin")
    async with db.sessions() as session, session.begin():
        for n, code in enumerate(f"{i:02d}" for i in range(1, 13)):
            for _ in range(1 + (n == 0)):
                await seed_report(session, "sofia-1", code, clock.now)
    text, _ = await chat.say("/stats", user="admin")
    (line,) = [x for x in text.text.splitlines() if x.startswith("By district:")]
    assert line.startswith("By district: Sredets 2 · Ilinden 1 · Izgrev 1 · Krasna Polyana 1 ·")
    assert line.endswith(" · others 2") and line.count(" · ") == 10
    assert len(text.text) < 4096


async def test_a_citizen_is_refused(chat: RecordingChannel):
    await onboard(chat, "u1")
    assert [r.text for r in await chat.say("/stats", user="u1")] == [REFUSED]


# -- the figures behind it, straight from the repo ------------------------------------------


async def test_weeks_are_the_city_weeks_across_a_clock_change(db: Database):
    # Summer time ended on Sunday 25.10.2026 at 04:00 Sofia time (01:00 UTC).
    now = datetime(2026, 11, 4, 9, 0, tzinfo=UTC)  # a Wednesday
    bounds = week_bounds(now, SOFIA, weeks=3)
    assert bounds == [
        datetime(2026, 10, 18, 21, 0, tzinfo=UTC),  # Monday 19.10 00:00, summer time
        datetime(2026, 10, 25, 22, 0, tzinfo=UTC),  # Monday 26.10 00:00, winter time
        datetime(2026, 11, 1, 22, 0, tzinfo=UTC),
        datetime(2026, 11, 8, 22, 0, tzinfo=UTC),
    ]
    assert week_labels(bounds, SOFIA, "bg") == ("19.10", "26.10", "02.11")
    assert week_labels(bounds, SOFIA, "en") == ("19 Oct", "26 Oct", "2 Nov")
    async with db.sessions() as session, session.begin():
        for filed in (
            datetime(2026, 10, 18, 20, 59, tzinfo=UTC),  # Sunday 23:59: before the chart
            datetime(2026, 10, 18, 21, 0, tzinfo=UTC),
            datetime(2026, 10, 25, 21, 59, tzinfo=UTC),  # Sunday 23:59 local
            datetime(2026, 10, 25, 22, 0, tzinfo=UTC),  # Monday 00:00 local
            now,
            now,
        ):
            await seed_report(session, "sofia-1", "15", filed)
    async with db.sessions() as session:
        assert await stats.reports_filed_between(session, bounds=bounds) == [2, 1, 2]


async def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two(db: Database):
    now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    async with db.sessions() as session, session.begin():
        assert await stats.resolution(session) == stats.Resolution(median=None, reports=0)
        for hours in (1, 3, 10, 100):
            filed = now - timedelta(days=10)
            await seed_report(
                session, "sofia-1", "15", filed, (S.RESOLVED, filed + timedelta(hours=hours))
            )
        await seed_report(session, "sofia-1", "15", now, (S.IN_PROGRESS, now))
    async with db.sessions() as session:
        assert await stats.resolution(session) == stats.Resolution(
            median=timedelta(hours=6, minutes=30), reports=4
        )
