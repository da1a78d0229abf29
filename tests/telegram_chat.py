"""Drive the real bot's Telegram path the way tests drive the console: `say`, `tap`, `pop`.

Each step becomes a real Telegram update POSTed to the bot's webhook (python-telegram-bot
parses it; the fake Bot API records what the bot sends back). The webhook answers only after
the update was handled and its replies sent, so a step's replies are complete when `say`
returns. The console conventions are kept so one test can run on both channels: `/loc LAT
LON` sends a location, `/photo PATH` a photo, `/contact PHONE` the user's own contact, and a
bare number taps that button of the last keyboard.
"""

from __future__ import annotations

import json
import mimetypes
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp

from bot.core.dispatcher import KEYBOARD_KEY
from bot.core.messages import Address, Button, Document, IncomingMessage, Kind, Reply
from storage.db import Database
from storage.repos import conversations
from tests.fakes.telegram_api import Call, FakeBotAPI

SECRET = "test-webhook-secret"
FIRST_USER_ID = 700_000_001
SENDS = {"sendMessage", "sendPhoto", "sendDocument", "editMessageText"}
REPLY_KEYBOARD = "reply-keyboard"


class TelegramChat:
    name = "telegram"

    def __init__(self, api: FakeBotAPI, webhook_url: str, db: Database) -> None:
        self.api = api
        self.db = db
        self.webhook_url = webhook_url
        self._ids: dict[str, int] = {"admin": FIRST_USER_ID - 1}
        self._pending: dict[int, list[Reply]] = defaultdict(list)
        self._keyboards: dict[int, list[tuple[Button, int | None]]] = {}
        self._files = 0
        self.first_name = "Ivan"  # what the updates say the users are called
        self._seen = len(api.calls)

    def user_id(self, user: str) -> int:
        return self._ids.setdefault(user, FIRST_USER_ID + len(self._ids))

    def address(self, user: str) -> Address:
        return Address(self.name, str(self.user_id(user)))

    def pop(self, user: str) -> list[Reply]:
        self._collect()
        return self._pending.pop(self.user_id(user), [])

    async def say(self, text: str, *, user: str = "u1") -> list[Reply]:
        uid = self.user_id(user)
        keyboard = self._keyboards.get(uid, [])
        if text.isdigit() and 1 <= int(text) <= len(keyboard):
            return await self._press(uid, *keyboard[int(text) - 1])
        return await self._exchange(uid, self._update_for(uid, text))

    async def tap(self, label_or_payload: str, *, user: str = "u1") -> list[Reply]:
        uid = self.user_id(user)
        keyboard = self._keyboards.get(uid, [])
        for button, message_id in keyboard:
            if label_or_payload in (button.label, button.payload):
                return await self._press(uid, button, message_id)
        labels = await self._reply_keyboard_labels(uid)
        for button, message_id in keyboard:
            if labels.get(button.label) == label_or_payload:
                return await self._press(uid, button, message_id)
        shown = [(b.label, b.payload) for b, _ in self._keyboards.get(uid, [])]
        raise AssertionError(f"no button {label_or_payload!r} on the last keyboard: {shown}")

    async def say_in_group(self, group: int, text: str, *, user: str = "u1") -> list[Reply]:
        """`user` writes `text` in the group chat `group` (a negative id); what the bot posted
        in the group. What it sent the user privately stays for `pop(user)`."""
        update = self.api.make_message_update(self.user_id(user), text, first_name=self.first_name)
        update["message"]["chat"] = {"id": group, "type": "supergroup", "title": "Team"}
        return await self._exchange(group, update)

    async def group_upgraded(self, old: int, new: int, *, user: str = "u1") -> list[Reply]:
        """`user` upgrades the group `old` to the supergroup `new`: Telegram's service message
        in the old group (and sends to `old` refused from now on); what the bot posted there."""
        update = self.api.make_group_migration_update(self.user_id(user), old, new)
        return await self._exchange(old, update)

    async def tap_in_group(self, group: int, label: str, *, user: str = "u1") -> list[Reply]:
        """`user` taps the button labelled `label` on the bot's last message with buttons in
        the group; what the bot posted in the group."""
        for button, message_id in self._keyboards.get(group, []):
            if button.label == label and message_id is not None:
                uid = self.user_id(user)
                assert button.payload is not None
                update = self.api.make_callback_update(uid, button.payload)
                stored = self.api._messages[(str(group), message_id)]
                update["callback_query"]["message"] = json.loads(json.dumps(stored))
                return await self._exchange(group, update)
        shown = [b.label for b, _ in self._keyboards.get(group, [])]
        raise AssertionError(f"no button {label!r} on the group's last keyboard: {shown}")

    async def _reply_keyboard_labels(self, uid: int) -> dict[str, str]:
        async with self.db.sessions() as session:
            row = await conversations.load(session, channel=self.name, user_id=str(uid))
        return dict(row.data.get(KEYBOARD_KEY) or {})

    async def push(self, msg: IncomingMessage) -> list[Reply]:
        """A neutral message as the Telegram update that would carry it."""
        uid = int(msg.address.user_id)
        if msg.kind is Kind.BUTTON:
            update = self.api.make_callback_update(uid, msg.payload or "")
        elif msg.kind is Kind.STARTED:
            text = f"/start {msg.payload}" if msg.payload else "/start"
            update = self.api.make_message_update(uid, text, language_code=msg.language or "bg")
        else:
            update = self._update_for(uid, msg.text)
        return await self._exchange(uid, update)

    # -- updates ------------------------------------------------------------------------

    def _update_for(self, uid: int, text: str) -> dict[str, Any]:
        command, _, args = text.partition(" ")
        if command == "/loc":
            lat, lon = (float(x) for x in args.split())
            return self.api.make_location_update(uid, lat, lon, first_name=self.first_name)
        if command == "/photo":
            content = Path(args).read_bytes()
            self._files += 1
            file_id = f"AgACAgIAAxkBAAIBphoto{self._files:04d}"
            self.api.add_file(file_id, content, file_path=f"photos/file_{self._files}.jpg")
            return self.api.make_photo_update(
                uid, file_id, file_size=len(content), first_name=self.first_name
            )
        if command == "/contact":
            return self.api.make_contact_update(uid, args, first_name=self.first_name)
        return self.api.make_message_update(uid, text, first_name=self.first_name)

    async def _press(self, uid: int, button: Button, message_id: int | None) -> list[Reply]:
        if button.request_location:
            raise AssertionError("a location button sends a location: use say('/loc LAT LON')")
        if message_id is None:  # a reply-keyboard button sends its label as text
            return await self._exchange(uid, self.api.make_message_update(uid, button.label))
        assert button.payload is not None
        update = self.api.make_callback_update(uid, button.payload, message_id=message_id)
        return await self._exchange(uid, update)

    async def _exchange(self, uid: int, update: dict[str, Any]) -> list[Reply]:
        update["update_id"] = self.api.push_update(update)
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                self.webhook_url,
                data=json.dumps(update),
                headers={
                    "X-Telegram-Bot-Api-Secret-Token": SECRET,
                    "Content-Type": "application/json",
                },
            ) as resp,
        ):
            body = await resp.text()
            assert resp.status == 200, f"webhook answered {resp.status}: {body}"
        return self.pop_by_id(uid)

    def pop_by_id(self, uid: int) -> list[Reply]:
        self._collect()
        return self._pending.pop(uid, [])

    # -- what the bot sent --------------------------------------------------------------

    def _collect(self) -> None:
        calls = self.api.calls[self._seen :]
        self._seen = len(self.api.calls)
        for call in calls:
            if call.method in SENDS and "chat_id" in call.params:
                uid = int(call.params["chat_id"])
                reply, buttons = _reply_of(call, self._message_id(call))
                self._pending[uid].append(reply)
                if buttons:
                    self._keyboards[uid] = buttons

    def _message_id(self, call: Call) -> int | None:
        return call.params.get("message_id") or self._last_sent_id(int(call.params["chat_id"]))

    def _last_sent_id(self, chat_id: int) -> int | None:
        ids = [
            mid
            for (chat, mid) in self.api._messages  # the fake keeps what it returned
            if chat == str(chat_id)
        ]
        return max(ids) if ids else None


