"""Polling the city pack's feeds (feeds.json) on the scheduler.

One periodic job ("feeds_tick", every FEED_TICK_SECONDS) looks at every feed; a feed that is
due is claimed in SQL (its next poll moved ahead in a conditional UPDATE that one process
wins), so several processes poll each feed once. A poll is a conditional GET (ETag /
Last-Modified: a 304 costs nothing) with the feed's timeout; the publication is parsed
(bot/feeds/parse.py) and the records brought in line (bot/feeds/alerts.py), all in one
transaction. A failing feed is polled again after a growing pause (backoff, up to an hour);
it is logged once when it starts failing and once when it works again, and /stats and
/metrics show each feed's last success, last error and items. A broken feed affects nothing
else. The same tick closes alerts whose end has passed.

Everything reads the app's clock, so tests move time and call `tick()` directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from cachetools import LRUCache

from bot.city.feeds import FeedConfig, FeedType
from bot.feeds import parse
from bot.feeds.alerts import Desk, Queued, close, sync
from bot.feeds.parse import FeedError, FeedItem
from scheduler.ticks import Ticks
from storage.db import Database
from storage.repos import feeds as feeds_repo

log = logging.getLogger(__name__)

JOB_ID = "feeds_tick"
MAX_BYTES = 10 * 1024 * 1024
MAX_BACKOFF = timedelta(hours=1)
CAP_CACHE = 500  # CAP documents kept parsed (MeteoAlarm's never change once published)
USER_AGENT = "citizenbot (municipal alerts; feeds.json)"


LEASE_MARGIN_S = 30


def lease(feed: FeedConfig) -> timedelta:
    """How long a claimed feed is this poller's: the whole poll (an Atom index and the CAP
    documents it links) must end well within it."""
    return timedelta(seconds=feed.timeout_seconds * 3 + 60)


def backoff(feed: FeedConfig, failures: int) -> timedelta:
    """The pause after `failures` failures in a row: the interval, doubled each time."""
    return min(timedelta(seconds=feed.interval_seconds * 2 ** max(failures - 1, 0)), MAX_BACKOFF)


class FeedPoller:
    def __init__(
        self,
        *,
        db: Database,
        desk: Desk,
        clock: Callable[[], datetime],
        tick_seconds: int = 30,
        on_queued: Callable[[list[int]], Any] | None = None,
        wake_notices: Callable[[], None] | None = None,
    ) -> None:
        """`on_queued(outbox ids)` hands staff messages to the delivery engine;
        `wake_notices()` brings the notice scheduler's tick forward for a notice due now."""
        self.db = db
        self.desk = desk
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.on_queued = on_queued
        self.wake_notices = wake_notices
        self._http: aiohttp.ClientSession | None = None
        self._cap: LRUCache[str, FeedItem] = LRUCache(CAP_CACHE)
        self._ticks = Ticks("feeds", self.tick)

    @property
    def feeds(self) -> tuple[FeedConfig, ...]:
        return self.desk.city.feeds

    def install(self, scheduler: AsyncIOScheduler) -> None:
        if self.tick_seconds <= 0 or not self.feeds:
            return
        self._ticks.install(scheduler, job_id=JOB_ID, seconds=self.tick_seconds)

    async def close(self) -> None:
        await self._ticks.close()
        if self._http is not None:
            await self._http.close()
            self._http = None

    # -- the work ---------------------------------------------------------------------------

    async def tick(self) -> int:
        """Poll every feed that is due and close alerts whose end passed; returns how many
        feeds this process polled."""
        polled = 0
        for feed in self.feeds:
            try:
                if await self._claim(feed):
                    polled += 1
                    await self.poll(feed)
            except Exception:  # one broken feed must not hold up the others
                log.exception("feed %s: the poll failed", feed.id)
        await self.expire()
        return polled

    async def _claim(self, feed: FeedConfig) -> bool:
        now = self.clock()
        async with self.db.sessions() as session, session.begin():
            return await feeds_repo.claim(session, feed_id=feed.id, now=now, lease=lease(feed))

    async def poll(self, feed: FeedConfig) -> None:
        """Fetch, parse and apply one feed (already claimed)."""
        async with self.db.sessions() as session:
            state = await feeds_repo.state(session, feed_id=feed.id)
        etag = state.etag if state else None
        modified = state.last_modified if state else None
        failures = state.failures if state else 0
        try:
            # Within the claim's lease, so that no other process takes the feed meanwhile.
            async with asyncio.timeout(lease(feed).total_seconds() - LEASE_MARGIN_S):
                fetched = await self._fetch(feed, etag=etag, modified=modified)
                items = None if fetched is None else await self._items(feed, fetched[0])
        except (FeedError, aiohttp.ClientError, TimeoutError, UnicodeError) as exc:
            await self._failed(feed, failures, _reason(exc))
            return
        now = self.clock()
        queued = Queued()
        async with self.db.sessions() as session, session.begin():
            if items is not None:
                queued = await sync(session, self.desk, feed, items, now=now)
            open_now = len(await feeds_repo.open_of(session, feed_id=feed.id))
            await feeds_repo.succeeded(
                session,
                feed_id=feed.id,
                now=now,
                next_poll_at=now + timedelta(seconds=feed.interval_seconds),
                items=open_now,
                etag=fetched[1] if fetched else None,
                last_modified=fetched[2] if fetched else None,
                changed=fetched is not None,
            )
        if failures:
            log.warning("feed %s works again after %d failed polls", feed.id, failures)
        self._after(queued)

    async def expire(self) -> None:
        """Close the alerts whose end has passed."""
        now = self.clock()
        async with self.db.sessions() as session:
            due = await feeds_repo.expired(session, now=now)
        for alert in due:
            async with self.db.sessions() as session, session.begin():
                queued = await close(session, self.desk, alert, reason="expired", now=now)
            self._after(queued)

    def _after(self, queued: Queued) -> None:
        if queued.notices and self.wake_notices is not None:
            self.wake_notices()
        if queued.outbox and self.on_queued is not None:
            result = self.on_queued(queued.outbox)
            if asyncio.iscoroutine(result):
                self._ticks.track(asyncio.ensure_future(result))

    async def _failed(self, feed: FeedConfig, failures: int, reason: str) -> None:
        now = self.clock()
        async with self.db.sessions() as session, session.begin():
            await feeds_repo.failed(
                session,
                feed_id=feed.id,
                now=now,
                next_poll_at=now + backoff(feed, failures + 1),
                error=reason,
            )
        if failures == 0:  # once per change of state; the next ones are in /stats
            log.warning("feed %s fails: %s (retried with backoff)", feed.id, reason)

    # -- HTTP -------------------------------------------------------------------------------

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(headers={"User-Agent": USER_AGENT})
        return self._http

    async def _get(
        self, feed: FeedConfig, url: str, headers: dict[str, str]
    ) -> tuple[int, bytes, str | None, str | None]:
        timeout = aiohttp.ClientTimeout(total=feed.timeout_seconds)
        async with self._session().get(
            url, headers={**feed.headers, **headers}, timeout=timeout, allow_redirects=True
        ) as response:
            if response.status == 304:
                return 304, b"", None, None
            if response.status != 200:
                raise FeedError(f"HTTP {response.status}")
            if (response.content_length or 0) > MAX_BYTES:
                raise FeedError("the publication is too large")
            data = await response.content.read(MAX_BYTES + 1)
            if len(data) > MAX_BYTES:
                raise FeedError("the publication is too large")
            return 200, data, response.headers.get("ETag"), response.headers.get("Last-Modified")

    async def _fetch(
        self, feed: FeedConfig, *, etag: str | None, modified: str | None
    ) -> tuple[bytes, str | None, str | None] | None:
        """(body, ETag, Last-Modified); None when unchanged since the last poll (304)."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        status, data, new_etag, new_modified = await self._get(feed, str(feed.url), headers)
        if status == 304:
            return None
        return data, new_etag, new_modified

    async def _items(self, feed: FeedConfig, data: bytes) -> list[FeedItem]:
        if feed.type == FeedType.CAP:
            return [parse.parse_cap(data)]
        if feed.type == FeedType.CAP_ATOM:
            items = []
            for _entry_id, href in parse.parse_atom(data):
                items.append(await self._cap_document(feed, href))
            return items
        if feed.type == FeedType.GTFS_RT:
            return parse.parse_gtfs_rt(data, language=feed.language)
        if feed.type == FeedType.ARCGIS:
            return parse.parse_arcgis(data, language=feed.language)
        return parse.parse_geojson(data, language=feed.language)

    async def _cap_document(self, feed: FeedConfig, href: str) -> FeedItem:
        cached = self._cap.get(href)
        if cached is not None:
            return cached
        _, data, _, _ = await self._get(feed, href, {})
        item = parse.parse_cap(data)
        self._cap[href] = item
        return item


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "cannot connect"
    if isinstance(exc, aiohttp.ClientError):  # its text may hold the URL (and a key in it)
        return type(exc).__name__
    text = str(exc) or type(exc).__name__
    with contextlib.suppress(Exception):
        text = text.splitlines()[0]
    return text[:300]
