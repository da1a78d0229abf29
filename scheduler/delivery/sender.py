"""One channel's sender: claims its due rows, sends them under the channel's token bucket
with as many sends on the wire as pay (concurrency.py), and records the results in batches.

A channel with a per-group limit (`Capabilities.group_per_minute`: Telegram's 20 a minute)
has each group chat's rows paced by pacing.py: a row whose slot is later is put back, due
then (counted as "paced", not as an attempt). When a slot comes for a team chat's news and
more than a minute's worth of them wait, they go out combined in one message (bundling.py,
counted as "combined": the rows carried, besides the one message "sent").

A channel with a bulk API (`Capabilities.bulk_size` > 1: Viber with VIBER_BROADCAST_API) gets
a run's rows in one language in one `send_bulk` of up to that many recipients, one result per
recipient, each recorded as a single send's would be (sent, blocked, failed, retried).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.core.channel import Channel, SendResult, SendStatus
from bot.core.messages import Address, Reply
from bot.core.waiting import wait_event
from scheduler.delivery import bundling
from scheduler.delivery.concurrency import Concurrency
from scheduler.delivery.pacing import ChatPacer
from scheduler.delivery.results import Results, reason
from scheduler.payloads import BadPayload
from scheduler.ratelimit import TokenBucket
from storage.models import OutboxKind
from storage.repos import outbox
from storage.repos.outbox import Blocked, Claimed, Failure, Retry, Sent

if TYPE_CHECKING:
    from scheduler.delivery.engine import DeliveryEngine

log = logging.getLogger(__name__)

# ChannelSender.stats keys → the outcome told to DeliveryEngine.on_delivery
OUTCOMES = {
    "sent": "sent",
    "retry_after": "retry",
    "blocked": "blocked",
    "failed": "failed",
    "retried": "retry",
    "paced": "retry",
    "combined": "combined",
}


class ChannelSender:
    """Claims, sends and records the rows of one channel."""

    def __init__(self, engine: DeliveryEngine, channel: Channel, bucket: TokenBucket) -> None:
        self.engine = engine
        self.channel = channel
        # Message ids are kept only where receipts will look for them (Viber): storing them
        # turns the batch's one UPDATE into one per row.
        self._keeps_ids = channel.capabilities.receipts
        # Rows of one run in one language read the same: a channel with a bulk API gets them
        # in one send_bulk of up to this many (Viber's broadcast_message: 300).
        self._bulk_size = max(1, channel.capabilities.bulk_size)
        self._capacity = max(engine.config.batch_size, self._bulk_size)  # rows claimed at most
        self.bucket = bucket
        self.name = channel.name
        self.stats = {
            "sent": 0,
            "retry_after": 0,
            "failed": 0,
            "blocked": 0,
            "retried": 0,
            "paced": 0,
            "combined": 0,
        }
        group_limit = channel.capabilities.group_per_minute
        self._pacer = (
            ChatPacer(group_limit, clock=lambda: engine.now().timestamp()) if group_limit else None
        )
        self._inflight: dict[int, Claimed] = {}
        self._queue: asyncio.Queue[list[Claimed]] = asyncio.Queue()  # one send's rows
        self._results = Results()
        self._flushing: Results | None = None  # the batch being recorded right now
        self._kick = asyncio.Event()  # claim again: woken, room freed, pause over
        self._flush_kick = asyncio.Event()
        self._flush_lock = asyncio.Lock()
        self.claim_lock = asyncio.Lock()  # claims of this channel's rows, one at a time
        self._recorded = asyncio.Condition()
        self._tasks: list[asyncio.Task[None]] = []
        self._workers: list[asyncio.Task[None]] = []
        self._sending: set[asyncio.Task[None]] = set()
        self._wire_clear = asyncio.Event()  # set whenever no send is on the wire
        self._concurrency = Concurrency(
            limit=engine.config.concurrency, rate=lambda: self.bucket.rate
        )
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
            await wait_event(self._wire_clear, timeout)
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
        return self._capacity - len(self._inflight)

    async def _claim_loop(self) -> None:
        config = self.engine.config
        while not self._stopping:
            self._kick.clear()
            pause = self.bucket.paused_for
            if pause > 0:
                await self._sleep(pause)
                continue
            room = self._room
            if room < max(1, self._capacity // 2):
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
            for unit in self._units(rows):
                self._queue.put_nowait(unit)
            if len(rows) < room:
                self._short_seq = seq
                self._settle_idle()
                await self._sleep(config.poll_interval)

    def _units(self, rows: list[Claimed]) -> list[list[Claimed]]:
        """The claimed rows as sends: alone, or, on a channel with a bulk API, a run's rows
        in one language together, up to its bulk size each; a paced group chat's news that
        may be combined (bundling.py) together, the slot's candidates."""
        units: list[list[Claimed]] = []
        if self._pacer is not None and self.engine.team_chats is not None:
            news: dict[tuple[str, str], list[Claimed]] = {}
            rest = []
            for row in rows:
                if bundling.combinable(row) and row.user_id.startswith("-"):
                    news.setdefault((row.user_id, row.kind), []).append(row)
                else:
                    rest.append(row)
            units += news.values()
            rows = rest
        if self._bulk_size == 1:
            return units + [[row] for row in rows]
        groups: dict[tuple[int, str], list[Claimed]] = {}
        for row in rows:
            if row.kind != OutboxKind.NOTICE or row.run_id is None:
                units.append([row])
                continue
            group = groups.setdefault((row.run_id, row.language), [])
            group.append(row)
            if len(group) == self._bulk_size:
                units.append(group)
                groups[(row.run_id, row.language)] = []
        units += [group for group in groups.values() if group]
        return units

    async def _sleep(self, seconds: float) -> None:
        await wait_event(self._kick, seconds)

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
        return self._concurrency.active

    async def _work(self, index: int) -> None:
        while True:
            await self._concurrency.turn(index)
            unit = await self._queue.get()
            try:
                await self._send(unit, wait=True)
            finally:
                self._queue.task_done()

    async def _send(self, rows: list[Claimed], *, wait: bool) -> None:
        """Send `rows` (one, or a bulk send's) the same reply: the first row's. A row to a
        group chat waits for its slot (pacing.py): put back, due then, if it is not now. A
        group chat's news (one or more, `_units`) may go combined in the slot (bundling.py)."""
        first = rows[0]
        if self._pacer is not None and first.user_id.startswith("-"):
            news = bundling.combinable(first) and self.engine.team_chats is not None
            if len(rows) == 1 or news:
                wait_for = self._pacer.wait(first.user_id, first.id)
                if wait_for > 0:
                    due = self.engine.now() + timedelta(seconds=wait_for)
                    for row in rows:  # the others come back with it: its slot's candidates
                        if row is not first:
                            self._pacer.forget(row.id)
                        self._put_back(row, due)
                    return
                if news:
                    first = await self._combined(rows)
                    rows = [first]
        try:
            reply = await self.engine.rendering.render(first)
        except BadPayload as exc:
            for row in rows:
                self._record(row, SendResult(SendStatus.FAILED, error=str(exc)), final=True)
            return
        results: list[SendResult] | None = None
        try:
            results = await self._send_rendered(rows, reply, wait=wait)
        finally:
            self.engine.rendering.after_send(first, results[0] if results else None)

    def _put_back(self, row: Claimed, due: datetime) -> None:
        """`row` waits for a later slot of its group chat (no attempt counted)."""
        self._results.retries.append(Retry(row.id, row.attempts, due, "paced"))
        self._count("paced", None)
        self._flush_kick.set()

    async def _combined(self, rows: list[Claimed]) -> Claimed:
        """What goes in the slot just given to `rows[0]` (a group chat's news, `rows` all
        claimed here): the first alone, the others put back for their own slots; or the
        message combining them and those waiting (bundling.py), which takes their place."""
        assert self._pacer is not None
        pacer, first, now = self._pacer, rows[0], self.engine.now()
        next_slot = now + timedelta(seconds=pacer.interval)
        try:
            found = await bundling.combine(
                self.engine, rows, threshold=pacer.limit, next_slot=next_slot
            )
        except Exception:  # the database: each alone, as before
            log.exception("delivery: combining a team chat's news failed; sent alone")
            found = None
        if found is None:
            for row in rows[1:]:
                wait = pacer.wait(row.user_id, row.id)
                self._put_back(row, now + timedelta(seconds=wait))
            return first
        pacer.combined(first.user_id, found.freed)
        combined = found.row
        self._inflight[combined.id] = combined
        for row in rows:
            if row.id in found.carried:
                self._inflight.pop(row.id, None)  # recorded: sent, combined
            else:
                self._put_back(row, next_slot)
        for _ in found.carried:
            self._count("combined", None)
        async with self._recorded:
            self._recorded.notify_all()
        return combined

    async def _send_rendered(
        self, rows: list[Claimed], reply: Reply, *, wait: bool
    ) -> list[SendResult] | None:
        # One token per send, whatever the recipients: a bulk send is one platform call per
        # message part, as a single send is.
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
            results = await self._on_wire(rows, reply)
            self._concurrency.observe(time.monotonic() - began)
        except Exception as exc:  # a bug in a channel must not stop the engine
            log.exception("delivery: %s send raised", self.name)
            results = [SendResult(SendStatus.FAILED, error=type(exc).__name__)] * len(rows)
        finally:
            if task is not None:
                self._sending.discard(task)  # type: ignore[arg-type]
                if not self._sending:
                    self._wire_clear.set()
        seconds = time.monotonic() - began
        for row, result in zip(rows, results, strict=True):
            self._record(row, result, seconds=seconds)
        return results

    async def _on_wire(self, rows: list[Claimed], reply: Reply) -> list[SendResult]:
        if len(rows) == 1:
            return [await self.channel.send(Address(rows[0].channel, rows[0].user_id), reply)]
        to = [Address(row.channel, row.user_id) for row in rows]
        results = await self.channel.send_bulk(to, reply)
        if len(results) != len(rows):
            raise ValueError(f"send_bulk gave {len(results)} results for {len(rows)} recipients")
        return results

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
            await self._send([row], wait=False)
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
        messages = result.messages  # where the platform bills each message
        if result.moved_to is not None and not result.ok:
            results.moved.append((row, result.moved_to))  # sent again, to the new id
            self._count("retried", seconds)
        elif status is SendStatus.OK:
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
            await wait_event(self._flush_kick, interval)
            self._flush_kick.clear()
            try:
                await self.flush()
            except Exception:
                log.exception("delivery: recording %s results failed; retrying", self.name)
                await asyncio.sleep(interval * 10)

    async def flush(self) -> None:
        async with self._flush_lock:
            batch, self._results = self._results, Results()
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
            if batch.released or batch.moved:
                self._released_seq = self._claim_seq + 1
            self._kick.set()
            self._settle_idle()
        if done_runs:
            self.engine.after_runs_finished(done_runs)
