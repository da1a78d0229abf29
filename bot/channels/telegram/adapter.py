"""The Telegram channel: a python-telegram-bot `Application` in polling or webhook mode.

The Application and its bot make every request (start-up, sends, getUpdates). Updates do not
pass through its queue and handlers: a plain text message is read from its JSON
(convert.text_message), anything else becomes PTB's `Update` and then an IncomingMessage
(convert.to_incoming), and goes to the dispatcher.

Polling (TELEGRAM_WEBHOOK_URL unset): polling.LongPoll long-polls getUpdates and hands every
update, concurrently, to `_on_polled`; the dispatcher serialises per chat. While the database
is down an update is retried with bounded exponential backoff.

Webhook (TELEGRAM_WEBHOOK_URL set): no Updater. Telegram posts to our own aiohttp route
`POST /telegram/webhook` (TELEGRAM_WEBHOOK_URL is the public URL that reaches it). The route
answers 200 only after the dispatcher returned, i.e. once the update is durable; 503 when the
database is down, so Telegram delivers it again.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from aiohttp import web
from telegram import BotCommand, CallbackQuery, InputFile, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ExtBot
from telegram.warnings import PTBUserWarning

from bot.channels.telegram.convert import (
    ALLOWED_UPDATES,
    CHANNEL,
    MalformedUpdate,
    text_message,
    to_incoming,
)
from bot.channels.telegram.polling import LongPoll
from bot.channels.telegram.render import ReplyKeyboards, render
from bot.channels.telegram.transport import AiohttpRequest
from bot.config import ConfigError, Settings
from bot.core.channel import (
    Capabilities,
    ChannelUnavailable,
    Dispatch,
    MediaTooLarge,
    SendResult,
    SendStatus,
    send_each,
)
from bot.core.dispatcher import StorageUnavailable
from bot.core.messages import Address, IncomingMessage, MediaRef, Reply
from bot.core.waiting import wait_event
from bot.i18n import N_, Translator
from bot.web import jsonbody
from bot.web.bodies import read_body

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
COMMANDS = {
    "start": N_("commands.start"),
    "menu": N_("commands.menu"),
    "report": N_("commands.report"),
    "myreports": N_("commands.myreports"),
    "alerts": N_("commands.alerts"),
    "surveys": N_("commands.surveys"),
    "help": N_("commands.help"),
    "language": N_("commands.language"),
    "cancel": N_("commands.cancel"),
    "mydata": N_("commands.mydata"),
}
# Backoff between attempts while the database is down (polling mode): about a minute in all.
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
POLL_TIMEOUT = timedelta(seconds=25)
ENDPOINTS = {
    "send_message": "sendMessage",
    "send_photo": "sendPhoto",
    "send_document": "sendDocument",
}
# do_api_request suggests the typed method for endpoints PTB has; see TelegramChannel._post.
warnings.filterwarnings(
    "ignore", message=r"Please use 'Bot\.(send|getUpdates)", category=PTBUserWarning
)

Sleep = Callable[[float], Awaitable[None]]


def file_base_url(api_base_url: str) -> str:
    """https://api.telegram.org/bot → https://api.telegram.org/file/bot"""
    base = api_base_url.rstrip("/")
    if not base.endswith("/bot"):
        raise ConfigError(
            "TELEGRAM_API_BASE_URL must end with /bot, e.g. https://api.telegram.org/bot"
        )
    return base.removesuffix("/bot") + "/file/bot"


