"""The Viber channel: the REST Bot API client out, `POST /viber/webhook` in.

At start: `get_account_info` (a token Viber refuses is a ConfigError naming VIBER_AUTH_TOKEN,
which the CLI turns into one line and exit code 2), then `set_webhook` to VIBER_WEBHOOK_URL,
the public URL that reaches our route. Viber has no polling.

Every callback is signed: `X-Viber-Content-Signature` is the hex HMAC-SHA256 of the raw body
keyed with the token. Anything else is 403 and nothing is processed. The route answers 200
only after the dispatcher returned, i.e. once the event is durable; 503 while the database is
down, so Viber delivers it again (it retries for an hour).

`conversation_started` is answered in the response body, the one message Viber lets a bot
send to someone who has not subscribed yet: the dispatcher handles a STARTED message and its
first reply — the same onboarding as /start — becomes the body instead of a send_message.

Receipts: `delivered`, `seen` and `failed` name the message_token a send returned (the id the
delivery engine keeps on the outbox row). They go to `receipts` (the engine's: one UPDATE in
its own transaction) and are answered 200 once recorded, 503 if they could not be, so Viber
sends them again. Receipts for messages outside the outbox (replies) change nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Final

from aiohttp import web
from cachetools import LRUCache

from bot.channels.viber.client import (
    INVALID_AUTH_TOKEN,
    MAX_BROADCAST_RECEIVERS,
    NOT_SUBSCRIBED,
    TOO_MANY_REQUESTS,
    ApiResult,
    ViberApiError,
    ViberClient,
)
from bot.channels.viber.convert import CHANNEL, EVENT_TYPES, MalformedEvent, to_incoming
from bot.channels.viber.render import Message, Sender, payload_of, render
from bot.config import VIBER_NAME_LIMIT, ConfigError, Settings
from bot.core.channel import (
    Capabilities,
    ChannelUnavailable,
    Dispatch,
    MediaTooLarge,
    Receipt,
    ReceiptKind,
    Receipts,
    SendResult,
    SendStatus,
)
from bot.core.dispatcher import StorageUnavailable
from bot.core.messages import STORED, Address, IncomingMessage, Kind, MediaRef, Reply
from bot.media.files import SharedFiles
from bot.media.store import PhotoStore
from bot.web import jsonbody
from bot.web.bodies import read_body
from bot.web.media import public_file_url, public_photo_url

log = logging.getLogger(__name__)

WEBHOOK_PATH: Final = "/viber/webhook"
SIGNATURE_HEADER: Final = "X-Viber-Content-Signature"
DEFAULT_NAME: Final = "citizenbot"
STATUS_EVENTS: Final = frozenset(kind.value for kind in ReceiptKind)  # delivered seen failed
PHOTO_CACHE: Final = 1000  # images already hosted, by content, so a resend is not a new file


def signature(token: str, body: bytes) -> str:
    """The X-Viber-Content-Signature of a callback body."""
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


class ViberChannel:
    name = CHANNEL

    def __init__(
        self,
        settings: Settings,
        *,
        photos: PhotoStore | None = None,
        files: SharedFiles | None = None,
        payload_prefixes: Iterable[str] = (),
        receipts: Receipts | None = None,
    ) -> None:
        token = settings.viber_auth_token
        if token is None or not token.get_secret_value():
            raise ConfigError("VIBER_AUTH_TOKEN is required for the Viber channel")
        if not settings.viber_webhook_url:
            raise ConfigError("VIBER_WEBHOOK_URL is required with VIBER_AUTH_TOKEN")
        if not settings.http_public_url:
            raise ConfigError("HTTP_PUBLIC_URL is required with VIBER_AUTH_TOKEN")
        self.settings = settings
        self.webhook_url = settings.viber_webhook_url
        self.broadcast = settings.viber_broadcast_api
        self.photos = photos
        self.files = files
        self.receipts = receipts  # where delivered/seen/failed go; None: only acknowledged
        self.capabilities = Capabilities(
            max_text=7000,
            inline_buttons=True,
            location_request=True,
            photos=True,
            edits_in_place=False,  # edit() sends a new message: callers should edit sparingly
            receipts=receipts is not None,
            bulk_size=MAX_BROADCAST_RECEIVERS if self.broadcast else 1,
            billed_messages=True,  # every result says how many messages Viber accepted
        )
        self.client = ViberClient(token.get_secret_value(), settings.viber_api_base_url)
        self.sender = Sender(settings.viber_bot_name or DEFAULT_NAME, settings.viber_bot_avatar)
        self._token = token.get_secret_value()
        self._public_url = settings.public_url
        self._prefixes = frozenset(payload_prefixes)
        self._dispatch: Dispatch | None = None
        self._captures: dict[Address, list[Reply]] = {}
        self._start_locks: weakref.WeakValueDictionary[Address, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._hosted: LRUCache[bytes, str] = LRUCache(PHOTO_CACHE)

    # -- Channel protocol ---------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        return [web.post(WEBHOOK_PATH, self._on_webhook)]

    async def start(self, dispatch: Dispatch) -> None:
        await self.client.open()
        try:
            account = await self.client.get_account_info()
            if not account.ok:
                raise ConfigError(f"VIBER_AUTH_TOKEN: Viber refused it ({account.describe()})")
            if not self.settings.viber_bot_name:
                name = str(account.data.get("name") or DEFAULT_NAME)
                self.sender = replace(self.sender, name=name[:VIBER_NAME_LIMIT])
            self._dispatch = dispatch  # events may arrive as soon as the webhook is set
            hook = await self.client.set_webhook(self.webhook_url, event_types=EVENT_TYPES)
            if not hook.ok:
                raise ConfigError(f"VIBER_WEBHOOK_URL: Viber refused it ({hook.describe()})")
        except BaseException as exc:
            self._dispatch = None
            await self.client.close()
            if isinstance(exc, ViberApiError):  # not answered: systemd's Restart= tries again
                raise ChannelUnavailable(f"viber: could not start ({exc})") from exc
            raise
        log.info("viber: webhook set for the account")

    async def stop(self) -> None:
        self._dispatch = None
        await self.client.close()

    async def send(self, to: Address, reply: Reply, *, skip: int = 0) -> SendResult:
        captured = self._captures.get(to)
        if captured is not None:  # the answer to conversation_started: goes in its response
            captured.append(reply)
            return SendResult(SendStatus.OK, messages=0)
        messages = (await self.render(reply))[skip:]
        if not messages:
            return SendResult(SendStatus.FAILED, error="empty reply", messages=0)
        sent, token = 0, None
        for message in messages:
            try:
                result = await self.client.send_message(to.user_id, message)
            except ViberApiError as exc:
                return SendResult(
                    SendStatus.FAILED, error=str(exc), messages=sent, parts=skip + sent
                )
            if not result.ok:
                return replace(_failure(result, sent), parts=skip + sent)
            sent, token = sent + 1, result.message_token
        return SendResult(SendStatus.OK, message_id=_id(token), messages=sent)

    async def edit(self, to: Address, message_id: str, reply: Reply) -> SendResult:
        """Viber cannot change a sent message: the new version is sent as a new message."""
        return await self.send(to, reply)

    async def send_bulk(self, recipients: Sequence[Address], reply: Reply) -> list[SendResult]:
        """The same reply to many citizens: one result per recipient, in order.

        With VIBER_BROADCAST_API, one broadcast_message call per message part reaches up to
        300 receivers (`capabilities.bulk_size`); otherwise this is one send() after the other.
        """
        if not self.broadcast:
            return [await self.send(to, reply) for to in recipients]
        messages = await self.render(reply)
        if not messages:
            return [
                SendResult(SendStatus.FAILED, error="empty reply", messages=0) for _ in recipients
            ]
        results: list[SendResult] = []
        for start in range(0, len(recipients), MAX_BROADCAST_RECEIVERS):
            chunk = recipients[start : start + MAX_BROADCAST_RECEIVERS]
            results += await self._broadcast([a.user_id for a in chunk], messages)
        return results

    def message_count(self, reply: Reply) -> int:
        """How many Viber messages `reply` becomes for one recipient."""
        media = "https://example.invalid/x.jpg" if reply.image is not None else None
        file = "https://example.invalid/f" if reply.document is not None else None
        return len(render(reply, sender=self.sender, media_url=media, file_url=file))

    async def download(self, ref: MediaRef, *, max_bytes: int) -> bytes:
        if ref.channel != self.name:
            raise ValueError(f"not a viber file: {ref.channel}")
        if ref.size is not None and ref.size > max_bytes:
            raise MediaTooLarge(f"{ref.size} bytes > {max_bytes}")
        return await self.client.download(ref.file_id, max_bytes=max_bytes)

    # -- rendering ----------------------------------------------------------------------

    async def render(self, reply: Reply) -> list[Message]:
        """The send_message bodies of `reply` (without receiver); hosts its image first."""
        media = await self._media_url(reply.image)
        file_url = await self._file_url(reply)
        return render(reply, sender=self.sender, media_url=media, file_url=file_url)

    async def _file_url(self, reply: Reply) -> str | None:
        """Where Viber fetches the reply's document: hosted for an hour (bot/media/files.py)."""
        if reply.document is None or self.files is None:
            return None
        token, name = await self.files.save(reply.document.filename, reply.document.data)
        return public_file_url(self._public_url, token, name)

    async def _media_url(self, image: bytes | MediaRef | None) -> str | None:
        if image is None:
            return None
        if isinstance(image, MediaRef):
            if image.channel == CHANNEL:
                return image.file_id  # a Viber media URL
            if image.channel == STORED:  # a photo we already host (a notice's): no copy
                return public_photo_url(self._public_url, image.file_id)
            log.warning("cannot send a %s file on viber; the image is left out", image.channel)
            return None
        if self.photos is None:
            log.warning("no photo store to host an image for viber; the image is left out")
            return None
        digest = hashlib.sha256(image).digest()
        name = self._hosted.get(digest)
        if name is None or not self.photos.exists(name):
            name = await self.photos.save(image)
        self._hosted[digest] = name
        return public_photo_url(self._public_url, name)

    # -- incoming callbacks -------------------------------------------------------------

    def to_message(self, event: dict[str, Any]) -> IncomingMessage | None:
        """The neutral message for a callback; a text equal to one of our button payloads
        (what a keyboard tap sends) becomes a BUTTON."""
        msg = to_incoming(event)
        if msg is not None and msg.kind is Kind.TEXT:
            payload = payload_of(msg.text)
            if payload is not None and payload.partition(":")[0] in self._prefixes:
                msg = replace(msg, kind=Kind.BUTTON, payload=payload, text="")
        return msg

    def verify(self, body: bytes, given: str | None) -> bool:
        if not given:
            return False
        expected = signature(self._token, body).encode()
        return hmac.compare_digest(given.strip().lower().encode(errors="replace"), expected)

    async def _on_webhook(self, request: web.Request) -> web.StreamResponse:
        # The signature covers the body, so the body is read first: bounded, as a callback
        # is a few KB (VIBER_WEBHOOK_MAX_BODY_BYTES), and in time.
        body = await read_body(
            request,
            limit=self.settings.viber_webhook_max_body_bytes,
            timeout=self.settings.http_body_timeout_seconds,
        )
        if not self.verify(body, request.headers.get(SIGNATURE_HEADER)):
            log.warning("viber webhook: missing or wrong signature")
            return web.Response(status=403, text="forbidden")
        try:
            event = jsonbody.loads(body)
        except ValueError:
            event = None
        if not isinstance(event, dict) or not isinstance(event.get("event"), str):
            return web.Response(status=400, text="not a Viber callback")
        name = event["event"]
        if name in STATUS_EVENTS:
            return await self._status_event(event)
        try:
            msg = self.to_message(event)
        except MalformedEvent as exc:
            log.warning("viber webhook: malformed callback: %s", exc)
            return web.Response(status=400, text="malformed callback")
        if msg is None:  # webhook check, delivery statuses, events we do not handle
            return web.Response(text="ok")
        return await self._handle(name, event, msg)

    async def _status_event(self, event: dict[str, Any]) -> web.Response:
        receipt = _receipt(event)
        if receipt is None:
            log.warning("viber webhook: a %s callback without a message_token", event["event"])
            return web.Response(text="ok")
        if receipt.kind is ReceiptKind.FAILED:
            log.info("viber: message %s failed: %s", receipt.message_id, receipt.reason)
        if self.receipts is None:
            return web.Response(text="ok")
        try:
            await self.receipts(receipt)
        except Exception as exc:
            log.warning(
                "viber webhook: %s of message %s not recorded (%s); Viber sends it again",
                receipt.kind,
                receipt.message_id,
                type(exc).__name__,
                exc_info=not isinstance(exc, StorageUnavailable),
            )
            return _unavailable("receipt not recorded")
        return web.Response(text="ok")

    async def _handle(self, name: str, event: dict[str, Any], msg: IncomingMessage) -> web.Response:
        dispatch = self._dispatch
        if dispatch is None:  # not started yet, or stopping: Viber will retry
            return _unavailable("not ready")
        try:
            if name == "conversation_started":
                return await self._conversation_started(event, msg, dispatch)
            await dispatch(msg)
        except StorageUnavailable:
            log.warning("viber webhook: database unavailable; %s %s refused", name, msg.external_id)
            return _unavailable("storage unavailable")
        except Exception:
            log.exception("viber webhook: %s %s not handled", name, msg.external_id)
            return web.Response(status=500, text="internal error")
        return web.Response(text="ok")

    async def _conversation_started(
        self, event: dict[str, Any], msg: IncomingMessage, dispatch: Dispatch
    ) -> web.Response:
        lock = self._start_locks.get(msg.address)
        if lock is None:
            lock = self._start_locks[msg.address] = asyncio.Lock()
        async with lock:
            captured: list[Reply] = []
            self._captures[msg.address] = captured
            try:
                await dispatch(msg)
            finally:
                self._captures.pop(msg.address, None)
        messages = [message for reply in captured for message in await self.render(reply)]
        if not messages:  # e.g. a redelivered event: answered the first time
            return web.Response(text="ok")
        if len(messages) == 1:
            return web.json_response(messages[0], dumps=_dumps)
        if event.get("subscribed") is True:  # more than one message: all sent, in order
            await self._send_all(msg.address, messages)
            return web.Response(text="ok")
        log.info("viber: %d messages after the welcome left out: not subscribed", len(messages) - 1)
        return web.json_response(messages[0], dumps=_dumps)

    async def _send_all(self, to: Address, messages: list[Message]) -> None:
        for message in messages:
            try:
                result = await self.client.send_message(to.user_id, message)
            except ViberApiError as exc:
                log.warning("viber: a message of the welcome failed: %s", exc)
                return
            if not result.ok:
                log.warning("viber: a message of the welcome failed: %s", result.describe())
                return

    async def _broadcast(self, receivers: list[str], messages: list[Message]) -> list[SendResult]:
        delivered = dict.fromkeys(receivers, 0)
        failures: dict[str, SendResult] = {}
        token: int | None = None
        for message in messages:
            targets = [r for r in receivers if r not in failures]
            if not targets:
                break
            try:
                outcome = await self.client.broadcast_message(targets, message)
            except ViberApiError as exc:
                failures |= {
                    r: SendResult(SendStatus.FAILED, error=str(exc), messages=0) for r in targets
                }
                break
            if not outcome.result.ok:
                failures |= {r: _failure(outcome.result, 0) for r in targets}
                break
            token = outcome.result.message_token
            failed = {f.receiver: f for f in outcome.failed}
            for receiver in targets:
                problem = failed.get(receiver)
                if problem is None:
                    delivered[receiver] += 1
                else:
                    result = ApiResult(problem.status, problem.status_message)
                    failures[receiver] = _failure(result, 0)
        return [
            replace(failures[r], messages=delivered[r])
            if r in failures
            else SendResult(SendStatus.OK, message_id=_id(token), messages=delivered[r])
            for r in receivers
        ]


