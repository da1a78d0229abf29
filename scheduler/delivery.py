"""The delivery engine: outbox rows → channels, rate limited, retried, exactly once.

One `ChannelSender` per channel claims due rows in batches, sends them through the channel
under that channel's token bucket, and records the results in batches:

    claim (short transaction) → send (no transaction open) → record (short transaction)

The database is never held while a message travels. Claims take at most
DELIVERY_BATCH_SIZE rows and a sender never holds more than that many claimed rows at once,
so memory does not grow with the audience. Direct messages (a report's status news) are
claimed ahead of a broadcast's backlog.

Results:
* ok → `sent`, with the platform's message id (`external_id`) and, where the channel says, how
  many platform messages it took (`messages`: Viber bills each). The platform's delivery
  receipts come back through `DeliveryEngine.receipt` (Viber's delivered/seen/failed).
* 429 (SendStatus.RETRY_AFTER) → the channel's bulk sending pauses for retry_after; the row
  goes back to pending, no attempt counted.
* transient failure (FAILED: 5xx, timeouts, resets) → retried with exponential backoff
  (2 s, 4 s, 8 s, … at most 10 min) until DELIVERY_MAX_ATTEMPTS, then `failed` with the reason
  (long digit runs, e.g. ids, are masked: no personal data).
* blocked / deactivated (BLOCKED) → `blocked`, the citizen opted out, and their other pending
  rows on that channel cancelled.

Crash policy (what "exactly once" means here). A row is claimed — status inflight,
claimed_by = this instance's id, claimed_at — before it is sent and marked sent after. If the
process dies, its inflight rows are resolved so:
* a restarted process takes back the rows claimed under its own instance id at start-up (the
  id survives restarts: scheduler/instance.py), and sends them again;
* rows inflight longer than DELIVERY_LEASE_SECONDS go back to pending whoever claimed them
  (a process that died for good, or on another host), checked every quarter lease.
Rows sent but not yet recorded as sent when the process died are therefore sent twice. There
are at most as many as the instance had claimed: duplicates after a crash are bounded by
DELIVERY_BATCH_SIZE per crashed instance (results are recorded every 0.1 s, so in practice
about 0.1 s worth of sending: 32-36 of a batch of 100 at 1000/s, tests/e2e/
test_delivery_crash.py). Nothing is lost. A process frozen past its lease (SIGSTOP, a paused
VM) can likewise have its in-flight rows sent twice, by whoever recovers them.
A graceful stop claims nothing more, waits for the sends on the wire (up to a timeout) and
puts every row not sent back to pending (a send cut off by the timeout may have arrived: at
most the sends on the wire may go twice).

Several instances: on PostgreSQL claims use SELECT … FOR UPDATE SKIP LOCKED, so processes
share a broadcast without sending a row twice; on SQLite the single writer serialises claims.
Each instance paces its channel at the configured rate: with N processes, give each 1/N.

Sending promptly (and how tests know it happened): a handler that queues direct rows hands
their ids to `DeliveryEngine.deliver` through `ctx.after_commit` (Services.deliver), so they
are sent right after the message's commit, inside that message's dispatch, like a reply: a
test that gets the staff member's answer back finds the news already delivered. More than
INLINE_LIMIT rows, or a paused channel, and the rows are left to the sender (woken at once).
`drain()` sends everything due now and returns when nothing due is left: the deterministic
hook for tests and benchmarks. Anything else due is found by polling (every second).

Replies to citizens never wait for this engine: the dispatcher's reply sender
(bot/core/replies.py) paces them in its own bucket and `charge()`s each to the channel's
bucket here, so bulk sends slow down to leave room for them; and while
a citizen's message is being handled (`yielding`, wrapped around the dispatcher by the app),
bulk sends step aside for up to YIELD_MAX each. The sends on the wire per channel are sized by
Little's law (achieved pace × fastest recent round trip), because every extra HTTP connection
costs CPU on each request. Figures: bench/README.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import statistics
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select, update

from bot.config import Settings
from bot.core.channel import Channel, Dispatch, Receipt, SendResult, SendStatus
from bot.core.messages import STORED, Address, IncomingMessage, MediaRef, Reply
from bot.i18n import Translator
from bot.media.store import PhotoStore
from scheduler.instance import InstanceLock
from scheduler.payloads import (
    BadPayload,
    direct_payload,
    notice_text,
    reply_from_payload,
)
from scheduler.progress import ProgressReporter
from scheduler.ratelimit import TokenBucket, rate_limit
from storage.db import Database
from storage.models import Notice, NoticeRun, OutboxKind
from storage.repos import citizens, outbox
from storage.repos.outbox import Blocked, Claimed, Failure, Retry, Sent
from storage.types import utcnow

__all__ = ["DeliveryConfig", "DeliveryEngine", "direct_payload", "reply_from_payload"]

log = logging.getLogger(__name__)

INLINE_LIMIT = 20  # direct rows sent inside the dispatch that queued them
MIN_CONCURRENCY = 2
UNLIMITED_PACE = 1000.0  # sends a second assumed for an unlimited channel until measured
YIELD_MAX = 0.05  # the longest a bulk send steps aside for a citizen's message being handled
NOTICE_CACHE = 32  # runs whose rendered notice is kept
BY_URL = frozenset({"viber"})  # channels that fetch a picture by URL: given the stored photo
PERSISTED_FILE_IDS = frozenset({"telegram"})  # kept on the notice (Notice.photo_file_id)
_DIGITS = re.compile(r"\d{5,}")
# ChannelSender.stats keys → the outcome told to DeliveryEngine.on_delivery
OUTCOMES = {
    "sent": "sent",
    "retry_after": "retry",
    "blocked": "blocked",
    "failed": "failed",
    "retried": "retry",
}


@dataclass(frozen=True)
class DeliveryConfig:
    batch_size: int = 200
    max_attempts: int = 5
    lease: timedelta = timedelta(seconds=120)
    backoff_base: float = 2.0
    backoff_cap: float = 600.0
    poll_interval: float = 1.0
    flush_interval: float = 0.1
    progress_interval: float = 5.0
    concurrency: int = 64  # at most this many sends on the wire per channel
    stop_timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryConfig:
        return cls(
            batch_size=settings.delivery_batch_size,
            max_attempts=settings.delivery_max_attempts,
            lease=timedelta(seconds=settings.delivery_lease_seconds),
        )

    def backoff(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt."""
        seconds = self.backoff_base * 2 ** max(0, attempts - 1)
        return timedelta(seconds=min(seconds, self.backoff_cap))