class TelegramChannel:
    name = CHANNEL
    capabilities = Capabilities(
        max_text=4096,
        inline_buttons=True,
        location_request=True,
        photos=True,
        edits_in_place=True,
        receipts=False,
        bulk_size=1,  # no bulk API: a broadcast is one sendMessage per citizen
        billed_messages=False,
        group_per_minute=20,  # Bot FAQ: at most 20 messages a minute in one group
    )

    def __init__(self, settings: Settings, translator: Translator) -> None:
        if settings.telegram_bot_token is None:
            raise ConfigError("TELEGRAM_BOT_TOKEN is required for the Telegram channel")
        self.settings = settings
        self.translator = translator
        self.webhook_url = settings.telegram_webhook_url
        secret = settings.telegram_webhook_secret
        if self.webhook_url and secret is None:
            raise ConfigError("TELEGRAM_WEBHOOK_SECRET is required in webhook mode")
        self._secret = secret.get_secret_value().encode() if secret is not None else b""
        self._token = settings.telegram_bot_token.get_secret_value()
        self._requests = (AiohttpRequest(), AiohttpRequest(connection_pool_size=1))
        builder = (
            Application.builder()
            .token(self._token)
            .base_url(settings.telegram_api_base_url)
            .base_file_url(file_base_url(settings.telegram_api_base_url))
            .concurrent_updates(True)
            .job_queue(None)
            .request(self._requests[0])
            .get_updates_request(self._requests[1])
        )
        # No Updater: polling is our LongPoll (polling.py), which skips PTB's Update objects.
        self.application = builder.updater(None).build()
        self.poll: LongPoll | None = None
        if not self.webhook_url:
            self.poll = LongPoll(
                self.application.bot,
                self._on_polled,
                timeout_s=POLL_TIMEOUT.total_seconds(),
                allowed_updates=ALLOWED_UPDATES,
                sleep=lambda seconds: self.sleep(seconds),
            )
        self.keyboards = ReplyKeyboards()
        self.retry_delays: tuple[float, ...] = RETRY_DELAYS
        self.sleep: Sleep = self._sleep_unless_stopping
        self._dispatch: Dispatch | None = None
        self._stopping = asyncio.Event()

    @property
    def bot(self) -> ExtBot[None]:
        return self.application.bot

    # -- Channel protocol ---------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        if not self.webhook_url:
            return []
        return [web.post(WEBHOOK_PATH, self._on_webhook)]

    async def start(self, dispatch: Dispatch) -> None:
        self._dispatch = dispatch
        self._stopping.clear()
        app = self.application
        try:
            await app.initialize()  # getMe
            await self._set_commands()
            if self.webhook_url:
                await self.bot.set_webhook(
                    url=self.webhook_url,
                    secret_token=self._secret.decode(),
                    allowed_updates=list(ALLOWED_UPDATES),
                    drop_pending_updates=False,
                )
            await app.start()
            if self.poll is not None:
                await self.poll.start()  # deleteWebhook first, then getUpdates
        except BaseException as exc:
            await self._abandon_start()
            if isinstance(exc, InvalidToken):
                raise ConfigError("TELEGRAM_BOT_TOKEN: Telegram refused it") from exc
            if isinstance(exc, TelegramError):
                reason = self._clean(exc)
                raise ChannelUnavailable(f"telegram: could not start ({reason})") from exc
            raise
        log.info("telegram: %s mode", "webhook" if self.webhook_url else "polling")

    async def _abandon_start(self) -> None:
        """Close what a failed start opened: the application if it runs, the HTTP sessions."""
        self._dispatch = None
        try:
            if self.application.running:
                await self.application.stop()
        finally:
            for request in self._requests:
                await request.shutdown()

    async def stop(self) -> None:
        self._stopping.set()
        app = self.application
        if self.poll is not None:
            await self.poll.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        self._dispatch = None

    async def send(self, to: Address, reply: Reply, *, skip: int = 0) -> SendResult:
        try:
            chat_id = int(to.user_id)
        except ValueError:
            return SendResult(SendStatus.FAILED, error="not a Telegram user id")
        rendered = render(reply, keyboard_shown=self.keyboards.shown(to))
        if len(rendered.messages) <= skip:
            return SendResult(SendStatus.FAILED, error="empty reply")
        parts = skip
        media_id = None
        try:
            for outgoing in rendered.messages[skip:]:
                sent = await self._post(ENDPOINTS[outgoing.method], chat_id, outgoing.kwargs)
                parts += 1
                if isinstance(outgoing.kwargs.get("photo"), bytes):
                    media_id = _photo_file_id(sent)
        except TelegramError as exc:
            return replace(self._failure(to, exc), parts=parts)
        self.keyboards.update(to, rendered)
        message_id = str(sent.get("message_id", ""))
        return SendResult(SendStatus.OK, message_id=message_id, media_id=media_id)

    async def _post(self, endpoint: str, chat_id: int, kwargs: dict[str, Any]) -> dict[str, Any]:
        """One send through `Bot.do_api_request`: PTB still builds, posts and checks the
        request and raises its usual errors, but the answer stays a dict instead of becoming
        a `Message` object, which took a third of the CPU of a send; only its id is used."""
        photo = kwargs.get("photo")
        if isinstance(photo, bytes):
            kwargs = {**kwargs, "photo": InputFile(photo)}
        result = await self.bot.do_api_request(endpoint, api_kwargs={"chat_id": chat_id, **kwargs})
        return result if isinstance(result, dict) else {}

    async def edit(self, to: Address, message_id: str, reply: Reply) -> SendResult:
        """editMessageText; an edit that changes nothing ("message is not modified") is ok."""
        try:
            chat_id, msg_id = int(to.user_id), int(message_id)
        except ValueError:
            return SendResult(SendStatus.FAILED, error="not a Telegram user or message id")
        (last, *_) = reversed(render(replace(reply, image=None, document=None)).messages)
        markup = last.kwargs.get("reply_markup")
        inline = markup if markup is not None and "inline_keyboard" in markup else None
        try:
            await self.bot.edit_message_text(
                chat_id=chat_id,
                message_id=msg_id,
                text=reply.text.strip()[: self.capabilities.max_text],
                reply_markup=inline,  # the markup's JSON: PTB sends a dict as it is
            )
        except BadRequest as exc:
            if "message is not modified" not in exc.message.lower():
                return self._failure(to, exc)
        except TelegramError as exc:
            return self._failure(to, exc)
        return SendResult(SendStatus.OK, message_id=message_id)

    async def send_bulk(self, recipients: Sequence[Address], reply: Reply) -> list[SendResult]:
        return await send_each(self, recipients, reply)

    def _failure(self, to: Address, exc: TelegramError) -> SendResult:
        if isinstance(exc, RetryAfter):
            return SendResult(SendStatus.RETRY_AFTER, retry_after=_seconds(exc), error=exc.message)
        if isinstance(exc, ChatMigrated):  # a group upgraded to a supergroup: a new id
            return SendResult(
                SendStatus.FAILED, error="ChatMigrated", moved_to=str(exc.new_chat_id)
            )
        if isinstance(exc, Forbidden) or _group_gone(to, exc):
            self.keyboards.forget(to)
            return SendResult(SendStatus.BLOCKED, error=self._clean(exc))
        # BadRequest, NetworkError, TimedOut, 5xx...
        return SendResult(SendStatus.FAILED, error=self._clean(exc))

    async def download(self, ref: MediaRef, *, max_bytes: int) -> bytes:
        if ref.channel != self.name:
            raise ValueError(f"not a telegram file: {ref.channel}")
        if ref.size is not None and ref.size > max_bytes:
            raise MediaTooLarge(f"{ref.size} bytes > {max_bytes}")
        file = await self.bot.get_file(ref.file_id)
        if file.file_size is not None and file.file_size > max_bytes:
            raise MediaTooLarge(f"{file.file_size} bytes > {max_bytes}")
        data = bytes(await file.download_as_bytearray())
        if len(data) > max_bytes:
            raise MediaTooLarge(f"{len(data)} bytes > {max_bytes}")
        return data

    # -- incoming updates ---------------------------------------------------------------

    def to_message(self, update: Update) -> IncomingMessage | None:
        """The neutral message for `update`. A tap on a reply keyboard arrives as its label
        in text; the dispatcher knows the labels last shown and makes it a BUTTON."""
        return to_incoming(update)

    async def process(self, update: Update, *, answer: bool = True) -> None:
        """Dispatch one update to the end (raises StorageUnavailable). A callback query is
        always answered, whatever happened, so the citizen's client stops waiting."""
        dispatch = self._dispatch
        if dispatch is None:
            raise RuntimeError("the telegram channel is not started")
        try:
            msg = self.to_message(update)
            if msg is not None:
                await dispatch(msg)
        finally:
            if answer and update.callback_query is not None:
                await self._answer(update.callback_query)

    async def _on_polled(self, data: dict[str, Any]) -> None:
        """One update from getUpdates: a plain text read from its JSON, the rest through
        PTB's `Update`."""
        update_id = data["update_id"]
        try:
            msg = text_message(data)
        except MalformedUpdate as exc:
            log.warning("telegram update %s dropped: %s", update_id, exc)
            return
        if msg is None:
            try:
                update = Update.de_json(data, self.bot)
            except Exception:  # any malformed object inside the update
                log.warning("telegram update %s dropped: malformed", update_id)
                return
            await self._on_polled_update(update)
            return
        dispatch = self._dispatch
        if dispatch is not None:
            await self._retrying(update_id, lambda _attempt: dispatch(msg))

    async def _on_polled_update(self, update: Update) -> None:
        await self._retrying(
            update.update_id, lambda attempt: self.process(update, answer=attempt == 1)
        )

    async def _retrying(self, update_id: int, run: Callable[[int], Awaitable[None]]) -> None:
        """`run(attempt)` until it is done, again while the database is unavailable."""
        delays = iter(self.retry_delays)
        attempt = 1
        while True:
            try:
                await run(attempt)
                return
            except StorageUnavailable:
                delay = next(delays, None)
                if delay is None or self._stopping.is_set():
                    log.error(
                        "database unavailable: update %s lost after %d attempts",
                        update_id,
                        attempt,
                    )
                    return
                log.warning(
                    "database unavailable: update %s retried in %.1fs (attempt %d)",
                    update_id,
                    delay,
                    attempt,
                )
                await self.sleep(delay)
                attempt += 1
            except MalformedUpdate as exc:
                log.warning("telegram update %s dropped: %s", update_id, exc)
                return
            except Exception:
                log.exception("telegram update %s not handled", update_id)
                return

    async def _on_webhook(self, request: web.Request) -> web.Response:
        # The secret comes in a header: checked before a byte of the body is read.
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            log.warning("telegram webhook: wrong or missing secret token")
            return web.Response(status=403, text="forbidden")
        data = await self._read_update(request)
        if data is None:
            return web.Response(status=400, text="not a Telegram update")
        update_id = data["update_id"]
        try:
            # A plain text message is read from the JSON; the rest through PTB's Update.
            incoming: IncomingMessage | Update | None = text_message(data)
            malformed = None
        except MalformedUpdate as exc:
            incoming, malformed = None, exc
        if incoming is None and malformed is None:
            incoming = self._to_update(data)
            if incoming is None:
                return web.Response(status=400, text="not a Telegram update")
        if self._dispatch is None:  # not started yet, or stopping: Telegram will retry
            return _unavailable("not ready")
        try:
            if malformed is not None:
                raise malformed
            if isinstance(incoming, IncomingMessage):
                await self._dispatch(incoming)
            elif incoming is not None:
                await self.process(incoming)
        except StorageUnavailable:
            log.warning("telegram webhook: database unavailable; update %s refused", update_id)
            return _unavailable("storage unavailable")
        except MalformedUpdate as exc:
            # It came with our secret, so Telegram sent it: a non-2xx answer would only make
            # Telegram deliver it again and again. Dropped, with a warning (no user data).
            log.warning("telegram webhook: malformed update %s dropped: %s", update_id, exc)
            return web.Response(text="ignored: malformed update")
        except Exception:
            log.exception("telegram webhook: update %s not handled", update_id)
            return web.Response(status=500, text="internal error")
        return web.Response(text="ok")

    async def _read_update(self, request: web.Request) -> dict[str, Any] | None:
        """The update's JSON object, or None when the body is not one."""
        body = await read_body(
            request,
            limit=self.settings.telegram_webhook_max_body_bytes,
            timeout=self.settings.http_body_timeout_seconds,
        )
        try:
            data: Any = jsonbody.loads(body)
        except ValueError:  # not JSON, or not UTF-8
            return None
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            return None
        return data

    def _to_update(self, data: dict[str, Any]) -> Update | None:
        try:
            return Update.de_json(data, self.bot)
        except Exception:  # any malformed object inside the update
            log.warning("telegram webhook: malformed update %s", data.get("update_id"))
            return None

    async def _answer(self, query: CallbackQuery) -> None:
        if not isinstance(query.id, str):
            return  # a malformed query: no id to answer
        try:
            await query.answer()
        except TelegramError as exc:
            log.info("callback query not answered: %s", self._clean(exc))

    # -- helpers ------------------------------------------------------------------------

    async def _set_commands(self) -> None:
        default = self.settings.default_language
        targets: list[tuple[str, str | None]] = [(default, None)]
        targets += [(lang, lang) for lang in self.translator.languages]
        for language, code in targets:
            commands = [
                BotCommand(name, self.translator.translate(language, key))
                for name, key in COMMANDS.items()
            ]
            try:
                await self.bot.set_my_commands(commands, language_code=code)
            except TelegramError as exc:
                log.warning("setMyCommands (%s) failed: %s", code or "default", self._clean(exc))

    async def _sleep_unless_stopping(self, seconds: float) -> None:
        await wait_event(self._stopping, seconds)

    def _clean(self, exc: TelegramError) -> str:
        return f"{type(exc).__name__}: {exc.message}".replace(self._token, "[REDACTED]")


def _unavailable(reason: str) -> web.Response:
    return web.Response(status=503, text=reason, headers={"Retry-After": "5"})


def _group_gone(to: Address, exc: TelegramError) -> bool:
    """A group chat (a negative id) Telegram no longer knows: as unreachable as one the bot
    was removed from (403). A private chat's "chat not found" stays a plain failure."""
    return (
        isinstance(exc, BadRequest)
        and to.user_id.startswith("-")
        and "chat not found" in exc.message.lower()
    )


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _photo_file_id(message: dict[str, Any]) -> str | None:
    """The file_id of the largest size of the photo a sendPhoto answer shows (the last one)."""
    sizes = message.get("photo")
    if isinstance(sizes, list) and sizes and isinstance(sizes[-1], dict):
        file_id = sizes[-1].get("file_id")
        return file_id if isinstance(file_id, str) and file_id else None
    return None