def _failure(result: ApiResult, sent: int) -> SendResult:
    if result.status == NOT_SUBSCRIBED:
        status = SendStatus.BLOCKED
    elif result.status == TOO_MANY_REQUESTS:
        status = SendStatus.RETRY_AFTER
    else:
        status = SendStatus.FAILED
        if result.status == INVALID_AUTH_TOKEN:
            log.error("viber: the auth token is no longer accepted")
    return SendResult(status, error=result.describe(), messages=sent)


def _receipt(event: dict[str, Any]) -> Receipt | None:
    """The receipt a delivered/seen/failed callback carries (None without a message_token)."""
    token = event.get("message_token")
    if type(token) is not int:
        return None
    return Receipt(
        channel=CHANNEL,
        message_id=str(token),
        kind=ReceiptKind(event["event"]),
        user_id=_storable(event.get("user_id")),
        at=_instant(event.get("timestamp")),
        reason=_storable(event.get("desc")),
    )


def _storable(value: object) -> str | None:
    """A string of a callback as text the database takes: no NUL, no lone surrogate (valid
    JSON, "\\ud800", but no text: recording it failed, and Viber sent it again for an hour)."""
    if not isinstance(value, str):
        return None
    text = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return text.strip() or None


def _instant(timestamp: object) -> datetime | None:
    """A callback's `timestamp` (epoch milliseconds) as a UTC time, if it is one."""
    if type(timestamp) is not int:
        return None
    try:
        return datetime.fromtimestamp(timestamp / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _id(token: int | None) -> str | None:
    return str(token) if token is not None else None


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _unavailable(reason: str) -> web.Response:
    return web.Response(status=503, text=reason, headers={"Retry-After": "5"})
