"""Builds and runs the service: database, channels, dispatcher, scheduler, web server."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.city import CityPack, load_city
from bot.config import Settings
from bot.core.channel import Channel
from bot.core.context import Services
from bot.core.dispatcher import Dispatcher
from bot.feeds.alerts import Desk
from bot.i18n import Translator
from bot.media.files import SharedFiles
from bot.media.preload import preload_photo
from bot.media.store import PhotoStore
from bot.metrics import Metrics
from bot.web.console import console_app
from bot.web.media import media_routes
from bot.web.metrics import metrics_routes
from bot.web.open311 import open311_routes
from bot.web.opendata import opendata_routes
from bot.web.opendata_alerts import alerts_routes
from bot.web.opendata_bodies import bodies_routes
from bot.web.server import WebServer, build_web_app
from bot.web.survey_results import survey_results_routes
from handlers import build_router, fallback_route
from scheduler.body_reminders import BodyReminders
from scheduler.delivery import DeliveryEngine
from scheduler.feeds import FeedPoller
from scheduler.forwarding import Forwarder
from scheduler.late_news import LateNews
from scheduler.notices import NoticeScheduler
from scheduler.pruning import OutboxPruning
from scheduler.retention import Retention
from scheduler.setup import build_scheduler
from scheduler.team_chats import TeamChatEvents
from storage.db import Database
from storage.types import utcnow

log = logging.getLogger(__name__)


class CitizenBot:
    """One process of the bot. `start()` brings everything up, `stop()` takes it down."""

    def __init__(
        self,
        settings: Settings,
        *,
        channels: list[Channel] | None = None,
        clock: Callable[[], datetime] = utcnow,
        city: CityPack | None = None,
    ) -> None:
        self.settings = settings
        self.db = Database(
            settings.database_url,
            pool_timeout=settings.database_pool_timeout_seconds,
            connect_timeout=settings.database_connect_timeout_seconds,
        )
        self.translator = Translator(default=settings.default_language)
        self.city = city or load_city(settings.city)
        self.photos = PhotoStore(Path(settings.data_dir))
        # Files handed out by URL for an hour (documents on Viber).
        self.files = SharedFiles(Path(settings.data_dir), clock=clock)
        self.delivery = DeliveryEngine(
            db=self.db,
            settings=settings,
            translator=self.translator,
            photos=self.photos,
            clock=clock,
        )
        # A team chat that moved or cannot be reached, as a send found it: the domain's rules.
        self.delivery.team_chats = TeamChatEvents(
            city=self.city, settings=settings, translator=self.translator, clock=clock
        )
        self.notices = NoticeScheduler(
            db=self.db,
            city=self.city,
            translator=self.translator,
            clock=clock,
            tick_seconds=settings.notice_tick_seconds,
            batch_size=settings.notice_batch_size,
            on_queued=self.delivery.wake,
        )
        self.forwarder = Forwarder(
            db=self.db,
            city=self.city,
            settings=settings,
            translator=self.translator,
            photos=self.photos,
            clock=clock,
            deliver=self.delivery.deliver,
        )
        self.services = Services(
            settings=settings,
            translator=self.translator,
            city=self.city,
            clock=clock,
            photos=self.photos,
            deliver=self.delivery.deliver,
            wake_notices=self.notices.wake,
            wake_forwarding=self.forwarder.wake,
        )
        self.dispatcher = Dispatcher(
            db=self.db,
            router=build_router(),
            services=self.services,
            fallback=fallback_route(),
            preload=preload_photo,
        )
        self.channels: list[Channel] = (
            list(channels) if channels is not None else self._configured_channels()
        )
        for channel in self.channels:
            self.dispatcher.add_channel(channel)
            self.delivery.add_channel(channel)
        self.dispatcher.replies.on_send = self.delivery.charge
        self.metrics = Metrics(retention_months=settings.retention_months)
        self.dispatcher.on_handled = self.metrics.observe_update
        self.dispatcher.on_flood = self.metrics.observe_flood
        self.dispatcher.replies.on_outcome = self.metrics.observe_reply
        self.delivery.on_delivery = self.metrics.observe_delivery
        routes = [route for channel in self.channels for route in channel.routes()]
        routes += media_routes(self.photos, self.files)
        routes += open311_routes(
            db=self.db,
            city=self.city,
            settings=settings,
            clock=clock,
            translator=self.translator,
            deliver=self.delivery.deliver,
            wake_forwarding=self.forwarder.wake,
        )
        routes += opendata_routes(db=self.db, city=self.city, settings=settings)
        routes += bodies_routes(db=self.db, services=self.services)
        routes += alerts_routes(db=self.db, city=self.city, clock=clock)
        routes += survey_results_routes(db=self.db, city=self.city, clock=clock)
        routes += metrics_routes(
            metrics=self.metrics,
            db=self.db,
            token=settings.metrics_token,
            clock=clock,
            services=self.services,
        )
        self.web = WebServer(
            build_web_app(self.db, routes, {"/console": console_app(self.db, self.services)}),
            settings.http_host,
            settings.http_port,
            idle_timeout=settings.http_idle_timeout_seconds,
            body_timeout=settings.http_body_timeout_seconds,
        )
        self.retention = Retention(
            db=self.db,
            months=settings.retention_months,
            clock=clock,
            keep=settings.admin_addresses,
            photos=self.photos,
            files=self.files,
        )
        self.pruning = OutboxPruning(db=self.db, days=settings.outbox_retention_days, clock=clock)
        self.feeds = FeedPoller(
            db=self.db,
            desk=Desk(self.city, self.translator, settings, settings.admin_addresses),
            clock=clock,
            tick_seconds=settings.feed_tick_seconds,
            on_queued=self.delivery.deliver,
            wake_notices=self.notices.wake,
        )
        self.body_reminders = BodyReminders(
            db=self.db,
            city=self.city,
            settings=settings,
            translator=self.translator,
            clock=clock,
            deliver=self.delivery.deliver,
        )
        self.late_news = LateNews(db=self.db, services=self.services)
        self.scheduler = build_scheduler(
            self.db,
            self.city.timezone,
            notices=self.notices,
            retention=self.retention,
            pruning=self.pruning,
            feeds=self.feeds,
            body_reminders=self.body_reminders,
            forwarder=self.forwarder,
            late=self.late_news,
        )
        self._started: list[Channel] = []

    def _configured_channels(self) -> list[Channel]:
        channels: list[Channel] = []
        if self.settings.telegram_enabled:
            from bot.channels.telegram import TelegramChannel

            channels.append(TelegramChannel(self.settings, self.translator))
        if self.settings.viber_enabled:
            from bot.channels.viber import ViberChannel

            prefixes = [r.key for r in self.dispatcher.router.routes() if r.category == "button"]
            channels.append(
                ViberChannel(
                    self.settings,
                    photos=self.photos,
                    files=self.files,
                    payload_prefixes=prefixes,
                    receipts=self.delivery.receipt,
                )
            )
        return channels

    def t(self, key: str, /, **values: object) -> str:
        return self.translator.translate(self.settings.default_language, key, **values)

    async def start(self, *, web: bool = True) -> None:
        if web:
            try:
                await self.web.start()
            except OSError as exc:
                if any(c.routes() for c in self.channels):
                    raise
                log.warning("web server not started (%s); continuing without it", exc)
        self.scheduler.start()
        for channel in self.channels:
            await channel.start(self.delivery.yielding(self.dispatcher.dispatch))
            self._started.append(channel)
            log.info("channel %s started", channel.name)
        await self.delivery.start()

    async def stop(self) -> None:
        await self.feeds.close()  # a poll in progress finishes first
        await self.late_news.close()  # a late-news tick in progress finishes first
        await self.notices.close()  # a notices tick in progress finishes first
        await self.forwarder.close()  # a send in progress finishes first
        await self.dispatcher.replies.close()  # queued replies go out while channels can send
        try:
            await self.delivery.stop()  # while the channels can still send
        except Exception:
            log.exception("the delivery engine did not stop cleanly")
        for channel in reversed(self._started):
            try:
                await channel.stop()
            except Exception:
                log.exception("channel %s did not stop cleanly", channel.name)
        self._started.clear()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.web.stop()
        await self.db.dispose()


class StopSignals:
    """SIGINT and SIGTERM set `stopped`; installed before start-up so none is missed."""

    def __enter__(self) -> StopSignals:
        loop = asyncio.get_running_loop()
        self.stopped: asyncio.Future[None] = loop.create_future()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._stop)
        return self

    def _stop(self) -> None:
        if not self.stopped.done():
            self.stopped.set_result(None)

    async def wait(self, *others: asyncio.Future[object]) -> None:
        """Until a stop signal, or until any of `others` finishes."""
        await asyncio.wait([self.stopped, *others], return_when=asyncio.FIRST_COMPLETED)

    def __exit__(self, *exc: object) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
