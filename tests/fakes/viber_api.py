"""A fake Viber REST Bot API server for tests, and the Viber side of callbacks.

`FakeViberAPI` is a small aiohttp application on 127.0.0.1 (a free port). Point the bot's
client at `api.base_url` (VIBER_API_BASE_URL) and it answers like chatapi.viber.com/pa:

* every call must carry `X-Viber-Auth-Token`: a missing header is a violation; a token other
  than `api.token` gets status 2 (what a test of a bad token wants);
* every body is checked against the published API (developers.viber.com/docs/api/
  rest-bot-api, /docs/tools/keyboards): message types and their fields, sender name <= 28,
  text <= 7000, picture text <= 120, keyboards (Columns 1-6, Rows 1-2, ActionType values,
  ActionBody <= 4000, Text <= 250, ButtonsGroupColumns/Rows, at most 24 grid rows),
  min_api_version for newer keyboard features, broadcast lists of 1-300 receivers, 30 KB;
  every problem goes to `violations` and is answered with status 3 (badData);
* accepted calls are recorded in `calls`;
* a receiver who is not subscribed gets status 6, as on Viber: someone becomes subscribed by
  sending a message or a `subscribed` event, not by `conversation_started`; `fail_next` and
  `fail_receiver` inject other statuses (12: too many requests, ...);
* `host` serves files at URLs the way Viber's media links do (pictures citizens send);
* `auto_receipts` (e.g. `("delivered",)`): for every message accepted by send_message, those
  receipts are posted to the bot's webhook before the next send_message is answered (as
  Viber reports while the bot is still sending); `post_receipts` posts the rest, and
  `receipt_answers` keeps the webhook's status for each.

`post` sends a callback to the bot's webhook the way Viber does: compact JSON, signed with
`X-Viber-Content-Signature` (hex HMAC-SHA256 of the body keyed with the token). The body of
the answer to `conversation_started` is checked like a message and kept in `welcomes`.

Not thread-safe: use it from the event loop that runs the test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

JSONDict = dict[str, Any]

TOKEN_HEADER = "X-Viber-Auth-Token"
SIGNATURE_HEADER = "X-Viber-Content-Signature"
MAX_REQUEST_BYTES = 30 * 1024
MAX_SENDER_NAME = 28
MAX_TEXT = 7000
MAX_PICTURE_TEXT = 120
MAX_TRACKING_DATA = 4000
MAX_BROADCAST = 300
MAX_BUTTON_TEXT = 250
MAX_ACTION_BODY = 4000
MAX_KEYBOARD_ROWS = 24
GRID_COLUMNS = 6
WEBHOOK_EVENTS = frozenset(
    {"delivered", "seen", "failed", "subscribed", "unsubscribed", "conversation_started"}
)
ACTION_TYPES = frozenset({"reply", "open-url", "location-picker", "share-phone", "none"})
TEXT_SIZES = frozenset({"small", "regular", "large"})
INPUT_FIELD_STATES = frozenset({"regular", "minimized", "hidden"})
# Keyboard features of API level 3 and later: a message using them must say so.
NEWER_FEATURES = frozenset({"InputFieldState", "Silent", "location-picker", "share-phone"})
MIN_API_VERSION_OF_FEATURES = 3

STATUS_MESSAGES = {
    0: "ok",
    1: "invalidUrl",
    2: "invalidAuthToken",
    3: "badData",
    4: "missingData",
    5: "receiverNotRegistered",
    6: "receiverNotSubscribed",
    7: "publicAccountBlocked",
    12: "tooManyRequests",
    13: "apiVersionNotSupported",
    19: "cannotSendBroadcast",
}

ENVELOPE = {"sender", "tracking_data", "min_api_version", "keyboard", "type"}
TYPE_FIELDS: dict[str, set[str]] = {
    "text": {"text"},
    "picture": {"text", "media", "thumbnail"},
    "video": {"media", "size", "duration", "thumbnail", "text"},
    "file": {"media", "size", "file_name"},
    "contact": {"contact"},
    "location": {"location"},
    "url": {"media"},
    "sticker": {"sticker_id"},
    "rich_media": {"rich_media", "alt_text"},
}
KEYBOARD_FIELDS = {
    "Type",
    "Buttons",
    "BgColor",
    "DefaultHeight",
    "CustomDefaultHeight",
    "HeightScale",
    "ButtonsGroupColumns",
    "ButtonsGroupRows",
    "InputFieldState",
    "FavoritesMetadata",
}
BUTTON_FIELDS = {
    "Columns",
    "Rows",
    "BgColor",
    "Silent",
    "BgMediaType",
    "BgMedia",
    "BgMediaScaleType",
    "ImageScaleType",
    "BgLoop",
    "ActionType",
    "ActionBody",
    "Image",
    "Text",
    "TextVAlign",
    "TextHAlign",
    "TextPaddings",
    "TextOpacity",
    "TextSize",
    "OpenURLType",
    "OpenURLMediaType",
    "TextBgGradientColor",
    "TextShouldFit",
    "InternalBrowser",
    "Map",
    "Frame",
    "MediaPlayer",
}


@dataclass
class Call:
    """One request the fake accepted: the API method, its JSON body and, for a broadcast,
    the receivers it reached."""

    method: str
    body: JSONDict
    delivered_to: list[str] = field(default_factory=list)
    message_token: int | None = None  # what the answer said


@dataclass(frozen=True)
class ViberUser:
    id: str
    name: str
    language: str = "bg"
    country: str = "BG"
    api_version: int = 10

    def as_json(self) -> JSONDict:
        return {
            "id": self.id,
            "name": self.name,
            "avatar": f"https://media-direct.cdn.viber.com/pg_download?id={self.id[:8]}",
            "language": self.language,
            "country": self.country,
            "api_version": self.api_version,
        }


def make_user(key: str, *, name: str = "Иван Петров", language: str = "bg") -> ViberUser:
    """A user with a stable Viber-like id (base64 of 16 bytes) for `key`."""
    raw = hashlib.sha256(f"viber-user:{key}".encode()).digest()[:16]
    return ViberUser(base64.b64encode(raw).decode(), name, language)


@dataclass
class Delivery:
    """What the bot answered to a callback."""

    status: int
    text: str
    json: JSONDict | None = None


@dataclass
class _Fault:
    status: int
    message: str
    after: int = 0  # successful calls to let through first


@dataclass
class FakeViberAPI:
    token: str = "4a6c8e1f2b3d5a7c-9e0f1a2b3c4d5e6f-7a8b9c0d1e2f3a4b"
    account_name: str = "Столична община — сигнали"
    calls: list[Call] = field(default_factory=list)
    failed_calls: list[Call] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    welcomes: list[JSONDict] = field(default_factory=list)
    subscribed: set[str] = field(default_factory=set)
    webhook: JSONDict | None = None
    # Where callbacks go: the bot's /viber/webhook (a callable when the port is not known yet).
    callback_url: str | Callable[[], str] | None = None
    auto_receipts: tuple[str, ...] = ()
    receipt_answers: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._tokens = itertools.count(5_741_311_803_571_721_087)
        self._clock = itertools.count(1_795_000_000_000, 1_000)
        self._faults: dict[str, deque[_Fault]] = {}
        self._receiver_faults: dict[str, int] = {}
        self._media: dict[str, bytes] = {}
        self._http: aiohttp.ClientSession | None = None
        self._due_receipts: list[JSONDict] = []

    # ---- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES * 4)
        app.router.add_post("/pa/{method}", self._handle)
        app.router.add_get("/media/{key}", self._serve_media)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = self._runner.addresses[0][1]
        self._http = aiohttp.ClientSession()

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeViberAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        if self._port is None:
            raise RuntimeError("FakeViberAPI is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/pa"

    # ---- inspection -------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def messages_to(self, receiver: str) -> list[JSONDict]:
        """Every message the bot sent to `receiver` (send_message and broadcasts), in order."""
        out = []
        for call in self.calls:
            if call.method == "send_message" and call.body["receiver"] == receiver:
                out.append(call.body)
            elif call.method == "broadcast_message" and receiver in call.delivered_to:
                out.append(call.body)
        return out

    def texts_to(self, receiver: str) -> list[str]:
        return [m.get("text", "") for m in self.messages_to(receiver)]

    # ---- configuration ----------------------------------------------------------------

    def user(self, key: str, *, name: str = "Иван Петров", language: str = "bg") -> ViberUser:
        return make_user(key, name=name, language=language)

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        message: str | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Answer `times` valid calls to `method` with `status` instead of success, once
        `after` more calls have succeeded."""
        text = message or STATUS_MESSAGES.get(status, "generalError")
        queue = self._faults.setdefault(method, deque())
        queue.append(_Fault(status, text, after))
        queue.extend(_Fault(status, text) for _ in range(times - 1))

    def fail_receiver(self, receiver: str, status: int) -> None:
        """Every message to `receiver` fails with `status` (in broadcasts: its failed_list)."""
        self._receiver_faults[receiver] = status

    def heal_receiver(self, receiver: str) -> None:
        """Messages to `receiver` go through again (if subscribed)."""
        self._receiver_faults.pop(receiver, None)

    def host(self, content: bytes, name: str = "photo.jpg") -> str:
        """A URL that serves `content`, like the media link of a picture a citizen sent."""
        key = f"{hashlib.sha256(content).hexdigest()[:20]}-{name}"
        self._media[key] = content
        return f"{self.url}/media/{key}"

    # ---- callbacks (Viber → the bot) --------------------------------------------------

    def sign(self, body: bytes) -> str:
        return hmac.new(self.token.encode(), body, hashlib.sha256).hexdigest()

    async def post(
        self,
        event: JSONDict,
        *,
        raw: bytes | None = None,
        signature: str | None = None,
        signed: bool = True,
    ) -> Delivery:
        """POST a callback (or `raw` bytes) to `callback_url`, signed as Viber signs it, or
        with the given `signature` header, or (`signed=False`) with none."""
        body = raw if raw is not None else _compact(event)
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers[SIGNATURE_HEADER] = signature
        elif signed:
            headers[SIGNATURE_HEADER] = self.sign(body)
        self._observe(event)
        assert self._http is not None, "start the fake first"
        async with self._http.post(self._callback_url(), data=body, headers=headers) as resp:
            text = await resp.text()
        delivery = Delivery(resp.status, text)
        if resp.status == 200 and text.strip().startswith("{"):
            delivery.json = json.loads(text)
        if event.get("event") == "conversation_started" and delivery.json is not None:
            problems = self._check_message(delivery.json, receiver=False)
            self.violations += [f"welcome message: {p}" for p in problems]
            if not problems:
                self.welcomes.append(delivery.json)
        return delivery

    def _callback_url(self) -> str:
        target = self.callback_url
        if target is None:
            raise RuntimeError("set FakeViberAPI.callback_url to the bot's webhook")
        return target() if callable(target) else target

    def _observe(self, event: JSONDict) -> None:
        name = event.get("event")
        if name == "message" and isinstance(event.get("sender"), dict):
            self.subscribed.add(event["sender"].get("id"))
        elif name == "subscribed" and isinstance(event.get("user"), dict):
            self.subscribed.add(event["user"].get("id"))
        elif name == "unsubscribed":
            self.subscribed.discard(event.get("user_id"))

    def _envelope(self, name: str) -> JSONDict:
        return {
            "event": name,
            "timestamp": next(self._clock),
            "chat_hostname": "SN-CHAT-05_",
            "message_token": next(self._tokens),
        }

    def message(self, user: ViberUser, message: JSONDict) -> JSONDict:
        return {
            **self._envelope("message"),
            "sender": user.as_json(),
            "message": message,
            "silent": False,
        }

    def text(self, user: ViberUser, text: str) -> JSONDict:
        return self.message(user, {"type": "text", "text": text})

    def picture(
        self, user: ViberUser, media: str, *, caption: str = "", size: int | None = None
    ) -> JSONDict:
        message: JSONDict = {
            "type": "picture",
            "text": caption,
            "media": media,
            "thumbnail": media + "?thumb=1",
            "file_name": "IMG_20261127_101500.jpg",
        }
        if size is not None:
            message["size"] = size
        return self.message(user, message)

    def location(self, user: ViberUser, lat: float, lon: float) -> JSONDict:
        location = {"lat": lat, "lon": lon, "address": "бул. Витоша, София"}
        return self.message(user, {"type": "location", "location": location})

    def contact(self, user: ViberUser, phone: str, *, name: str = "Иван") -> JSONDict:
        contact = {"name": name, "phone_number": phone}
        return self.message(user, {"type": "contact", "contact": contact})

    def conversation_started(
        self, user: ViberUser, *, context: str | None = None, subscribed: bool = False
    ) -> JSONDict:
        event = {**self._envelope("conversation_started"), "type": "open"}
        if context is not None:
            event["context"] = context
        return {**event, "user": user.as_json(), "subscribed": subscribed}

    def webhook_event(self) -> JSONDict:
        """What Viber posts to check a webhook it is asked to set."""
        return self._envelope("webhook")

    def subscribed_event(self, user: ViberUser) -> JSONDict:
        return {**self._envelope("subscribed"), "user": user.as_json()}

    def unsubscribed_event(self, user: ViberUser) -> JSONDict:
        return {**self._envelope("unsubscribed"), "user_id": user.id}

    def status_event(self, name: str, user: ViberUser | str, message_token: int) -> JSONDict:
        """A receipt (delivered, seen, failed) of a message sent to `user` (or that user id)."""
        user_id = user if isinstance(user, str) else user.id
        event = {**self._envelope(name), "message_token": message_token, "user_id": user_id}
        if name == "failed":
            event["desc"] = "failure description"
        return event

    async def post_receipts(self) -> None:
        """Post the `auto_receipts` not posted yet."""
        due, self._due_receipts = self._due_receipts, []
        for event in due:
            self.receipt_answers.append((await self.post(event)).status)

    # ---- the API (the bot → Viber) ----------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.read()
        token = request.headers.get(TOKEN_HEADER)
        if token is None:
            self.violations.append(f"{method}: no {TOKEN_HEADER} header")
            return _status(2, "missing_auth_token")
        if not hmac.compare_digest(token.encode(), self.token.encode()):
            return _status(2)
        problems: list[str] = []
        if request.content_type != "application/json":
            problems.append(f"Content-Type must be application/json, not {request.content_type}")
        if len(raw) > MAX_REQUEST_BYTES:
            problems.append(f"the request is {len(raw)} bytes; at most {MAX_REQUEST_BYTES}")
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return self._reject(method, ["the body must be a JSON object"])
        handler = self._methods().get(method)
        if handler is None:
            return self._reject(method, [f"unknown method {method}"])
        problems += self._validate(method, body)
        if problems:
            return self._reject(method, problems)
        call = Call(method, body)
        faults = self._faults.get(method)
        if faults and faults[0].after:
            faults[0].after -= 1
        elif faults:
            fault = faults.popleft()
            self.failed_calls.append(call)
            return _status(fault.status, fault.message, message_token=next(self._tokens))
        return await handler(call)

    def _methods(self) -> dict[str, Callable[[Call], Awaitable[web.Response]]]:
        return {
            "get_account_info": self._get_account_info,
            "set_webhook": self._set_webhook,
            "send_message": self._send_message,
            "broadcast_message": self._broadcast_message,
        }

    def _reject(self, method: str, problems: list[str]) -> web.Response:
        self.violations.extend(f"{method}: {problem}" for problem in problems)
        return _status(3, "; ".join(problems))

    def _validate(self, method: str, body: JSONDict) -> list[str]:
        if method == "send_message":
            return self._check_message(body, receiver=True)
        if method == "broadcast_message":
            return self._check_broadcast(body)
        if method == "set_webhook":
            return _check_webhook(body)
        return [f"unexpected field {key!r}" for key in body]

    async def _get_account_info(self, call: Call) -> web.Response:
        self.calls.append(call)
        return web.json_response(
            {
                "status": 0,
                "status_message": "ok",
                "id": "pa:5752381224852463011",
                "name": self.account_name,
                "uri": "sofiamunicipality",
                "icon": "https://media-direct.cdn.viber.com/pg_download?id=icon",
                "background": "https://media-direct.cdn.viber.com/pg_download?id=bg",
                "category": "Government",
                "subcategory": "Local Government",
                "location": {"lon": 23.3219, "lat": 42.6977},
                "country": "BG",
                "webhook": (self.webhook or {}).get("url", ""),
                "event_types": (self.webhook or {}).get("event_types", []),
                "subscribers_count": len(self.subscribed),
                "members": [],
            }
        )

    async def _set_webhook(self, call: Call) -> web.Response:
        url = call.body["url"]
        events = call.body.get("event_types", sorted(WEBHOOK_EVENTS))
        if self.callback_url is not None and url:
            if (await self.post(self.webhook_event())).status != 200:
                self.failed_calls.append(call)
                return _status(1, "Failed to validate the webhook: it did not answer 200")
        self.calls.append(call)
        self.webhook = {"url": url, "event_types": list(events)} if url else None
        return web.json_response({"status": 0, "status_message": "ok", "event_types": events})

    async def _send_message(self, call: Call) -> web.Response:
        await self.post_receipts()  # of the messages sent before this one
        receiver = call.body["receiver"]
        status = self._receiver_status(receiver)
        if status:
            self.failed_calls.append(call)
            return _status(status, message_token=next(self._tokens))
        call.message_token = next(self._tokens)
        self.calls.append(call)
        self._due_receipts += [
            self.status_event(name, receiver, call.message_token) for name in self.auto_receipts
        ]
        return web.json_response(
            {
                "status": 0,
                "status_message": "ok",
                "message_token": call.message_token,
                "chat_hostname": "SN-CHAT-05_",
                "billing_status": 1,
            }
        )

    async def _broadcast_message(self, call: Call) -> web.Response:
        failed, delivered = [], []
        for receiver in call.body["broadcast_list"]:
            status = self._receiver_status(receiver)
            if status:
                failed.append(
                    {
                        "receiver": receiver,
                        "status": status,
                        "status_message": STATUS_MESSAGES.get(status, "generalError"),
                    }
                )
            else:
                delivered.append(receiver)
        token = next(self._tokens)
        self.calls.append(Call(call.method, call.body, delivered, token))
        return web.json_response(
            {
                "status": 0,
                "status_message": "ok",
                "message_token": token,
                "failed_list": failed,
            }
        )

    def _receiver_status(self, receiver: str) -> int:
        if receiver in self._receiver_faults:
            return self._receiver_faults[receiver]
        return 0 if receiver in self.subscribed else 6

    async def _serve_media(self, request: web.Request) -> web.Response:
        content = self._media.get(request.match_info["key"])
        if content is None:
            raise web.HTTPNotFound()
        return web.Response(body=content, content_type="image/jpeg")

    # ---- validation -------------------------------------------------------------------

    def _check_broadcast(self, body: JSONDict) -> list[str]:
        problems = []
        receivers = body.get("broadcast_list")
        if not isinstance(receivers, list) or not all(isinstance(r, str) for r in receivers):
            problems.append("broadcast_list must be a list of user ids")
        elif not 1 <= len(receivers) <= MAX_BROADCAST:
            problems.append(f"broadcast_list has {len(receivers)} receivers; 1-{MAX_BROADCAST}")
        rest = {k: v for k, v in body.items() if k != "broadcast_list"}
        return problems + self._check_message(rest, receiver=False)

    def _check_message(self, body: JSONDict, *, receiver: bool) -> list[str]:
        problems: list[str] = []
        if receiver and not (isinstance(body.get("receiver"), str) and body["receiver"]):
            problems.append("missing receiver")
        kind = body.get("type")
        if kind not in TYPE_FIELDS:
            return [*problems, f"type must be one of {sorted(TYPE_FIELDS)}, got {kind!r}"]
        allowed = ENVELOPE | TYPE_FIELDS[kind] | ({"receiver"} if receiver else set())
        problems += [
            f"unexpected field {k!r} for a {kind} message" for k in body if k not in allowed
        ]
        problems += _check_sender(body.get("sender"))
        tracking = body.get("tracking_data")
        if tracking is not None and not (
            isinstance(tracking, str) and len(tracking) <= MAX_TRACKING_DATA
        ):
            problems.append(f"tracking_data must be a string of at most {MAX_TRACKING_DATA}")
        api_version = body.get("min_api_version", 1)
        if type(api_version) is not int or api_version < 1:
            problems.append("min_api_version must be a positive integer")
            api_version = 1
        problems += _check_content(kind, body)
        if "keyboard" in body:
            problems += _check_keyboard(body["keyboard"], api_version)
        return problems


