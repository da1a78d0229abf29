"""The APScheduler instance: it only ticks; due work lives in (and is claimed from) SQL."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler import jobs
from scheduler.body_reminders import BodyReminders
from scheduler.feeds import FeedPoller
from scheduler.forwarding import Forwarder
from scheduler.late_news import LateNews
from scheduler.notices import NoticeScheduler
from scheduler.pruning import OutboxPruning
from scheduler.retention import Retention
from storage.db import Database


def build_scheduler(
    db: Database,
    timezone: ZoneInfo,
    *,
    notices: NoticeScheduler | None = None,
    retention: Retention | None = None,
    pruning: OutboxPruning | None = None,
    feeds: FeedPoller | None = None,
    body_reminders: BodyReminders | None = None,
    forwarder: Forwarder | None = None,
    late: LateNews | None = None,
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=timezone)
    if notices is not None:
        notices.install(scheduler)  # the notices tick (scheduler/notices.py)
    if feeds is not None:
        feeds.install(scheduler)  # polls the city pack's feeds (scheduler/feeds.py)
    if forwarder is not None:
        forwarder.install(scheduler)  # sends forwards to bodies, reads Open311 statuses back
    if late is not None:
        late.install(scheduler)  # every few minutes, the reporters of newly late reports
    if retention is not None:
        retention.install(scheduler)  # daily, forgets long-inactive citizens
    if pruning is not None:
        pruning.install(scheduler)  # daily, deletes the outbox rows of old finished runs
    if body_reminders is not None:
        body_reminders.install(scheduler)  # daily: staff digests, overdue reminders
    scheduler.add_job(
        jobs.prune_processed_updates,
        "interval",
        hours=1,
        args=[db],
        id="prune_processed_updates",
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
    return scheduler
