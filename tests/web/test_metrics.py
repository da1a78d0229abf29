"""GET /metrics over real HTTP: counters of the traffic the bot handled and sent, gauges of
what the database holds, the bearer token, and each bot's own registry."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import CitizenBot
from bot.core.channel import SendResult, SendStatus
from bot.core.messages import Reply
from scheduler.payloads import direct_payload
from storage.db import Database
from storage.models import ReportStatus
from storage.repos import alerts, citizens, outbox
from tests.conftest import Clock, recording_channel
from tests.dbs import unreachable_url
from tests.steps import onboard
from tests.steps.reports import seed_report

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(
    app: CitizenBot, authorization: str | None = None, accept: str | None = None
) -> tuple[int, str, str]:
    headers = {"Authorization": authorization} if authorization else {}
    if accept:
        headers["Accept"] = accept
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{app.web.url}/metrics", headers=headers) as resp,
    ):
        return resp.status, resp.headers.get("Content-Type", ""), await resp.text()


def parse(text: str) -> Samples:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


async def test_metrics_after_some_traffic(bot_factory, db: Database, clock: Clock):
    chat = recording_channel()
    app = await bot_factory([chat], web=True, retention_months=6)
    for user in ("u1", "u2", "admin"):
        await onboard(chat, user)  # /start, then a language button
    await chat.say("/help", user="admin")

    now, hour = clock.now, timedelta(hours=1)
    async with db.sessions() as session, session.begin():
        u1 = await citizens.find_by_identity(session, channel="console", user_id="u1")
        assert u1 is not None
        await alerts.set_topic(session, citizen_id=u1.id, topic="water", on=True, now=now)
        await seed_report(
            session, "sofia-28", "15", now - 5 * hour, (ReportStatus.RESOLVED, now - 4 * hour)
        )
        await seed_report(
            session, "sofia-1", None, now - 5 * hour, (ReportStatus.RESOLVED, now - 2 * hour)
        )
        rows = [
            await outbox.enqueue_direct(
                session,
                citizen_id=None,
                channel="console",
                user_id=user,
                language="en",
                payload=direct_payload(Reply("News.")),
                now=now,
            )
            for user in ("u1", "u2")
        ]
    chat.results[chat.address("u2")] = SendResult(SendStatus.BLOCKED, error="blocked")
    await app.delivery.deliver([row.id for row in rows])

    status, content_type, body = await scrape(app)
    assert status == 200
    assert content_type.startswith("text/plain; version=")
    samples = parse(body)

    # counters and histograms of this process
    for kind, n in (("started", 3), ("button", 3), ("command", 1)):
        assert value(samples, "citizenbot_updates_total", channel="console", kind=kind) == n
    assert value(samples, "citizenbot_update_seconds_count", channel="console") == 7
    assert value(samples, "citizenbot_update_seconds_sum", channel="console") > 0
    assert value(samples, "citizenbot_update_seconds_bucket", channel="console", le="+Inf") == 7
    for result in ("sent", "blocked"):
        assert value(samples, "citizenbot_deliveries_total", channel="console", result=result) == 1
    assert value(samples, "citizenbot_delivery_seconds_count", channel="console") == 2

    # gauges read from the database
    assert value(samples, "citizenbot_database_up") == 1
    assert value(samples, "citizenbot_retention_months") == 6
    assert value(samples, "citizenbot_citizens") == 3
    assert value(samples, "citizenbot_citizens_by_channel", channel="console") == 3
    assert value(samples, "citizenbot_citizens_by_language", language="en") == 3
    assert value(samples, "citizenbot_citizens_active", days="7") == 3
    assert value(samples, "citizenbot_reports", status="resolved") == 2
    assert value(samples, "citizenbot_reports", status="new") == 0
    assert value(samples, "citizenbot_reports_by_category", category="sofia-28") == 1
    assert value(samples, "citizenbot_reports_by_district", district="15") == 1
    assert value(samples, "citizenbot_reports_by_district", district="none") == 1
    assert value(samples, "citizenbot_reports_resolved") == 2
    assert value(samples, "citizenbot_report_resolution_median_seconds") == 2 * 3600
    assert value(samples, "citizenbot_alert_subscriptions", topic="water") == 1
    for row_status in ("sent", "blocked"):
        key = {"channel": "console", "status": row_status}
        assert value(samples, "citizenbot_outbox_messages", **key) == 1
    assert value(samples, "citizenbot_survey_responses") == 0
    assert value(samples, "citizenbot_survey_responses_completed") == 0


async def test_the_token_is_required_when_set(bot_factory):
    app = await bot_factory([], web=True, metrics_token="s3cret-metrics-token")
    for authorization in (None, "Bearer wrong", "Basic czNjcmV0LW1ldHJpY3MtdG9rZW4=", "Bearer"):
        status, _, body = await scrape(app, authorization)
        assert status == 401, authorization
        assert "citizenbot" not in body
    status, _, body = await scrape(app, "Bearer s3cret-metrics-token")
    assert status == 200
    assert value(parse(body), "citizenbot_database_up") == 1
    # A scraper that asks for OpenMetrics gets it.
    openmetrics = "application/openmetrics-text; version=1.0.0"
    status, content_type, body = await scrape(app, "Bearer s3cret-metrics-token", openmetrics)
    assert (status, content_type.split(";")[0]) == (200, "application/openmetrics-text")
    assert body.endswith("# EOF\n")


async def test_each_bot_has_its_own_registry(bot_factory):
    busy, quiet = recording_channel(), recording_channel()
    first = await bot_factory([busy], web=True)
    second = await bot_factory([quiet], web=True)
    await onboard(busy, "u1")
    (_, _, one), (_, _, two) = await scrape(first), await scrape(second)
    kind = {"channel": "console", "kind": "started"}
    assert value(parse(one), "citizenbot_updates_total", **kind) == 1
    assert value(parse(two), "citizenbot_updates_total", **kind) is None


async def test_counters_are_served_while_the_database_is_down(bot_factory, db_url: str):
    chat = recording_channel()
    app = await bot_factory([chat], web=True)
    await onboard(chat, "u1")
    outage = Database(unreachable_url(db_url))
    app.db.sessions = async_sessionmaker(outage.engine, class_=AsyncSession)
    try:
        status, _, body = await scrape(app)
    finally:
        await outage.dispose()
    samples = parse(body)
    assert status == 200
    assert value(samples, "citizenbot_database_up") == 0
    assert value(samples, "citizenbot_citizens") is None
    assert value(samples, "citizenbot_updates_total", channel="console", kind="started") == 1
