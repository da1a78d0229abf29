"""Long polling (getUpdates) for the Telegram channel, on PTB's bot.

What PTB's `Updater` did, without building an `Update` object for each update and passing it
through the `Application`'s queue, handler groups and callback context: that machinery cost
more CPU per update than everything else PTB does for a message (bench/README.md). The bot's
requests still go through python-telegram-bot (`Bot.do_api_request`: its request building,
transport and errors). As with the `Updater`:

- before the first poll the webhook is deleted (pending updates kept), retried 3 times;
- an update is confirmed (the next getUpdates' offset) once it was handed to its handler, and
  once more when stopping, so a restart does not fetch it again;
- a failed poll is retried after 1 s, then 1.5 times longer each time up to 30 s (a timeout
  at once; a 429 after the time Telegram asks for); a refused token stops polling.

Each update is handled in a task of its own (the dispatcher serialises per chat); at most
`max_in_flight` at once, after which polling waits. The next poll goes out once a batch's
handlers are done, or after `batch_wait_s` (10 ms), so that one request fetches what arrived
meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from telegram import Bot
from telegram.error import InvalidToken, RetryAfter, TelegramError, TimedOut

log = logging.getLogger(__name__)

Handle = Callable[[dict[str, Any]], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]

BOOTSTRAP_RETRIES = 3
FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0
MAX_IN_FLIGHT = 256  # as PTB's Application with concurrent_updates=True
# After a batch, the next poll waits for its handlers, up to this long: it then fetches what
# arrived meanwhile in one request. Polling at once fetched one update per request under load
# (a request per message: 0.2 ms of CPU each, bench/README.md); a slow handler delays the
# next poll by this much at most.
BATCH_WAIT_S = 0.01
# The long poll's read timeout is its `timeout` plus this.
READ_MARGIN_S = 10.0


class LongPoll:
    def __init__(
        self,
        bot: Bot,
        handle: Handle,
        *,
        timeout_s: float,
        allowed_updates: Sequence[str],
        sleep: Sleep,
        max_in_flight: int = MAX_IN_FLIGHT,
        batch_wait_s: float = BATCH_WAIT_S,
    ) -> None:
        self.bot = bot
        self.handle = handle
        self.timeout_s = timeout_s
        self.allowed_updates = list(allowed_updates)
        self.sleep = sleep
        self.offset = 0
        self.batch_wait_s = batch_wait_s
        self._slots = asyncio.Semaphore(max_in_flight)
        self._handling: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        for attempt in range(BOOTSTRAP_RETRIES + 1):
            try:
                await self.bot.delete_webhook(drop_pending_updates=False)
                break
            except InvalidToken:
                raise
            except TelegramError:
                if attempt == BOOTSTRAP_RETRIES:
                    raise
                await self.sleep(FIRST_BACKOFF_S)
        self._task = asyncio.create_task(self._poll_forever(), name="telegram:long-poll")

    async def stop(self) -> None:
        """Stop polling, let the updates being handled finish, confirm them."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        await asyncio.wait({task})  # not `await task`: that would hide our own cancellation
        if self._handling:
            await asyncio.gather(*self._handling, return_exceptions=True)
        try:
            await self._get_updates(timeout_s=0)  # confirms what was fetched
        except TelegramError as exc:
            log.warning("telegram: fetched updates not confirmed at stop (%s)", type(exc).__name__)

    async def _poll_forever(self) -> None:
        backoff = 0.0
        while True:
            try:
                updates = await self._get_updates(timeout_s=self.timeout_s)
            except InvalidToken:
                log.error("telegram: the bot token was refused; polling stopped")
                return
            except RetryAfter as exc:
                await self.sleep(_seconds(exc))
                continue
            except TimedOut:
                continue
            except TelegramError as exc:
                backoff = FIRST_BACKOFF_S if not backoff else min(MAX_BACKOFF_S, backoff * 1.5)
                log.warning(
                    "telegram: getUpdates failed (%s); retried in %.1fs",
                    type(exc).__name__,
                    backoff,
                )
                await self.sleep(backoff)
                continue
            backoff = 0.0
            batch = []
            for data in updates if isinstance(updates, list) else ():
                update_id = data.get("update_id") if isinstance(data, dict) else None
                if type(update_id) is not int:
                    continue  # nothing to confirm it by: not an update
                await self._slots.acquire()
                self.offset = max(self.offset, update_id + 1)
                task = asyncio.create_task(self._handle(data))
                self._handling.add(task)
                task.add_done_callback(self._handling.discard)
                batch.append(task)
            if batch:
                await asyncio.wait(batch, timeout=self.batch_wait_s)

    async def _handle(self, data: dict[str, Any]) -> None:
        try:
            await self.handle(data)
        except Exception:
            log.exception("telegram update %s not handled", data.get("update_id"))
        finally:
            self._slots.release()

    async def _get_updates(self, *, timeout_s: float) -> Any:
        return await self.bot.do_api_request(
            "getUpdates",
            api_kwargs={
                "offset": self.offset,
                "timeout": int(timeout_s),
                "allowed_updates": self.allowed_updates,
            },
            read_timeout=timeout_s + READ_MARGIN_S,
        )


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB warns that retry_after becomes a timedelta
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