def _check_sender(sender: object) -> list[str]:
    if not isinstance(sender, dict) or not isinstance(sender.get("name"), str):
        return ["sender.name is required"]
    problems = [f"unexpected field sender.{k}" for k in sender if k not in ("name", "avatar")]
    if not 1 <= len(sender["name"]) <= MAX_SENDER_NAME:
        problems.append(f"sender.name must be 1-{MAX_SENDER_NAME} characters")
    if "avatar" in sender and not _is_url(sender["avatar"]):
        problems.append("sender.avatar must be a URL")
    return problems


def _check_content(kind: str, body: JSONDict) -> list[str]:
    if kind == "text":
        text = body.get("text")
        if not isinstance(text, str) or not text:
            return ["a text message needs a non-empty text"]
        if len(text) > MAX_TEXT:
            return [f"text is {len(text)} characters; at most {MAX_TEXT}"]
        return []
    if kind == "picture":
        problems = []
        text = body.get("text")
        if not isinstance(text, str):
            problems.append("a picture needs a text (it may be empty)")
        elif len(text) > MAX_PICTURE_TEXT:
            problems.append(f"picture text is {len(text)} characters; at most {MAX_PICTURE_TEXT}")
        if not _is_url(body.get("media")):
            problems.append("a picture needs a media URL")
        return problems
    missing = [key for key in TYPE_FIELDS[kind] if key not in body and key in _REQUIRED[kind]]
    return [f"a {kind} message needs {key}" for key in missing]


