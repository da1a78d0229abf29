"""Replies to citizens: every one arrives, in order per chat, within the platform's limits.

The dispatcher hands a message's replies to `ReplySender.enqueue` while it still holds the
conversation's lock, so the replies of one chat queue in the order its messages were handled;
it waits for them (`wait`) after letting go of the lock and the transaction.

* One lane per address sends its replies one after the other: a reply leaves only when the one
  before it has arrived (or definitely failed).
* Pacing: each channel's replies take their turn from a token bucket at the channel's rate
  limit (<CHANNEL>_RATE_LIMIT, scheduler/ratelimit.py), with a small burst, and every send is
  `on_send`-charged to the delivery engine's bucket of that channel: bulk sends wait for
  replies, never the other way round (a reply never queues behind a broadcast).
* A 429 (SendStatus.RETRY_AFTER) is waited out, retry_after seconds (Viber gives none: 1 s),
  and the same reply is sent again; if only some of its platform messages had gone out (a
  photo and its text), only the rest (`Channel.send(skip=…)`). Replies retry for at most
  REPLY_RETRY_SECONDS; then, as for any other failure, the loss is logged with its reason and
  counted (`on_outcome`: citizenbot_replies_total{result="failed"}), never silent. Other
  failures are not retried: a time-out may have delivered the message, and a 400 will not
  change (a blocked chat is `blocked`).
* No per-chat pacing beyond that: Telegram allows short bursts in a private chat (about one
  message a second on average); when it says otherwise, its 429 is waited out for that chat.
* On shutdown `close(grace)` lets the queued replies go out for up to `grace` seconds; any still
  queued then is logged and counted as not delivered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from bot.core.channel import Channel, SendResult, SendStatus
from bot.core.messages import Address, Reply
from bot.core.waiting import wait_event
from scheduler.ratelimit import Clock, Sleep, TokenBucket

log = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER = 1.0  # a 429 without retry_after (Viber's status 12)
BURST_SHARE = 0.1  # replies may leave at once: a tenth of the channel's rate (at least 1)
STOP_GRACE = 10.0

RateLimit = Callable[[str], float | None]
Sending = list[asyncio.Future[SendResult]]


@dataclass(eq=False)
class _Queued:
    reply: Reply
    done: asyncio.Future[SendResult] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class ReplySender:
    def __init__(
        self,
        *,
        channels: Mapping[str, Channel],
        rate_limit: RateLimit = lambda _: None,
        retry_seconds: float = 60.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.channels = channels
        self.rate_limit = rate_limit
        self.retry_seconds = retry_seconds
        self.clock = clock
        self.sleep = sleep
        self.unknown_retry_after = DEFAULT_RETRY_AFTER  # the wait after a 429 that names none
        # Told before every send on a channel: the delivery engine counts replies in its bucket.
        self.on_send: Callable[[str], None] | None = None
        # Told each outcome: (channel, "sent" | "retried" | "blocked" | "failed").
        self.on_outcome: Callable[[str, str], None] | None = None
        self._lanes: dict[Address, deque[_Queued]] = {}
        self._workers: dict[Address, asyncio.Task[None]] = {}
        self._buckets: dict[str, TokenBucket] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self._closing_at: float | None = None  # the end of the shutdown grace

    # -- queueing -------------------------------------------------------------------------

    def enqueue(self, outgoing: Iterable[tuple[Address, Reply]]) -> Sending:
        """Queue replies (synchronously: call it where the order is decided); each future
        resolves with the reply's final result."""
        futures = []
        for address, reply in outgoing:
            queued = _Queued(reply)
            self._lanes.setdefault(address, deque()).append(queued)
            futures.append(queued.done)
            if address not in self._workers:
                self._idle.clear()
                self._workers[address] = asyncio.create_task(
                    self._run(address), name=f"replies-{address.channel}"
                )
        return futures

    @staticmethod
    async def wait(futures: Iterable[Awaitable[SendResult]]) -> list[SendResult]:
        return list(await asyncio.gather(*futures))

    async def send(self, address: Address, reply: Reply) -> SendResult:
        """One reply, queued behind the others of its address; its result."""
        (done,) = self.enqueue([(address, reply)])
        return await done

    # -- sending --------------------------------------------------------------------------

    async def _run(self, address: Address) -> None:
        lane = self._lanes[address]
        try:
            while lane:
                queued = lane[0]
                try:
                    result = await self._deliver(address, queued.reply)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # a bug in a channel must not stop the lane
                    log.exception("a reply on %s raised", address.channel)
                    failed = SendResult(SendStatus.FAILED, error=type(exc).__name__)
                    result = self._lost(address, failed)
                lane.popleft()
                if not queued.done.done():
                    queued.done.set_result(result)
        finally:
            if not lane:
                self._lanes.pop(address, None)
            self._workers.pop(address, None)
            if not self._workers:
                self._idle.set()

    async def _deliver(self, address: Address, reply: Reply) -> SendResult:
        name = address.channel
        channel = self.channels.get(name)
        if channel is None:
            return self._lost(address, SendResult(SendStatus.FAILED, error="no such channel"))
        bucket = self._bucket(name)
        retry_until = self.clock() + self.retry_seconds
        skip = 0
        while True:
            await bucket.acquire()
            if self.on_send is not None:
                self.on_send(name)
            if skip:
                result = await channel.send(address, reply, skip=skip)
            else:
                result = await channel.send(address, reply)
            if result.status is not SendStatus.RETRY_AFTER:
                break
            skip = max(skip, result.parts)
            wait = result.retry_after
            if wait is None:
                wait = self.unknown_retry_after
            give_up_at = retry_until
            if self._closing_at is not None:
                give_up_at = min(give_up_at, self._closing_at)
            if self.clock() + wait > give_up_at:
                break
            self._count(name, "retried")
            log.info("a reply on %s is sent again in %.2fs (429)", name, wait)
            await self.sleep(wait)
        if result.ok:
            self._count(name, "sent")
            return result
        return self._lost(address, result)

    def _lost(self, address: Address, result: SendResult) -> SendResult:
        blocked = result.status is SendStatus.BLOCKED
        self._count(address.channel, "blocked" if blocked else "failed")
        log.log(
            logging.INFO if blocked else logging.WARNING,
            "reply to a %s user not delivered: %s %s",
            address.channel,
            result.status,
            result.error or "",
        )
        return result

    def _bucket(self, channel: str) -> TokenBucket:
        bucket = self._buckets.get(channel)
        if bucket is None:
            limit = self.rate_limit(channel)
            if limit is None:
                bucket = TokenBucket(None, clock=self.clock, sleep=self.sleep)
            else:
                # At most about `limit` in any second: a burst, then the rest of the budget.
                burst = max(1, int(limit * BURST_SHARE))
                rate = max(limit - burst, limit / 2)
                bucket = TokenBucket(rate, burst=burst, clock=self.clock, sleep=self.sleep)
            self._buckets[channel] = bucket
        return bucket

    def _count(self, channel: str, outcome: str) -> None:
        if self.on_outcome is not None:
            self.on_outcome(channel, outcome)

    # -- shutdown -------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        return sum(len(lane) for lane in self._lanes.values())

    async def close(self, grace: float = STOP_GRACE) -> None:
        """Let the queued replies go out for up to `grace` seconds (a 429 is waited out only
        within it); then whatever is left is logged and counted as not delivered."""
        self._closing_at = self.clock() + grace
        try:
            await wait_event(self._idle, grace)
            workers = list(self._workers.values())
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            for address, lane in list(self._lanes.items()):
                for queued in lane:
                    result = SendResult(SendStatus.FAILED, error="shutting down")
                    self._lost(address, result)
                    if not queued.done.done():
                        queued.done.set_result(result)
            self._lanes.clear()
        finally:
            self._closing_at = None
