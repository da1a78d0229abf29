"""Sending queued forwards (storage/models/forwards.py) to the bodies that work outside the
bot, and reading the status of Open311 forwards back.

    forwarder = Forwarder(db=db, city=city, settings=settings, translator=t, photos=store)
    forwarder.install(scheduler)   # the send tick and the status tick
    await forwarder.tick()         # claim due forwards, send them, record the outcome
    await forwarder.check_statuses()   # GET each open Open311 request, apply "closed"/"open"

A forward of kind "reopened" (a citizen's "not fixed") is an email saying so, with their
words and photo; Open311 has no such call (bot/domain/forwarding_queue.py records it only).

A tick claims due rows in a short transaction (storage/repos/forwards.py: the lease keeps
another process off them), sends outside any transaction, and records each outcome. A
RetryableError is tried again after BACKOFF (longer each time) until FORWARD_MAX_ATTEMPTS;
a PermanentError, or the last attempt, leaves the row failed for an admin (/forwarding).
The body's status is applied as the system actor "open311:<body>" (bot/domain/forwarding.py),
so the reporter hears of it as when staff change it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from pydantic import SecretStr

from bot.city import CityPack
from bot.city.bodies import Body, EmailDelivery, Open311Delivery
from bot.config import ENV_FILE, Settings, environment
from bot.domain import forwarding
from bot.domain.work import Work
from bot.forwarding import ForwardingError, PermanentError, forwarded_report, open311
from bot.forwarding import email as email_sender
from bot.i18n import Translator
from bot.media.store import PhotoStore
from scheduler.ticks import Ticks
from storage.db import Database
from storage.models import ForwardKind, Report, ReportEvent
from storage.repos import forwards
from storage.repos import reports as reports_repo
from storage.types import utcnow

log = logging.getLogger(__name__)

BACKOFF = tuple(timedelta(minutes=m) for m in (1, 5, 15, 60, 180, 360, 720))
BATCH = 8  # forwards one tick claims
CONCURRENCY = 4  # sent at once
LEASE = timedelta(minutes=10)  # a claimed row is another process's again after this
STATUS_BATCH = 50
STATUS_TICK_SECONDS = 60


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def instance_id() -> str:
    """This process, in the rows it claims."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(3)}"[:64]


def api_keys(city: CityPack, env_file: str | Path | None = ENV_FILE) -> dict[str, SecretStr]:
    """Each Open311 body's key, from the variable its `api_key_env` names, read as the settings
    are (the environment, then the .env file)."""
    names = {
        b.code: b.delivery.api_key_env
        for b in city.bodies.bodies
        if isinstance(b.delivery, Open311Delivery)
    }
    if not names:
        return {}
    found = environment(env_file)
    keys = {}
    for code, name in names.items():
        value = found.get(name)
        if value:
            keys[code] = SecretStr(value)
        else:
            log.warning("forwarding: %s is not set: body %s gets no API key", name, code)
    return keys


