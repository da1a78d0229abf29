"""Drive the real bot's Viber path the way tests drive the console: `say`, `tap`, `pop`.

Each step becomes a signed Viber callback POSTed to the bot's /viber/webhook (the fake Viber
API records what the bot sends back). The webhook answers only after the event was handled
and its replies sent, so a step's replies are complete when `say` returns. The console
conventions are kept so one test can run on every channel: `/start [payload]` opens the chat
(`conversation_started`, a deep link's context as the payload), `/loc LAT LON` sends a
location, `/photo PATH` a picture, `/contact PHONE` a contact, and a bare number taps that
button of the last keyboard.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.app import CitizenBot
from bot.channels.viber.adapter import WEBHOOK_PATH
from bot.channels.viber.render import GRID_COLUMNS, action_body, label_of, payload_of
from bot.config import Settings
from bot.core.messages import Address, Button, IncomingMessage, Kind, MediaRef, Reply
from tests.fakes.viber_api import FakeViberAPI, ViberUser

PUBLIC_URL = "https://bot.example.org"


def viber_settings(api: FakeViberAPI) -> dict[str, object]:
    """The settings that point the bot's Viber channel at the fake."""
    return {
        "viber_auth_token": api.token,
        "viber_api_base_url": api.base_url,
        "viber_webhook_url": f"{PUBLIC_URL}{WEBHOOK_PATH}",
        "http_public_url": PUBLIC_URL,
    }


async def start_viber_bot(
    api: FakeViberAPI, settings: Settings, clock: Callable[[], datetime]
) -> CitizenBot:
    """CitizenBot with the channels its settings configure, its web server on a free port,
    and the fake's callbacks (set_webhook's check too) going to its /viber/webhook."""
    app = CitizenBot(settings, clock=clock)
    api.callback_url = lambda: f"{app.web.url}{WEBHOOK_PATH}"
    try:
        await app.start(web=True)
    except BaseException:
        await app.stop()  # as the command line does: the web server is already up
        raise
    return app


class ViberChat:
    name = "viber"

    def __init__(self, api: FakeViberAPI) -> None:
        self.api = api
        self._users: dict[str, ViberUser] = {}
        self._keys: dict[str, str] = {}
        self._pending: dict[str, list[Reply]] = defaultdict(list)
        self._keyboards: dict[str, list[Button]] = {}
        self._seen = len(api.calls)

    def user(self, user: str, language: str = "bg") -> ViberUser:
        if user not in self._users:
            viber_user = self.api.user(user, language=language)
            self._users[user] = viber_user
            self._keys[viber_user.id] = user
        return self._users[user]

    def user_id(self, user: str) -> str:
        return self.user(user).id

    def address(self, user: str) -> Address:
        return Address(self.name, self.user_id(user))

    def pop(self, user: str) -> list[Reply]:
        self._collect()
        return self._pending.pop(self.user_id(user), [])

    async def say(self, text: str, *, user: str = "u1") -> list[Reply]:
        viber_user = self.user(user)
        keyboard = self._keyboards.get(viber_user.id, [])
        if text.isdigit() and 1 <= int(text) <= len(keyboard):
            return await self._press(viber_user, keyboard[int(text) - 1])
        return await self._exchange(viber_user, self._event_for(viber_user, text))

    async def tap(self, label_or_payload: str, *, user: str = "u1") -> list[Reply]:
        viber_user = self.user(user)
        for button in self._keyboards.get(viber_user.id, []):
            if label_or_payload in (button.label, button.payload):
                return await self._press(viber_user, button)
        shown = [(b.label, b.payload) for b in self._keyboards.get(viber_user.id, [])]
        raise AssertionError(f"no button {label_or_payload!r} on the last keyboard: {shown}")

    async def push(self, msg: IncomingMessage) -> list[Reply]:
        """A neutral message as the Viber callback that would carry it."""
        key = self._keys.get(msg.address.user_id, msg.address.user_id)
        viber_user = self._users.get(key) or self.user(key, msg.language or "bg")
        if msg.language and viber_user.language != msg.language:
            viber_user = ViberUser(viber_user.id, viber_user.name, msg.language)
        if msg.kind is Kind.BUTTON:
            event = self.api.text(viber_user, action_body(msg.payload or ""))
        elif msg.kind is Kind.STARTED:
            event = self.api.conversation_started(viber_user, context=msg.payload)
        else:
            event = self._event_for(viber_user, msg.text)
        return await self._exchange(viber_user, event)

    # -- callbacks ----------------------------------------------------------------------

    def _event_for(self, user: ViberUser, text: str) -> dict[str, Any]:
        command, _, args = text.partition(" ")
        if command == "/start":
            subscribed = user.id in self.api.subscribed
            return self.api.conversation_started(
                user, context=args.strip() or None, subscribed=subscribed
            )
        if command == "/loc":
            lat, lon = (float(x) for x in args.split())
            return self.api.location(user, lat, lon)
        if command == "/photo":
            content = Path(args).read_bytes()
            return self.api.picture(user, self.api.host(content), size=len(content))
        if command == "/contact":
            return self.api.contact(user, args)
        return self.api.text(user, text)

    async def _press(self, user: ViberUser, button: Button) -> list[Reply]:
        if button.request_location:
            raise AssertionError("a location button sends a location: use say('/loc LAT LON')")
        if button.url is not None:
            raise AssertionError(f"{button.label!r} opens {button.url}; it sends nothing")
        return await self._exchange(user, self.api.text(user, action_body(button.payload or "")))

    async def _exchange(self, user: ViberUser, event: dict[str, Any]) -> list[Reply]:
        delivery = await self.api.post(event)
        assert delivery.status == 200, f"webhook answered {delivery.status}: {delivery.text}"
        if delivery.json is not None:  # the welcome, in the answer to conversation_started
            self._record(user.id, delivery.json)
        self._collect()
        return self._pending.pop(user.id, [])

    # -- what the bot sent --------------------------------------------------------------

    def _collect(self) -> None:
        calls = self.api.calls[self._seen :]
        self._seen = len(self.api.calls)
        for call in calls:
            if call.method == "send_message":
                self._record(call.body["receiver"], call.body)
            elif call.method == "broadcast_message":
                for receiver in call.delivered_to:
                    self._record(receiver, call.body)

    def _record(self, receiver: str, message: dict[str, Any]) -> None:
        reply = reply_of(message)
        self._pending[receiver].append(reply)
        if reply.buttons:
            self._keyboards[receiver] = reply.all_buttons


def reply_of(message: dict[str, Any]) -> Reply:
    """A sent Viber message as the neutral reply it shows (a picture as a MediaRef)."""
    image = MediaRef("viber", message["media"]) if message["type"] == "picture" else None
    return Reply(text=message.get("text", ""), buttons=_rows(message.get("keyboard")), image=image)


def _rows(keyboard: dict[str, Any] | None) -> tuple[tuple[Button, ...], ...]:
    if not keyboard:
        return ()
    rows: list[list[Button]] = []
    used = GRID_COLUMNS
    for key in keyboard["Buttons"]:
        if used + key["Columns"] > GRID_COLUMNS:
            rows.append([])
            used = 0
        used += key["Columns"]
        rows[-1].append(_button(key))
    return tuple(tuple(row) for row in rows)


def _button(key: dict[str, Any]) -> Button:
    label = label_of(key["Text"])
    if key["ActionType"] == "location-picker":
        return Button(label, request_location=True)
    if key["ActionType"] == "open-url":
        return Button(label, url=key["ActionBody"])
    return Button(label, payload=payload_of(key["ActionBody"]) or key["ActionBody"])