def _stale_file_id(result: SendResult) -> bool:
    """A send by file id refused because the platform no longer knows the file."""
    error = (result.error or "").lower()
    return result.status is SendStatus.FAILED and "file identifier" in error


def reason(result: SendResult) -> str:
    """Why a send failed, fit to store: no ids or phone numbers."""
    return _DIGITS.sub("…", result.error or result.status.value)[: outbox.MAX_ERROR]


@dataclass
class _NoticeEntry:
    """A run's notice as the senders use it: its photo's bytes (read when a channel needs them)
    and, per channel, the platform's file id of the photo once uploaded."""

    notice: Notice
    image: bytes | None = None
    missing: bool = False  # the stored photo is gone: sent without it
    file_ids: dict[str, str] = field(default_factory=dict)
    uploads: dict[str, asyncio.Future[None]] = field(default_factory=dict)  # one per channel
    no_ids: set[str] = field(default_factory=set)  # channels whose sends return no file id


@dataclass
class _Results:
    sent: list[int] = field(default_factory=list)
    confirmed: list[Sent] = field(default_factory=list)  # sent, with the platform's answer
    released: list[int] = field(default_factory=list)
    retries: list[Retry] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    blocked: list[tuple[Blocked, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return (
            len(self.sent)
            + len(self.confirmed)
            + len(self.released)
            + len(self.retries)
            + len(self.failures)
            + len(self.blocked)
        )

    def ids(self) -> list[int]:
        return [
            *self.sent,
            *(s.id for s in self.confirmed),
            *self.released,
            *(r.id for r in self.retries),
            *(f.id for f in self.failures),
            *(b.id for b, _ in self.blocked),
        ]

    def merge(self, other: _Results) -> None:
        self.sent += other.sent
        self.confirmed += other.confirmed
        self.released += other.released
        self.retries += other.retries
        self.failures += other.failures
        self.blocked += other.blocked


class ChannelSender:
    """Claims, sends and records the rows of one channel."""

    def __init__(self, engine: DeliveryEngine, channel: Channel, bucket: TokenBucket) -> None:
        self.engine = engine
        self.channel = channel
        # Message ids are kept only where receipts will look for them (Viber): storing them
        # turns the batch's one UPDATE into one per row.
        self._keeps_ids = getattr(channel, "receipts", None) is not None
        self.bucket = bucket
        self.name = channel.name
        self.stats = {"sent": 0, "retry_after": 0, "failed": 0, "blocked": 0, "retried": 0}
        self._inflight: dict[int, Claimed] = {}
        self._queue: asyncio.Queue[Claimed] = asyncio.Queue()
        self._results = _Results()
        self._flushing: _Results | None = None  # the batch being recorded right now
        self._kick = asyncio.Event()  # claim again: woken, room freed, pause over
        self._flush_kick = asyncio.Event()
        self._flush_lock = asyncio.Lock()
        self.claim_lock = asyncio.Lock()  # claims of this channel's rows, one at a time
        self._recorded = asyncio.Condition()
        self._tasks: list[asyncio.Task[None]] = []
        self._workers: list[asyncio.Task[None]] = []
        self._sending: set[asyncio.Task[None]] = set()
        self._wire_clear = asyncio.Event()  # set whenever no send is on the wire
        # Sends on the wire: as many as the rate needs to hide the round trip (Little's law),
        # no more: every extra connection costs httpx CPU on each request. The round trip is
        # the fastest recent send: averages would count our own CPU queueing as network and
        # feed back into more concurrency.
        self._latency = 0.01  # seconds: the fastest and the median of recent sends
        self._latency_median = 0.01
        self._throughput = UNLIMITED_PACE  # sends a second, measured (unlimited channels)
        self._recent: deque[float] = deque(maxlen=64)
        self._window_began = time.monotonic()
        self._active = self._wanted()
        self._more = asyncio.Event()
        self._stopping = False
        # drain bookkeeping: claims are numbered; idle = a claim numbered after the waiter (and
        # after any row was released) came back short, and nothing claimed is unrecorded.
        self._claim_seq = 0
        self._short_seq = -1
        self._released_seq = 0
        self._idle_waiters: list[tuple[int, asyncio.Future[None]]] = []

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self._stopping = False
        self._tasks = [
            asyncio.create_task(self._claim_loop(), name=f"delivery-claim-{self.name}"),
            asyncio.create_task(self._flush_loop(), name=f"delivery-flush-{self.name}"),
        ]
        self._workers = [
            asyncio.create_task(self._work(i), name=f"delivery-send-{self.name}-{i}")
            for i in range(self.engine.config.concurrency)
        ]

    async def stop(self, timeout: float) -> None:
        """No new claims; the sends on the wire may finish (up to `timeout`); every claimed
        row not sent goes back to pending."""
        self._stopping = True
        claimer, flusher = self._tasks or (None, None)
        if claimer is not None:
            claimer.cancel()
            await asyncio.gather(claimer, return_exceptions=True)
        while not self._queue.empty():
            self._queue.get_nowait()
            self._queue.task_done()
        for worker in self._workers:
            if worker not in self._sending:
                worker.cancel()
        if self._sending:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wire_clear.wait(), timeout)
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        if flusher is not None:
            flusher.cancel()
            await asyncio.gather(flusher, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self.flush()
        unsent = [i for i in self._inflight if i not in set(self._results.ids())]
        if unsent:
            try:
                async with self.engine.db.sessions() as session, session.begin():
                    await outbox.release(session, ids=unsent, instance=self.engine.instance_id)
                self._inflight.clear()
            except Exception:
                log.exception(
                    "delivery: %d claimed rows not released (the lease will)", len(unsent)
                )
        for _, waiter in self._idle_waiters:
            if not waiter.done():
                waiter.cancel()
        self._idle_waiters.clear()
        self._tasks, self._workers = [], []

    def wake(self) -> None:
        self._kick.set()

    async def until_idle(self) -> None:
        """Return once nothing of this channel is due now and everything claimed is recorded."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._idle_waiters.append((self._claim_seq + 1, waiter))
        self.wake()
        await waiter

    # -- claiming -------------------------------------------------------------------------

    @property
    def _room(self) -> int:
        return self.engine.config.batch_size - len(self._inflight)

    async def _claim_loop(self) -> None:
        config = self.engine.config
        while not self._stopping:
            self._kick.clear()
            pause = self.bucket.paused_for
            if pause > 0:
                await self._sleep(pause)
                continue
            room = self._room
            if room < max(1, config.batch_size // 2):
                await self._sleep(config.poll_interval)  # a flush kicks us when room frees
                continue
            self._claim_seq += 1
            seq = self._claim_seq  # a drain registered from now on needs the next claim
            try:
                async with self.claim_lock:
                    rows = await self.engine.claim(self.name, room)
                    for row in rows:
                        self._inflight[row.id] = row
            except Exception:
                log.exception("delivery: claiming %s rows failed", self.name)
                await self._sleep(config.poll_interval)
                continue
            for row in rows:
                self._queue.put_nowait(row)
            if len(rows) < room:
                self._short_seq = seq
                self._settle_idle()
                await self._sleep(config.poll_interval)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._kick.wait(), seconds)

    def _settle_idle(self) -> None:
        if self._inflight or len(self._results):
            return
        threshold = max(self._released_seq, 0)
        keep = []
        for needed, waiter in self._idle_waiters:
            if waiter.done():
                continue
            if self._short_seq >= max(needed, threshold):
                waiter.set_result(None)
            else:
                keep.append((needed, waiter))
        self._idle_waiters = keep

    # -- sending --------------------------------------------------------------------------

    @property
    def concurrency(self) -> int:
        return self._active

    def _wanted(self) -> int:
        # Under a rate limit, enough sends in flight to keep its pace at the typical (median)
        # send time, with half again for jitter: by the fastest send time it stayed at 2 and
        # reached only 0.87 of a 1000/s limit (bench/broadcast.py). Without one, the pace we
        # achieve at the fastest send time, so concurrency grows while that helps, by half at
        # a time, and stops when something else (CPU, the server) is the limit.
        if self.bucket.rate:
            wanted = math.ceil(self.bucket.rate * self._latency_median * 1.5) + 1
        else:
            wanted = math.ceil(self._throughput * self._latency * 1.5) + 1
        return max(MIN_CONCURRENCY, min(self.engine.config.concurrency, wanted))

    def _observe(self, seconds: float) -> None:
        self._recent.append(seconds)
        if len(self._recent) == self._recent.maxlen:
            now = time.monotonic()
            self._latency = min(self._recent)
            self._latency_median = statistics.median(self._recent)
            self._throughput = len(self._recent) / max(1e-6, now - self._window_began)
            self._window_began = now
            self._recent.clear()
            wanted = self._wanted()
            if wanted > self._active:
                self._more.set()
                self._more = asyncio.Event()
            self._active = wanted

    async def _work(self, index: int) -> None:
        while True:
            while index >= self._active:
                await self._more.wait()
            row = await self._queue.get()
            try:
                await self._send(row, wait=True)
            finally:
                self._queue.task_done()

    async def _send(self, row: Claimed, *, wait: bool) -> None:
        try:
            reply = await self.engine.render(row)
        except BadPayload as exc:
            self._record(row, SendResult(SendStatus.FAILED, error=str(exc)), final=True)
            return
        result: SendResult | None = None
        try:
            result = await self._send_rendered(row, reply, wait=wait)
        finally:
            self.engine.after_send(row, result)

    async def _send_rendered(self, row: Claimed, reply: Reply, *, wait: bool) -> SendResult | None:
        if wait:
            await self.engine.yield_to_citizens()
            await self.bucket.acquire()
        else:
            self.bucket.charge()
        if self._stopping and wait:
            return None  # left claimed: released by stop()
        task = asyncio.current_task()
        if task is not None:
            self._sending.add(task)  # type: ignore[arg-type]
            self._wire_clear.clear()
        began = time.monotonic()
        try:
            result = await self.channel.send(Address(row.channel, row.user_id), reply)
            self._observe(time.monotonic() - began)
        except Exception as exc:  # a bug in a channel must not stop the engine
            log.exception("delivery: %s send raised", self.name)
            result = SendResult(SendStatus.FAILED, error=type(exc).__name__)
        finally:
            if task is not None:
                self._sending.discard(task)  # type: ignore[arg-type]
                if not self._sending:
                    self._wire_clear.set()
        self._record(row, result, seconds=time.monotonic() - began)
        return result

    async def wait_recorded(self, ids: set[int]) -> None:
        """Until none of these rows is claimed by this sender and unrecorded."""
        async with self._recorded:
            await self._recorded.wait_for(lambda: not ids & self._inflight.keys())

    def adopt(self, rows: Sequence[Claimed]) -> None:
        """Rows claimed for this channel outside the claim loop (`DeliveryEngine.deliver`)."""
        for row in rows:
            self._inflight[row.id] = row

    async def send_inline(self, rows: Sequence[Claimed]) -> None:
        """Send adopted rows now, charging the bucket instead of waiting for it; record the
        results before returning."""
        for row in rows:
            await self._send(row, wait=False)
        await self.flush()

    async def give_back(self, rows: Sequence[Claimed]) -> None:
        """Adopted rows back to pending, for the claim loop."""
        self._results.released += [row.id for row in rows]
        await self.flush()

    def _record(
        self, row: Claimed, result: SendResult, *, final: bool = False, seconds: float | None = None
    ) -> None:
        results = self._results
        status = result.status
        messages: int | None = getattr(result, "messages", None)  # e.g. ViberSendResult
        if status is SendStatus.OK:
            if (result.message_id is None or not self._keeps_ids) and messages is None:
                results.sent.append(row.id)
            else:
                message_id = result.message_id if self._keeps_ids else None
                results.confirmed.append(Sent(row.id, message_id, messages))
            self._count("sent", seconds)
        elif status is SendStatus.RETRY_AFTER:
            self.bucket.pause(result.retry_after or 1.0)
            results.released.append(row.id)
            self._count("retry_after", seconds)
            self._kick.set()  # the claimer sleeps out the pause
        elif status is SendStatus.BLOCKED:
            results.blocked.append((Blocked(row.id, row.channel, row.user_id), reason(result)))
            self._count("blocked", seconds)
        else:
            attempts = row.attempts + 1
            if final or attempts >= self.engine.config.max_attempts:
                results.failures.append(Failure(row.id, attempts, reason(result), messages))
                self._count("failed", seconds)
            else:
                due = self.engine.now() + self.engine.config.backoff(attempts)
                results.retries.append(Retry(row.id, attempts, due, reason(result), messages))
                self._count("retried", seconds)
        if len(results) >= max(1, self.engine.config.batch_size // 4):
            self._flush_kick.set()

    def _count(self, key: str, seconds: float | None) -> None:
        self.stats[key] += 1
        if self.engine.on_delivery is not None:
            self.engine.on_delivery(self.name, OUTCOMES[key], seconds)

    # -- recording ------------------------------------------------------------------------

    async def settle(self, external_id: str) -> None:
        """A receipt for `external_id` came: if that send is not recorded yet (results are
        recorded every flush_interval), record it now, so the receipt finds its row."""
        for batch in (self._results, self._flushing):
            if batch is not None and any(s.external_id == external_id for s in batch.confirmed):
                await self.flush()  # waits for a flush in progress, then records the rest
                return

    async def _flush_loop(self) -> None:
        interval = self.engine.config.flush_interval
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._flush_kick.wait(), interval)
            self._flush_kick.clear()
            try:
                await self.flush()
            except Exception:
                log.exception("delivery: recording %s results failed; retrying", self.name)
                await asyncio.sleep(interval * 10)

    async def flush(self) -> None:
        async with self._flush_lock:
            batch, self._results = self._results, _Results()
            if not len(batch):
                self._settle_idle()
                return
            self._flushing = batch
            try:
                done_runs = await self.engine.record(batch, self._inflight)
            except BaseException:
                batch.merge(self._results)
                self._results = batch
                raise
            finally:
                self._flushing = None
            for row_id in batch.ids():
                self._inflight.pop(row_id, None)
            async with self._recorded:
                self._recorded.notify_all()
            if batch.released:
                self._released_seq = self._claim_seq + 1
            self._kick.set()
            self._settle_idle()
        if done_runs:
            self.engine.after_runs_finished(done_runs)


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
        self._notices: OrderedDict[int, asyncio.Future[_NoticeEntry]] = OrderedDict()
        self._uploading: dict[int, tuple[_NoticeEntry, str]] = {}  # row id → its photo upload
        self._by_file_id: dict[int, tuple[_NoticeEntry, str, str]] = {}  # row id → id it used
        self._handling = 0  # citizens' messages being handled right now
        self._no_citizens = asyncio.Event()
        self._no_citizens.set()
        # Told each send's outcome (sent, failed, blocked, retry) and time on the wire (metrics).
        self.on_delivery: Callable[[str, str, float | None], None] | None = None

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
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._no_citizens.wait(), YIELD_MAX)

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

    async def record(self, batch: _Results, claimed: dict[int, Claimed]) -> list[int]:
        """Write a batch of results in one transaction; returns the runs it finished."""
        me, now = self.instance_id, self.now()
        async with self.db.sessions() as session, session.begin():
            await outbox.mark_sent(
                session, ids=batch.sent, sent=batch.confirmed, instance=me, now=now
            )
            await outbox.release(session, ids=batch.released, instance=me)
            await outbox.retry_later(session, retries=batch.retries, instance=me)
            await outbox.mark_failed(session, failures=batch.failures, instance=me)
            for blocked, why in batch.blocked:
                await outbox.mark_blocked(session, blocked=blocked, instance=me, reason=why)
                await citizens.set_opted_out(
                    session, channel=blocked.channel, user_id=blocked.user_id, opted_out=True
                )
            runs = {row.run_id for i in batch.ids() if (row := claimed.get(i)) and row.run_id}
            if not runs:
                return []
            return await outbox.finish_runs(session, now=now, run_ids=runs)

    async def receipt(self, receipt: Receipt) -> bool:
        """Record a platform's receipt on the outbox row that sent the message (its own
        transaction; raises if it could not be recorded, so the platform sends it again).
        Returns whether a row changed: not for a message sent outside the outbox (a reply)
        or a receipt already recorded."""
        sender = self.senders.get(receipt.channel)
        if sender is not None:
            await sender.settle(receipt.message_id)
        why = _DIGITS.sub("…", receipt.reason) if receipt.reason else None
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

    # -- rendering ------------------------------------------------------------------------

    async def render(self, row: Claimed) -> Reply:
        if row.kind != OutboxKind.NOTICE:
            return reply_from_payload(row.payload)
        if row.run_id is None:
            raise BadPayload("a notice row without a run")
        entry = await self._notice(row.run_id)
        image = await self._image(entry, row)
        return Reply(notice_text(entry.notice, row.language), image=image)

    async def _image(self, entry: _NoticeEntry, row: Claimed) -> bytes | MediaRef | None:
        """The notice's photo as `row`'s channel should get it: the platform's file id once
        one send uploaded it (the first send of each channel uploads, the others wait for its
        answer); a reference to the stored photo for a channel that sends by URL; else the
        bytes (read once per run)."""
        name = entry.notice.photo
        if not name or self.photos is None or entry.missing:
            return None
        channel = row.channel
        if channel in BY_URL:
            return MediaRef(STORED, name)
        while True:
            if file_id := entry.file_ids.get(channel):
                self._by_file_id[row.id] = (entry, channel, file_id)
                return MediaRef(channel, file_id)
            upload = entry.uploads.get(channel)
            if upload is None or channel in entry.no_ids:
                break
            await asyncio.shield(upload)  # another send is uploading it: use its file id
        if channel not in entry.no_ids:  # this send uploads: the channel's others wait
            entry.uploads[channel] = asyncio.get_running_loop().create_future()
            self._uploading[row.id] = (entry, channel)
        if entry.image is None:
            try:
                entry.image = await self.photos.read(name)
            except (OSError, ValueError):
                log.warning("notice %s: photo missing; sent without it", entry.notice.id)
                entry.missing = True
        return None if entry.missing else entry.image

    def after_send(self, row: Claimed, result: SendResult | None) -> None:
        """If `row` carried its notice's photo up (see `_image`): keep the platform's file id
        (and store it on the notice, the first one recorded wins, so other processes and later
        runs reuse it), and let the sends waiting for it go."""
        by_id = self._by_file_id.pop(row.id, None)
        if by_id is not None and result is not None and _stale_file_id(result):
            entry, channel, file_id = by_id  # the platform no longer knows it: upload again
            if entry.file_ids.get(channel) == file_id:
                del entry.file_ids[channel]
                if channel in PERSISTED_FILE_IDS and entry.notice.id is not None:
                    self._side_task(self._store_file_id(entry.notice.id, None, instead=file_id))
        uploading = self._uploading.pop(row.id, None)
        if uploading is None:
            return
        entry, channel = uploading
        upload = entry.uploads.pop(channel, None)
        media_id = result.media_id if result is not None and result.ok else None
        if media_id:
            entry.file_ids[channel] = media_id
            if channel in PERSISTED_FILE_IDS and entry.notice.id is not None:
                self._side_task(self._store_file_id(entry.notice.id, media_id))
        elif result is not None and result.ok:
            entry.no_ids.add(channel)  # this channel gives no ids: everyone sends the bytes
        if upload is not None and not upload.done():
            upload.set_result(None)

    async def _store_file_id(
        self, notice_id: int, file_id: str | None, *, instead: str | None = None
    ) -> None:
        """Set the notice's photo file id if it has none (the first upload recorded wins), or
        replace `instead` (a stale one)."""
        column = col(Notice.photo_file_id)
        was = column.is_(None) if instead is None else column == instead
        try:
            async with self.db.sessions() as session, session.begin():
                await session.exec(
                    update(Notice)
                    .where(col(Notice.id) == notice_id, was)
                    .values(photo_file_id=file_id)
                )
        except Exception:
            log.exception("notice %s: storing the photo's file id failed", notice_id)

    async def _notice(self, run_id: int) -> _NoticeEntry:
        """The run's notice, read once per run (concurrent senders share it)."""
        future = self._notices.get(run_id)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._notices[run_id] = future
            while len(self._notices) > NOTICE_CACHE:
                self._notices.popitem(last=False)
            try:
                future.set_result(await self._load_notice(run_id))
            except BaseException as exc:
                self._notices.pop(run_id, None)
                future.set_exception(exc)
                raise
        else:
            self._notices.move_to_end(run_id)
        return await asyncio.shield(future)

    async def _load_notice(self, run_id: int) -> _NoticeEntry:
        async with self.db.sessions() as session:
            stmt = (
                select(Notice)
                .join(NoticeRun, NoticeRun.notice_id == Notice.id)  # type: ignore[arg-type]
                .where(NoticeRun.id == run_id)
            )
            notice = (await session.exec(stmt)).first()
        if notice is None:
            raise BadPayload("the notice is gone")
        entry = _NoticeEntry(notice)
        if notice.photo and notice.photo_file_id:
            entry.file_ids["telegram"] = notice.photo_file_id
        return entry

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