_REQUIRED = {
    "video": {"media", "size"},
    "file": {"media", "size", "file_name"},
    "contact": {"contact"},
    "location": {"location"},
    "url": {"media"},
    "sticker": {"sticker_id"},
    "rich_media": {"rich_media"},
}


def _check_keyboard(keyboard: object, api_version: int) -> list[str]:
    if not isinstance(keyboard, dict):
        return ["keyboard must be an object"]
    problems = [f"unexpected keyboard field {k!r}" for k in keyboard if k not in KEYBOARD_FIELDS]
    if keyboard.get("Type", "keyboard") != "keyboard":
        problems.append("keyboard.Type must be 'keyboard'")
    group_columns = keyboard.get("ButtonsGroupColumns", GRID_COLUMNS)
    if type(group_columns) is not int or not 1 <= group_columns <= GRID_COLUMNS:
        problems.append("ButtonsGroupColumns must be 1-6")
        group_columns = GRID_COLUMNS
    group_rows = keyboard.get("ButtonsGroupRows", 7)
    if type(group_rows) is not int or not 1 <= group_rows <= 7:
        problems.append("ButtonsGroupRows must be 1-7")
    if "DefaultHeight" in keyboard and not isinstance(keyboard["DefaultHeight"], bool):
        problems.append("DefaultHeight must be true or false")
    state = keyboard.get("InputFieldState")
    if state is not None and state not in INPUT_FIELD_STATES:
        problems.append(f"InputFieldState must be one of {sorted(INPUT_FIELD_STATES)}")
    buttons = keyboard.get("Buttons")
    if not isinstance(buttons, list) or not buttons:
        return [*problems, "keyboard.Buttons must be a non-empty list"]
    features = {"InputFieldState"} & set(keyboard)
    for index, button in enumerate(buttons):
        problems += _check_button(button, f"Buttons[{index}]", group_columns)
        if isinstance(button, dict):
            features |= {"Silent"} & set(button)
            features |= {button.get("ActionType")} & NEWER_FEATURES
    if features and api_version < MIN_API_VERSION_OF_FEATURES:
        problems.append(f"{sorted(features)} need min_api_version >= {MIN_API_VERSION_OF_FEATURES}")
    rows = _grid_rows([b for b in buttons if isinstance(b, dict)], group_columns)
    if rows > MAX_KEYBOARD_ROWS:
        problems.append(f"the keyboard is {rows} rows high; at most {MAX_KEYBOARD_ROWS}")
    return problems


