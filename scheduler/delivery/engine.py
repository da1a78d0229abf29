"""The delivery engine: every channel's sender (sender.py), the crash policy, direct rows
sent inline, receipts, progress messages. The whole design: scheduler/delivery/__init__.py."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.core.channel import Channel, Dispatch, Receipt
from bot.core.messages import IncomingMessage
from bot.core.waiting import wait_event
from bot.i18n import Translator
from bot.media.store import PhotoStore
from scheduler.delivery.config import DeliveryConfig
from scheduler.delivery.rendering import NoticeRenderer
from scheduler.delivery.results import Results, masked
from scheduler.delivery.sender import ChannelSender
from scheduler.instance import InstanceLock
from scheduler.progress import ProgressReporter
from scheduler.ratelimit import TokenBucket, rate_limit
from storage.db import Database
from storage.repos import citizens, outbox
from storage.repos.outbox import Claimed
from storage.types import utcnow

log = logging.getLogger(__name__)

INLINE_LIMIT = 20  # direct rows sent inside the dispatch that queued them
YIELD_MAX = 0.05  # the longest a bulk send steps aside for a citizen's message being handled


class TeamChats(Protocol):
    """What the platform said of a chat that is no citizen's (a body's team chat), told in the
    transaction that records the send, and the combined message of its waiting news
    (scheduler/team_chats.py: the domain's rules)."""

    async def moved(
        self, session: AsyncSession, *, channel: str, old_id: str, new_id: str
    ) -> None: ...

    async def lost(self, session: AsyncSession, *, channel: str, chat_id: str) -> bool:
        """The chat cannot be reached: True when it was a team chat (its members told)."""
        ...

    named: int  # reports a combined message names (the others it carries are counted)

    def combined(self, language: str, payloads: list[dict[str, Any]]) -> dict[str, Any]:
        """One message (a direct payload) carrying these news to one team chat, in
        `language` (bundling.py: when more wait than the chat's pace lets out soon)."""
        ...


class DeliveryEngine:
    """Every channel's sender, the crash policy, progress messages."""

    def __init__(
        self,
        *,
        db: Database,
        settings: Settings,
        translator: Translator,
        photos: PhotoStore | None = None,
        clock: Callable[[], datetime] = utcnow,
        config: DeliveryConfig | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.translator = translator
        self.photos = photos
        self.now = clock
        self.config = config or DeliveryConfig.from_settings(settings)
        self.senders: dict[str, ChannelSender] = {}
        self.progress = ProgressReporter(
            db=db, translator=translator, channels=self._channel, charge=self.charge
        )
        self._lock = InstanceLock(settings.data_dir)
        self.instance_id = ""
        self._running = False
        self._tasks: list[asyncio.Task[None]] = []
        self._side_tasks: set[asyncio.Task[None]] = set()
        self.rendering = NoticeRenderer(db=db, photos=photos, side_task=self._side_task)
        self._handling = 0  # citizens' messages being handled right now
        self._no_citizens = asyncio.Event()
        self._no_citizens.set()
        # Told each send's outcome (sent, failed, blocked, retry) and time on the wire (metrics).
        self.on_delivery: Callable[[str, str, float | None], None] | None = None
        # Told of team chats that moved or cannot be reached, and writes the combined message
        # of a team chat's waiting news; None: such a send is a citizen's (blocked: opted out;
        # moved: just sent to the new id) and nothing is combined.
        self.team_chats: TeamChats | None = None

    def add_channel(self, channel: Channel) -> None:
        bucket = TokenBucket(rate_limit(self.settings, channel.name))
        self.senders[channel.name] = ChannelSender(self, channel, bucket)

    def _channel(self, name: str) -> Channel | None:
        sender = self.senders.get(name)
        return sender.channel if sender else None

    @property
    def running(self) -> bool:
        return self._running

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        self.instance_id = self._lock.acquire()
        recovered = await self.recover(own=True)
        if recovered:
            log.info(
                "delivery: %d rows left in flight before the restart are pending again", recovered
            )
        self._running = True
        for sender in self.senders.values():
            sender.start()
        self._tasks = [
            asyncio.create_task(self._housekeeping(), name="delivery-housekeeping"),
        ]
        log.info("delivery: instance %s, channels %s", self.instance_id, sorted(self.senders))

    async def stop(self, timeout: float | None = None) -> None:
        if not self._running:
            return
        self._running = False
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        timeout = self.config.stop_timeout if timeout is None else timeout
        await asyncio.gather(*(s.stop(timeout) for s in self.senders.values()))
        if self._side_tasks:
            await asyncio.wait(self._side_tasks, timeout=timeout)
        self._lock.release()

    def wake(self, channel: str | None = None) -> None:
        """Look for due rows now (of one channel, or all)."""
        for name, sender in self.senders.items():
            if channel is None or name == channel:
                sender.wake()

    async def drain(self, timeout: float = 60.0) -> None:
        """Send everything due now; return when no due row is left unsent and every result is
        recorded (rows waiting for a retry or for quiet hours to end are not due)."""
        if not self._running:
            raise RuntimeError("the delivery engine is not running")
        async with asyncio.timeout(timeout):
            await asyncio.gather(*(s.until_idle() for s in self.senders.values()))
            while self._side_tasks:
                await asyncio.gather(*self._side_tasks, return_exceptions=True)

    def yielding(self, dispatch: Dispatch) -> Dispatch:
        """`dispatch`, counted: while a citizen's message is being handled, bulk sends step
        aside (up to YIELD_MAX each), so a broadcast does not slow replies down."""

        async def counted(msg: IncomingMessage) -> None:
            self._handling += 1
            self._no_citizens.clear()
            try:
                await dispatch(msg)
            finally:
                self._handling -= 1
                if not self._handling:
                    self._no_citizens.set()

        return counted

    async def yield_to_citizens(self) -> None:
        if self._handling:
            await wait_event(self._no_citizens, YIELD_MAX)

    def charge(self, channel: str) -> None:
        """A message left on `channel` outside the engine (a reply): count it in the bucket."""
        sender = self.senders.get(channel)
        if sender is not None:
            sender.bucket.charge()

    async def deliver(self, ids: Sequence[int]) -> None:
        """Send these just-committed direct rows now (see the module docstring)."""
        if not self._running or not ids:
            return
        if len(ids) > INLINE_LIMIT:
            self.wake()
            return
        senders = [self.senders[name] for name in sorted(self.senders)]
        async with contextlib.AsyncExitStack() as stack:
            # With the claim locks held no sender is midway through a claim, so a row not
            # claimed here is either not due or already in a sender's hands (waited for).
            for sender in senders:
                await stack.enter_async_context(sender.claim_lock)
            async with self.db.sessions() as session, session.begin():
                rows = await outbox.claim_ids(
                    session, ids=ids, instance=self.instance_id, now=self.now()
                )
            by_channel: dict[str, list[Claimed]] = {}
            for row in rows:
                by_channel.setdefault(row.channel, []).append(row)
            for name, claimed in by_channel.items():
                if name in self.senders:
                    self.senders[name].adopt(claimed)
        for name, claimed in by_channel.items():
            sender = self.senders.get(name)
            if sender is None:  # not served here (cannot happen: claim_ids is not per channel)
                async with self.db.sessions() as session, session.begin():
                    await outbox.release(
                        session, ids=[row.id for row in claimed], instance=self.instance_id
                    )
            elif sender.bucket.paused_for > 0:
                await sender.give_back(claimed)  # the sender sends them after the pause
            else:
                await sender.send_inline(claimed)
        others = set(ids) - {row.id for row in rows}
        for sender in senders:
            await sender.wait_recorded(others)

    # -- the database side ----------------------------------------------------------------

    async def claim(self, channel: str, limit: int) -> list[Claimed]:
        async with self.db.sessions() as session, session.begin():
            return await outbox.claim(
                session, channel=channel, instance=self.instance_id, now=self.now(), limit=limit
            )

    async def record(self, batch: Results, claimed: dict[int, Claimed]) -> list[int]:
        """Write a batch of results in one transaction; returns the runs it finished."""
        me, now = self.instance_id, self.now()
        async with self.db.sessions() as session, session.begin():
            await outbox.mark_sent(
                session, ids=batch.sent, sent=batch.confirmed, instance=me, now=now
            )
            await outbox.release(session, ids=batch.released, instance=me)
            await outbox.retry_later(session, retries=batch.retries, instance=me)
            await outbox.mark_failed(session, failures=batch.failures, instance=me)
            chats = self.team_chats
            for row, new_id in batch.moved:
                # A chat with a new id (a Telegram group became a supergroup): the team chat's
                # link follows it, and this row and the others waiting go there.
                if chats is not None:
                    await chats.moved(
                        session, channel=row.channel, old_id=row.user_id, new_id=new_id
                    )
                await outbox.readdress(
                    session,
                    row_id=row.id,
                    channel=row.channel,
                    old_id=row.user_id,
                    new_id=new_id,
                    instance=me,
                )
            told = False
            for blocked, why in batch.blocked:
                await outbox.mark_blocked(session, blocked=blocked, instance=me, reason=why)
                row = claimed.get(blocked.id)
                if (
                    chats is not None
                    and row is not None
                    and row.citizen_id is None  # no citizen's: perhaps a body's team chat
                    and await chats.lost(session, channel=blocked.channel, chat_id=blocked.user_id)
                ):
                    told = True  # the team chat is marked broken, its members told
                    continue
                await citizens.set_opted_out(
                    session, channel=blocked.channel, user_id=blocked.user_id, opted_out=True
                )
            runs = {row.run_id for i in batch.ids() if (row := claimed.get(i)) and row.run_id}
            done = await outbox.finish_runs(session, now=now, run_ids=runs) if runs else []
        if batch.moved or told:
            self.wake()  # the readdressed rows and the members' news are due now
        return done

    async def receipt(self, receipt: Receipt) -> bool:
        """Record a platform's receipt on the outbox row that sent the message (its own
        transaction; raises if it could not be recorded, so the platform sends it again).
        Returns whether a row changed: not for a message sent outside the outbox (a reply)
        or a receipt already recorded."""
        sender = self.senders.get(receipt.channel)
        if sender is not None:
            await sender.settle(receipt.message_id)
        why = masked(receipt.reason) if receipt.reason else None
        async with self.db.sessions() as session, session.begin():
            return await outbox.record_receipt(
                session,
                channel=receipt.channel,
                external_id=receipt.message_id,
                kind=receipt.kind.value,
                at=receipt.at or self.now(),
                user_id=receipt.user_id,
                reason=why,
            )

    async def recover(self, *, own: bool = False) -> int:
        """The crash policy: rows left inflight by this instance id (at start-up) or past
        their lease go back to pending."""
        channels = list(self.senders)
        if not channels:
            return 0
        async with self.db.sessions() as session, session.begin():
            return await outbox.recover(
                session,
                channels=channels,
                instance=self.instance_id if own else None,
                lease_expired_before=self.now() - self.config.lease,
            )

    def _side_task(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._side_tasks.add(task)
        task.add_done_callback(self._side_tasks.discard)

    # -- runs and housekeeping ------------------------------------------------------------

    def after_runs_finished(self, run_ids: list[int]) -> None:
        log.info("delivery: notice runs %s done", run_ids)
        self._side_task(self.progress.finished(run_ids))

    async def _housekeeping(self) -> None:
        """Progress edits, runs whose last rows were sent elsewhere, expired leases."""
        loop = asyncio.get_running_loop()
        next_recovery = loop.time() + self.config.lease.total_seconds() / 4
        while True:
            await asyncio.sleep(self.config.progress_interval)
            try:
                async with self.db.sessions() as session, session.begin():
                    done = await outbox.finish_runs(session, now=self.now())
                if done:
                    self.after_runs_finished(done)
                await self.progress.tick()
                if loop.time() >= next_recovery:
                    next_recovery = loop.time() + self.config.lease.total_seconds() / 4
                    if recovered := await self.recover():
                        log.warning(
                            "delivery: %d rows past their lease are pending again", recovered
                        )
                        self.wake()
            except Exception:
                log.exception("delivery housekeeping failed")

    def stats(self) -> dict[str, dict[str, int]]:
        """Per channel: rows sent, 429s, failed, blocked, retried; sends allowed on the wire."""
        return {
            name: {**sender.stats, "concurrency": sender.concurrency}
            for name, sender in self.senders.items()
        }