class Forwarder:
    def __init__(
        self,
        *,
        db: Database,
        city: CityPack,
        settings: Settings,
        translator: Translator,
        photos: PhotoStore | None = None,
        clock: Callable[[], datetime] = utcnow,
        deliver: Callable[[Sequence[int]], Awaitable[None]] | None = None,
        instance: str | None = None,
        keys: dict[str, SecretStr] | None = None,
    ) -> None:
        """`deliver(outbox ids)` sends the news a remote status change queued (the delivery
        engine); `keys` the Open311 bodies' API keys (default: `api_keys(city)`)."""
        self.db = db
        self.city = city
        self.settings = settings
        self.translator = translator
        self.photos = photos
        self.clock = clock
        self.deliver = deliver
        self.instance = instance or instance_id()
        self.keys = api_keys(city) if keys is None else keys
        self.max_attempts = settings.forward_max_attempts
        self.status_every = timedelta(minutes=settings.forward_status_minutes)
        self._http: aiohttp.ClientSession | None = None
        self._sending = Ticks("forwarding", self.tick)
        self._checking = Ticks("forward status", self.check_statuses)

    @property
    def needed(self) -> bool:
        """Whether any body of the pack receives reports outside the bot."""
        return any(
            isinstance(b.delivery, EmailDelivery | Open311Delivery) for b in self.city.bodies.bodies
        )

    def install(self, scheduler: AsyncIOScheduler) -> None:
        seconds = self.settings.forward_tick_seconds
        if seconds <= 0 or not self.needed:
            return
        self._sending.install(scheduler, job_id="forwarding", seconds=seconds)
        if any(isinstance(b.delivery, Open311Delivery) for b in self.city.bodies.bodies):
            self._checking.install(
                scheduler, job_id="forward_status", seconds=max(seconds, STATUS_TICK_SECONDS)
            )

    def wake(self) -> None:
        """Send what was just queued now, not at the next tick (`Services.wake_forwarding`)."""
        self._sending.wake()

    async def close(self) -> None:
        await self._sending.close()
        await self._checking.close()
        if self._http is not None:
            await self._http.close()
            self._http = None

    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        return self._http

    # -- sending ----------------------------------------------------------------------------

    async def tick(self) -> int:
        """Claim due forwards and send them; how many went out."""
        async with self.db.sessions() as session, session.begin():
            claimed = await forwards.claim(
                session, instance=self.instance, now=self.clock(), lease=LEASE, limit=BATCH
            )
        if not claimed:
            return 0
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(row: forwards.Claimed) -> bool:
            async with gate:
                return await self._send(row)

        return sum(await asyncio.gather(*(one(row) for row in claimed)))

    async def _send(self, row: forwards.Claimed) -> bool:
        try:
            request_id, token = await self._forward(row)
        except ForwardingError as exc:
            return await self._failed(row, str(exc), retryable=exc.retryable)
        except Exception as exc:  # a bug or the unforeseen: retried, and said in the log
            log.exception("forward %d to %s: unexpected failure", row.id, row.body_code)
            return await self._failed(row, f"unexpected: {type(exc).__name__}", retryable=True)
        async with self.db.sessions() as session, session.begin():
            await forwards.mark_sent(
                session,
                forward_id=row.id,
                instance=self.instance,
                now=self.clock(),
                service_request_id=request_id,
                token=token,
            )
        return True

    async def _failed(self, row: forwards.Claimed, error: str, *, retryable: bool) -> bool:
        async with self.db.sessions() as session, session.begin():
            if retryable and row.attempts < self.max_attempts:
                at = self.clock() + backoff(row.attempts)
                await forwards.mark_retry(
                    session, forward_id=row.id, instance=self.instance, at=at, error=error
                )
                log.warning(
                    "forward %d to %s: attempt %d failed, retried: %s",
                    row.id,
                    row.body_code,
                    row.attempts,
                    error,
                )
            else:
                await forwards.mark_failed(
                    session, forward_id=row.id, instance=self.instance, error=error
                )
                log.error("forward %d to %s failed: %s", row.id, row.body_code, error)
        return False

    async def _forward(self, row: forwards.Claimed) -> tuple[str | None, str | None]:
        """Send one forward; (service_request_id, token) of an Open311 body."""
        body = self.city.body(row.body_code)
        if body is None:
            raise PermanentError(f"the city pack has no body {row.body_code}")
        reopening: ReportEvent | None = None
        async with self.db.sessions() as session:
            report = await session.get(Report, row.report_id)
            photos = [p.name for p in await reports_repo.photos(session, report_id=row.report_id)]
            if row.kind == ForwardKind.REOPENED:
                reopening = await session.get(ReportEvent, row.event_id)
                photos = [p for p in photos if p == row.photo_name]
        if report is None:
            raise PermanentError(f"report {row.report_id} is gone")
        if row.kind == ForwardKind.REOPENED and reopening is None:
            raise PermanentError(f"report {report.public_id}: the reopening is gone")
        sent = forwarded_report(report, self.city, self.settings.public_url, photos, reopening)
        delivery = body.delivery
        if reopening is not None and not isinstance(delivery, EmailDelivery):
            raise PermanentError(f"{body.code}: only email carries a reopening")
        if isinstance(delivery, EmailDelivery):
            await email_sender.send(
                sent,
                to=delivery.address,
                smtp=email_sender.SmtpConfig.from_settings(self.settings),
                translator=self.translator,
                photos=self.photos,
            )
            return None, None
        if isinstance(delivery, Open311Delivery):
            receipt = await open311.send(sent, endpoint=self.endpoint(body), http=self.http())
            return receipt.service_request_id, receipt.token
        raise PermanentError(f"{body.code} receives reports in the bot only")

    def endpoint(self, body: Body) -> open311.Open311Endpoint:
        delivery = body.delivery
        assert isinstance(delivery, Open311Delivery)
        return open311.Open311Endpoint(
            name=body.code,
            base_url=str(delivery.endpoint),
            service_codes=delivery.service_codes,
            api_key=self.keys.get(body.code),
            jurisdiction_id=delivery.jurisdiction_id,
            timeout=self.settings.forward_http_timeout_seconds,
        )

    # -- reading the status back ------------------------------------------------------------

    async def check_statuses(self) -> int:
        """Read the status of each Open311 forward due for a check; how many moved ours."""
        async with self.db.sessions() as session, session.begin():
            due = await forwards.claim_status_checks(
                session, now=self.clock(), every=self.status_every, limit=STATUS_BATCH
            )
        moved = 0
        for row in due:
            try:
                moved += await self._check(row)
            except ForwardingError as exc:
                log.warning("forward %d: the status of %s: %s", row.id, row.body_code, exc)
            except Exception:
                log.exception("forward %d: reading the status of %s failed", row.id, row.body_code)
        return moved

    async def _check(self, row: forwards.Claimed) -> bool:
        body = self.city.body(row.body_code)
        if body is None or not isinstance(body.delivery, Open311Delivery):
            return False
        endpoint = self.endpoint(body)
        request_id = row.service_request_id
        if request_id is None and row.token is not None:
            request_id = await open311.resolve_token(row.token, endpoint=endpoint, http=self.http())
            if request_id is None:
                return False  # not yet
        if request_id is None:
            return False
        remote = await open311.fetch_status(request_id, endpoint=endpoint, http=self.http())
        after: list[Callable[[], Awaitable[None]]] = []
        async with self.db.sessions() as session, session.begin():
            await forwards.record_status(
                session,
                forward_id=row.id,
                service_request_id=request_id,
                remote_status=remote.status,
            )
            report = await reports_repo.get_for_update(session, report_id=row.report_id)
            if report is None or report.body_code != row.body_code:
                return False  # gone, or reassigned since: that body no longer speaks for it
            now = self.clock()
            work = Work(
                session=session,
                actor=forwarding.actor(row.body_code),
                settings=self.settings,
                translator=self.translator,
                city=self.city,
                clock=lambda: now,
                deliver=self.deliver,
                after_commit=after,
            )
            moved = await forwarding.apply_remote_status(
                work, report, remote.status, remote.status_notes
            )
        for task in after:
            try:
                await task()
            except Exception:
                log.exception("forward %d: a task after the status change failed", row.id)
        if moved is not None:
            log.info("report %s: %s says %s", row.report_id, row.body_code, remote.status)
        return moved is not None
