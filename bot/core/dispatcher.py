"""The per-message pipeline.

dedupe → lock the address → one transaction: load citizen and state, route, handle, save,
write the dedupe row → commit → queue the replies → unlock → wait until they are sent
(bot/core/replies.py: in order per chat, paced, retried after a 429). Replies never leave
before the commit; a crash before it sends nothing and the platform's redelivery replays the
message.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from cachetools import LRUCache
from sqlalchemy.exc import IntegrityError

from bot.core.channel import Channel, SendResult
from bot.core.context import Context, ConversationView, Services
from bot.core.flood import FloodGuard, Verdict
from bot.core.messages import Address, IncomingMessage, Kind, Reply
from bot.core.replies import ReplySender
from bot.core.router import Route, Router
from bot.core.text import match_label
from scheduler.ratelimit import rate_limit
from storage.db import Database, is_unavailable
from storage.models import Citizen, ConversationState, Role
from storage.repos import citizens, conversations, updates

log = logging.getLogger(__name__)


LAST_SEEN_RESOLUTION = timedelta(minutes=5)
# The labels → payloads of the last buttons shown to an address, kept with its conversation
# state: a client that sends a button's label as text (a Telegram reply keyboard, someone
# typing it) is understood as a tap, after restarts and on any instance.
KEYBOARD_KEY = "__keyboard__"
KNOWN_SENDERS = 100_000

Preload = Callable[[IncomingMessage, Channel], Awaitable[object]]


class StorageUnavailable(Exception):
    """The database did not answer; the update is not durable and must be retried."""


class Dispatcher:
    def __init__(
        self,
        *,
        db: Database,
        router: Router,
        services: Services,
        fallback: Route,
        preload: Preload | None = None,
    ) -> None:
        self.db = db
        self.router = router
        self.services = services
        self.fallback = fallback
        self.preload = preload
        self.channels: dict[str, Channel] = {}
        self._before_hooks = list(router.before_hooks())
        settings = services.settings
        self.replies = ReplySender(
            channels=self.channels,
            rate_limit=lambda channel: rate_limit(settings, channel),
            retry_seconds=settings.reply_retry_seconds,
        )
        # Told each message handled to the end and how long it took, in seconds (metrics).
        self.on_handled: Callable[[IncomingMessage, float], None] | None = None
        # Told each message flood control drops (metrics).
        self.on_flood: Callable[[IncomingMessage], None] | None = None
        self._locks: weakref.WeakValueDictionary[Address, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self.flood = FloodGuard(
            limit=settings.flood_messages_per_minute, cooldown_s=settings.flood_cooldown_seconds
        )
        # Role and language of recent senders, so flood control needs no database.
        self._known: LRUCache[Address, tuple[Role, str]] = LRUCache(KNOWN_SENDERS)

    def add_channel(self, channel: Channel) -> None:
        self.channels[channel.name] = channel

    @property
    def _admins(self) -> frozenset[Address]:
        return self.services.settings.admin_addresses

    def _lock(self, address: Address) -> asyncio.Lock:
        lock = self._locks.get(address)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[address] = lock
        return lock

    async def dispatch(self, msg: IncomingMessage) -> None:
        """Handle one incoming message to the end. Raises StorageUnavailable when the
        database is down, so a webhook can answer 503 and the platform retries."""
        started = time.perf_counter()
        await self._dispatch(msg)
        if self.on_handled is not None:
            self.on_handled(msg, time.perf_counter() - started)

    async def _dispatch(self, msg: IncomingMessage) -> None:
        async with self._lock(msg.address):
            outgoing = await self._handle(msg)
            # Queued under the lock (the order of the chat), sent and waited for after it.
            sending = self.replies.enqueue(outgoing)
        await self.replies.wait(sending)

    async def _handle(self, msg: IncomingMessage) -> list[tuple[Address, Reply]]:
        flooded = self._flooded(msg)
        if flooded is not None:
            return flooded
        attachment = await self._preload(msg)
        outgoing, after_commit = await self._process(msg, attachment)
        for task in after_commit:
            try:
                await task()
            except Exception:
                log.exception("an after-commit task failed")
        return outgoing

    async def send(self, address: Address, reply: Reply) -> SendResult:
        """Send one reply now, behind those queued for `address`."""
        return await self.replies.send(address, reply)

    def _flooded(self, msg: IncomingMessage) -> list[tuple[Address, Reply]] | None:
        """None: not flooded. Else the replies to send instead of handling the message."""
        known = self._known.get(msg.address)
        if msg.address in self._admins or (known and known[0].at_least(Role.STAFF)):
            return None
        now = self.services.clock().timestamp()
        verdict = self.flood.check(msg.address, now, update_id=msg.external_id)
        if verdict is Verdict.OK:
            return None
        if verdict is Verdict.REPEAT:  # a redelivery of an update already dropped
            return []
        if self.on_flood is not None:
            self.on_flood(msg)
        if verdict is Verdict.IGNORE:
            return []
        log.warning(
            "flood control: a %s chat is ignored for %ss",
            msg.address.channel,
            self.flood.cooldown_s,
        )
        language = known[1] if known else self.services.translator.normalize(msg.language)
        seconds = int(self.flood.cooldown_s)
        text = self.services.translator.translate_n(
            language, "errors.flood", seconds, seconds=seconds
        )
        return [(msg.address, Reply(text=text))]

    def _remember(self, address: Address, role: Role, language: str) -> None:
        self._known[address] = (role, language)

    async def _preload(self, msg: IncomingMessage) -> object:
        # Slow work on a photo (download, decoding) happens before the transaction opens, so
        # the database is never held waiting for the network.
        channel = self.channels.get(msg.address.channel)
        if self.preload is None or msg.kind is not Kind.PHOTO or channel is None:
            return None
        return await self.preload(msg, channel)

    async def _process(
        self, msg: IncomingMessage, attachment: object = None
    ) -> tuple[list[tuple[Address, Reply]], list[Callable[[], Awaitable[None]]]]:
        language_hint = self.services.translator.normalize(msg.language)
        language = language_hint
        try:
            # Point statements: on SQLite they run on this thread, no trip each (sqlite_driver).
            async with self.db.point_statements():
                async with self.db.sessions() as session, session.begin():
                    now = self.services.clock()
                    if msg.external_id and not await updates.claim(
                        session, channel=msg.address.channel, external_id=msg.external_id, now=now
                    ):
                        log.info("skipping redelivered %s update", msg.address.channel)
                        return [], []
                    citizen, row, created = await self._load(msg, language_hint, now, session)
                    language = citizen.language
                    if now - citizen.last_seen_at >= LAST_SEEN_RESOLUTION:
                        citizen.last_seen_at = now  # coarse, to spare a write on most messages
                        session.add(citizen)
                    data = dict(row.data or {})
                    keyboard: dict[str, str] = data.pop(KEYBOARD_KEY, None) or {}
                    msg = _as_button_tap(msg, keyboard)
                    ctx = Context(
                        message=msg,
                        citizen=citizen,
                        role=self._role(msg.address, citizen),
                        session=session,
                        state=ConversationView(row.state, data),
                        services=self.services,
                        new_citizen=created,
                        attachment=attachment,
                        offered=frozenset(keyboard.values()),
                    )
                    self._remember(msg.address, ctx.role, citizen.language)
                    if _banned(citizen, ctx.role) and not self._open_to_banned(msg, ctx):
                        if msg.chat is None:  # in a group, a banned citizen is not answered
                            _answer_banned(ctx)
                    else:
                        await self._route(msg, ctx)
                    if not ctx.forgotten:  # a forgotten citizen's state is gone with them
                        keyboard = _last_keyboard(ctx.outgoing, msg.address) or keyboard
                        saved = (
                            {**ctx.state.data, KEYBOARD_KEY: keyboard}
                            if keyboard
                            else ctx.state.data
                        )
                        await conversations.save(
                            session, row=row, state=ctx.state.name, data=saved, now=now
                        )
                return ctx.outgoing, ctx.after_commit
        except IntegrityError:
            if msg.external_id and await self._processed_elsewhere(msg):
                log.info("update processed concurrently elsewhere; skipped")
                return [], []
            return self._apology(msg, language), []
        except Exception as exc:
            if is_unavailable(exc):  # any failure to reach or open the database
                raise StorageUnavailable(str(type(exc).__name__)) from exc
            return self._apology(msg, language), []

    async def _load(
        self, msg: IncomingMessage, language_hint: str | None, now: datetime, session: Any
    ) -> tuple[Citizen, ConversationState, bool]:
        """The citizen and the conversation state of the sender (a new citizen is created).

        On PostgreSQL the state row is locked for the transaction, so two instances cannot
        interleave one chat; on SQLite the single writer already serialises, and one joined
        query saves a round trip on the hot path.
        """
        channel, user_id = msg.address.channel, msg.address.user_id
        if self.db.dialect == "postgresql":
            citizen = await citizens.find_by_identity(session, channel=channel, user_id=user_id)
            row = await conversations.load(
                session, channel=channel, user_id=user_id, for_update=True
            )
        else:
            citizen, row = await conversations.load_with_citizen(
                session, channel=channel, user_id=user_id
            )
        if citizen is not None:
            return citizen, row, False
        citizen, created = await citizens.get_or_create_by_identity(
            session,
            channel=channel,
            user_id=user_id,
            language=language_hint or self.services.settings.default_language,
            now=now,
        )
        return citizen, row, created

    async def _processed_elsewhere(self, msg: IncomingMessage) -> bool:
        assert msg.external_id is not None
        async with self.db.sessions() as session, session.begin():
            return await updates.is_processed(
                session, channel=msg.address.channel, external_id=msg.external_id
            )

    def _apology(self, msg: IncomingMessage, language: str | None) -> list[tuple[Address, Reply]]:
        ref = secrets.token_hex(4).upper()
        log.exception("error handling a %s %s message [ref %s]", msg.address.channel, msg.kind, ref)
        text = self.services.translator.translate(language, "errors.unexpected", ref=ref)
        return [(msg.address, Reply(text=text))]

    def _role(self, address: Address, citizen: Citizen) -> Role:
        if address in self._admins:
            return Role.ADMIN
        return Role(citizen.role)

    def _open_to_banned(self, msg: IncomingMessage, ctx: Context) -> bool:
        if msg.kind is Kind.STOPPED:
            return True
        route = self.router.resolve(msg, ctx.state.name, ctx.offered)
        return route is not None and route.open_to_banned

    async def _route(self, msg: IncomingMessage, ctx: Context) -> None:
        if msg.chat is not None:
            # A group chat: only the routes open to groups, and none of the private chat's
            # onboarding (the sender's role is still theirs, checked below).
            resolved = self.router.resolve(msg, None, ())
            if resolved is None or not resolved.in_groups:
                return
        else:
            for hook in self._before_hooks:
                if await hook(msg, ctx):
                    return
            resolved = self.router.resolve(msg, ctx.state.name, ctx.offered)
        # A staff button is refused to a citizen also when it is stale or does not parse: the
        # role is the first thing checked, so nobody learns which buttons would work.
        guard = resolved or self.router.owner(msg) or self.fallback
        if not ctx.role.at_least(guard.role):
            log.warning(
                "refused %s to citizen #%s (role %s, needs %s)",
                guard.name,
                ctx.citizen.id,
                ctx.role,
                guard.role,
            )
            ctx.reply(ctx.t(guard.refusal))
            return
        await (resolved or self.fallback).handler(msg, ctx)


def _banned(citizen: Citizen, role: Role) -> bool:
    return citizen.banned_at is not None and not role.at_least(Role.STAFF)


def _answer_banned(ctx: Context) -> None:
    """A banned citizen is told once, politely, and then ignored."""
    if not ctx.citizen.ban_notified:
        ctx.citizen.ban_notified = True
        ctx.session.add(ctx.citizen)
        ctx.reply(ctx.t("errors.banned"))


def _as_button_tap(msg: IncomingMessage, keyboard: dict[str, str]) -> IncomingMessage:
    if msg.kind is Kind.TEXT and keyboard:
        label = match_label(msg.text.strip(), keyboard)  # typed without its emoji too
        if label is not None:
            return replace(msg, kind=Kind.BUTTON, payload=keyboard[label])
    return msg


def _last_keyboard(outgoing: list[tuple[Address, Reply]], to: Address) -> dict[str, str] | None:
    for address, reply in reversed(outgoing):
        if address == to and reply.buttons:
            return {b.label: b.payload for b in reply.all_buttons if b.payload is not None}
    return None