def _check_button(button: object, path: str, group_columns: int) -> list[str]:
    if not isinstance(button, dict):
        return [f"{path} must be an object"]
    problems = [f"{path}: unexpected field {k!r}" for k in button if k not in BUTTON_FIELDS]
    columns, rows = button.get("Columns", GRID_COLUMNS), button.get("Rows", 1)
    if type(columns) is not int or not 1 <= columns <= group_columns:
        problems.append(f"{path}.Columns must be 1-{group_columns}, got {columns!r}")
    if type(rows) is not int or not 1 <= rows <= 2:
        problems.append(f"{path}.Rows must be 1-2 in a keyboard, got {rows!r}")
    action = button.get("ActionType", "reply")
    if action not in ACTION_TYPES:
        problems.append(f"{path}.ActionType must be one of {sorted(ACTION_TYPES)}")
    body = button.get("ActionBody")
    if not isinstance(body, str) or not body or len(body) > MAX_ACTION_BODY:
        problems.append(f"{path}.ActionBody must be 1-{MAX_ACTION_BODY} characters")
    elif action == "open-url" and not _is_url(body):
        problems.append(f"{path}.ActionBody of open-url must be a URL")
    text = button.get("Text")
    if text is not None and (not isinstance(text, str) or len(text) > MAX_BUTTON_TEXT):
        problems.append(f"{path}.Text must be a string of at most {MAX_BUTTON_TEXT}")
    if not any(key in button for key in ("Text", "BgMedia", "Image", "BgColor")):
        problems.append(f"{path} needs one of Text, BgMedia, Image, BgColor")
    if "TextSize" in button and button["TextSize"] not in TEXT_SIZES:
        problems.append(f"{path}.TextSize must be one of {sorted(TEXT_SIZES)}")
    if "Silent" in button and not isinstance(button["Silent"], bool):
        problems.append(f"{path}.Silent must be true or false")
    return problems