def _reply_of(call: Call, message_id: int | None) -> tuple[Reply, list[tuple[Button, int | None]]]:
    params = call.params
    markup = params.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    buttons: list[tuple[Button, int | None]] = []
    rows: list[tuple[Button, ...]] = []
    for row in markup.get("inline_keyboard", []):
        cells = []
        for cell in row:
            if "url" in cell:
                button = Button(cell["text"], url=cell["url"])
            else:
                button = Button(cell["text"], payload=cell["callback_data"])
            buttons.append((button, message_id))
            cells.append(button)
        rows.append(tuple(cells))
    for row in markup.get("keyboard", []):
        cells = []
        for cell in row:
            cell = {"text": cell} if isinstance(cell, str) else cell
            if cell.get("request_location"):
                button = Button(cell["text"], request_location=True)
            else:
                # A reply-keyboard button carries only its label; `tap` finds its payload in
                # the labels the bot keeps with the conversation state.
                button = Button(cell["text"], payload=REPLY_KEYBOARD)
            buttons.append((button, None))
            cells.append(button)
        rows.append(tuple(cells))
    text = params.get("text") or params.get("caption") or ""
    image = call.files.get("photo") if call.method == "sendPhoto" else None
    document = None
    if call.method == "sendDocument" and "document" in call.files:
        name = call.file_names.get("document", "")
        document = Document(name, call.files["document"], mimetypes.guess_type(name)[0] or "")
    return Reply(text=text, buttons=tuple(rows), image=image, document=document), buttons