def _grid_rows(buttons: list[JSONDict], width: int) -> int:
    """How many rows high the keyboard is: buttons fill rows left to right, wrapping."""
    height, used, row_height = 0, width, 0
    for button in buttons:
        columns = button.get("Columns", GRID_COLUMNS)
        rows = button.get("Rows", 1)
        columns = columns if type(columns) is int else GRID_COLUMNS
        rows = rows if type(rows) is int else 1
        if used + columns > width:
            height += row_height
            used, row_height = 0, 0
        used += columns
        row_height = max(row_height, rows)
    return height + row_height


def _check_webhook(body: JSONDict) -> list[str]:
    problems = [
        f"unexpected field {k!r}"
        for k in body
        if k not in ("url", "event_types", "send_name", "send_photo")
    ]
    url = body.get("url")
    if not isinstance(url, str) or (url and not url.startswith("https://")):
        problems.append("url must be an https URL (or empty to remove the webhook)")
    events = body.get("event_types", [])
    if not isinstance(events, list) or not set(events) <= WEBHOOK_EVENTS:
        problems.append(f"event_types must be a subset of {sorted(WEBHOOK_EVENTS)}")
    for key in ("send_name", "send_photo"):
        if key in body and not isinstance(body[key], bool):
            problems.append(f"{key} must be true or false")
    return problems


def _is_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def _compact(event: JSONDict) -> bytes:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


def _status(status: int, message: str | None = None, **extra: Any) -> web.Response:
    text = message or STATUS_MESSAGES.get(status, "generalError")
    return web.json_response({"status": status, "status_message": text, **extra})
