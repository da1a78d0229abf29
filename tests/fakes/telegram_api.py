"""A fake Telegram Bot API server for tests.

`FakeBotAPI` is a small aiohttp application bound to 127.0.0.1 on a free port. Point a real
`telegram.Bot` at it (``Bot(token, base_url=api.base_url, base_file_url=api.base_file_url)``)
and it answers like api.telegram.org does, while

* validating every request against the Bot API 10.0 spec in
  ``tests/fixtures/telegram-bot-api-10.0.json`` (unknown methods and parameters, missing required
  parameters, wrong value types, nested objects such as keyboards, and a few documented limits);
  every problem is appended to ``violations`` and answered with ``400 Bad Request``;
* recording every accepted request in ``calls``;
* serving updates to ``getUpdates`` long polling from a queue filled by ``push_update``;
* injecting faults (``fail_next``) and rate limits (``set_rate_limit``).

How python-telegram-bot 22 sends parameters (``HTTPXRequest.do_request``): always ``POST``; without
uploads as ``application/x-www-form-urlencoded`` where ``str`` values are sent unchanged and all
other values (int, bool, list, dict) are JSON-encoded strings; with uploads as
``multipart/form-data`` with the same encoding for the plain fields and one file part per upload
(named after the parameter, or the ``attach://`` name for media groups). This server additionally
accepts ``application/json`` bodies and query-string parameters, like the real API.

Not thread-safe: use it from the event loop that runs the test.
"""

from __future__ import annotations

import asyncio
import difflib
import functools
import html
import inspect
import itertools
import json
import mimetypes
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

JSONDict = dict[str, Any]
Handler = Callable[["Call"], Any]

SPEC_PATH = Path(__file__).resolve().parent.parent / "fixtures" / "telegram-bot-api-10.0.json"

SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "copyMessage"})
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
CALLBACK_ANSWER_LIMIT = 200
BUTTON_NEUTRAL_FIELDS = frozenset({"text", "icon_custom_emoji_id", "style"})
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
BOT_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
DISCRIMINATOR_RE = re.compile(r"(?:must be|always) [“\"]?([a-z0-9_]+)[”\"]?$")
HTML_TAG_RE = re.compile(r"<[^>]*>")
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


@dataclass
class Call:
    """One request the fake accepted: canonical method name, decoded parameters, uploads
    (and the file names their multipart parts gave)."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    file_names: dict[str, str] = field(default_factory=dict)


class BotAPIError(Exception):
    """Raised by a handler (also a custom one, see `FakeBotAPI.set_handler`) to answer an error."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        retry_after: float | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id


@dataclass
class _Fault:
    status: int
    description: str
    retry_after: float | None
    after: int = 0  # successful calls to let through first


# --------------------------------------------------------------------------------------------
# The spec and validation against it
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiSpec:
    """The Bot API description: methods and types by name."""

    methods: dict[str, JSONDict]
    types: dict[str, JSONDict]

    @classmethod
    def load(cls, path: Path = SPEC_PATH) -> ApiSpec:
        return _load_spec(path)

    @functools.cached_property
    def _lower_names(self) -> dict[str, str]:
        return {name.lower(): name for name in self.methods}

    def canonical_method(self, name: str) -> str | None:
        """The spec's spelling of a method name (the API is case-insensitive), or None."""
        return self._lower_names.get(name.lower())

    def method_fields(self, method: str) -> dict[str, JSONDict]:
        return {f["name"]: f for f in self.methods[method].get("fields", [])}

    def type_fields(self, type_name: str) -> dict[str, JSONDict]:
        return {f["name"]: f for f in self.types[type_name].get("fields", [])}

    def returns(self, method: str) -> list[str]:
        return list(self.methods[method].get("returns", []))

    @functools.cached_property
    def update_types(self) -> frozenset[str]:
        return frozenset(self.type_fields("Update")) - {"update_id"}


@functools.cache
def _load_spec(path: Path) -> ApiSpec:
    data = json.loads(path.read_text(encoding="utf-8"))
    return ApiSpec(methods=data["methods"], types=data["types"])


def _describe(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _has_shape(value: Any, type_name: str) -> bool:
    """Whether `value` has the JSON shape of `type_name` (without looking inside)."""
    if type_name.startswith("Array of "):
        return isinstance(value, list)
    checks: dict[str, Callable[[Any], bool]] = {
        "Integer": _is_int,
        "Float": lambda v: _is_int(v) or isinstance(v, float),
        "Boolean": lambda v: isinstance(v, bool),
        "True": lambda v: v is True,
        "String": lambda v: isinstance(v, str),
        "InputFile": lambda v: isinstance(v, str) and v.startswith("attach://"),
    }
    check = checks.get(type_name)
    return check(value) if check else isinstance(value, dict)


class SpecValidator:
    """Checks decoded request parameters against the spec; returns human-readable problems."""

    def __init__(self, spec: ApiSpec) -> None:
        self.spec = spec

    def validate(self, method: str, params: JSONDict, files: dict[str, bytes]) -> list[str]:
        fields = self.spec.method_fields(method)
        problems = [_unknown_parameter(name, fields) for name in params if name not in fields]
        problems += self._check_uploads(fields, params, files)
        for name, spec_field in fields.items():
            if name in files:
                continue
            if name not in params:
                if spec_field["required"]:
                    problems.append(f"missing required parameter '{name}'")
                continue
            problems += self.check_value(params[name], spec_field["types"], name)
        problems += _method_rules(method, params)
        return problems

    def _check_uploads(
        self, fields: dict[str, JSONDict], params: JSONDict, files: dict[str, bytes]
    ) -> list[str]:
        attached = set(_attach_references(params.values()))
        problems = [
            f"'attach://{name}' refers to a multipart part that was not uploaded"
            for name in sorted(attached - files.keys())
        ]
        for name in files:
            if name in fields and "InputFile" not in fields[name]["types"]:
                problems.append(f"parameter '{name}' does not accept a file upload")
            elif name not in fields and name not in attached:
                problems.append(f"unexpected file part '{name}'")
        return problems

    def check_value(self, value: Any, types: list[str], path: str) -> list[str]:
        candidates = [t for t in types if _has_shape(value, t)]
        if not candidates:
            return [f"{path} must be {' or '.join(types)}, got {_describe(value)}"]
        best: list[str] | None = None
        for type_name in candidates:
            problems = self._check_type(value, type_name, path)
            if not problems:
                return []
            if best is None or len(problems) < len(best):
                best = problems
        return best or []

    def _check_type(self, value: Any, type_name: str, path: str) -> list[str]:
        if type_name.startswith("Array of "):
            inner = type_name.removeprefix("Array of ")
            return [
                problem
                for index, item in enumerate(value)
                for problem in self.check_value(item, [inner], f"{path}[{index}]")
            ]
        if type_name not in self.spec.types or type_name == "InputFile":
            return []  # scalars were fully checked by _has_shape
        type_spec = self.spec.types[type_name]
        if "subtypes" in type_spec:
            return self.check_value(value, type_spec["subtypes"], path)
        return self._check_object(value, type_name, path)

    def _check_object(self, value: JSONDict, type_name: str, path: str) -> list[str]:
        fields = self.spec.type_fields(type_name)
        if not fields:
            return []
        problems = [
            f"{path}: unknown field '{key}' for {type_name}" for key in value if key not in fields
        ]
        for name, spec_field in fields.items():
            if name not in value:
                if spec_field["required"]:
                    problems.append(f"{path}: missing required field '{name}' of {type_name}")
                continue
            problems += self.check_value(value[name], spec_field["types"], f"{path}.{name}")
            problems += _discriminator_problem(spec_field, value[name], f"{path}.{name}")
        return problems + self._object_rules(value, type_name, path)

    def _object_rules(self, value: JSONDict, type_name: str, path: str) -> list[str]:
        if type_name == "InlineKeyboardButton":
            return self._button_actions(value, type_name, path, exactly_one=True) + (
                _callback_data_problem(value, path)
            )
        if type_name == "KeyboardButton":
            return self._button_actions(value, type_name, path, exactly_one=False)
        return []

    def _button_actions(
        self, value: JSONDict, type_name: str, path: str, *, exactly_one: bool
    ) -> list[str]:
        optional = [
            name
            for name, spec_field in self.spec.type_fields(type_name).items()
            if not spec_field["required"] and name not in BUTTON_NEUTRAL_FIELDS
        ]
        used = [name for name in optional if name in value]
        if len(used) > 1 or (exactly_one and not used):
            wanted = "exactly one" if exactly_one else "at most one"
            return [f"{path}: {type_name} must use {wanted} of {', '.join(optional)}; got {used}"]
        return []


def _unknown_parameter(name: str, fields: dict[str, JSONDict]) -> str:
    close = difflib.get_close_matches(name, list(fields), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown parameter '{name}'{hint}"


def _attach_references(values: Iterable[Any]) -> Iterator[str]:
    for value in values:
        if isinstance(value, str) and value.startswith("attach://"):
            yield value.removeprefix("attach://")
        elif isinstance(value, dict):
            yield from _attach_references(value.values())
        elif isinstance(value, list):
            yield from _attach_references(value)


def _discriminator_problem(spec_field: JSONDict, value: Any, path: str) -> list[str]:
    if spec_field["name"] != "type":
        return []
    match = DISCRIMINATOR_RE.search(spec_field.get("description", ""))
    if match and value != match.group(1):
        return [f"{path} must be '{match.group(1)}', got {_describe(value)}"]
    return []


def _callback_data_problem(button: JSONDict, path: str) -> list[str]:
    data = button.get("callback_data")
    if not isinstance(data, str):
        return []
    size = len(data.encode("utf-8"))
    if 1 <= size <= CALLBACK_DATA_LIMIT:
        return []
    return [
        f"{path}.callback_data must be 1-{CALLBACK_DATA_LIMIT} bytes, got {size} bytes "
        "(BUTTON_DATA_INVALID)"
    ]


def visible_length(text: str, parse_mode: str | None) -> int:
    """Length of `text` after entity parsing (HTML tags stripped; Markdown counted as is)."""
    if parse_mode and parse_mode.lower() == "html":
        text = html.unescape(HTML_TAG_RE.sub("", text))
    return len(text)


def _text_problems(params: JSONDict, key: str, limit: int, *, allow_empty: bool) -> list[str]:
    text = params.get(key)
    if not isinstance(text, str):
        return []
    length = visible_length(text, params.get("parse_mode"))
    if length == 0 and not allow_empty:
        return [f"{key} must be 1-{limit} characters, got an empty text (message text is empty)"]
    if length > limit:
        return [f"{key} must be at most {limit} characters, got {length} (message is too long)"]
    return []


def _command_problems(params: JSONDict) -> list[str]:
    commands = params.get("commands")
    if not isinstance(commands, list):
        return []
    problems = []
    for index, command in enumerate(commands):
        if not isinstance(command, dict):
            continue
        name, description = command.get("command"), command.get("description")
        if isinstance(name, str) and not BOT_COMMAND_RE.fullmatch(name):
            problems.append(
                f"commands[{index}].command {name!r} must be 1-32 lowercase letters, digits "
                "or underscores (BOT_COMMAND_INVALID)"
            )
        if isinstance(description, str) and not 1 <= len(description) <= 256:
            problems.append(f"commands[{index}].description must be 1-256 characters")
    if len(commands) > 100:
        problems.append(f"at most 100 commands are allowed, got {len(commands)}")
    return problems


def _method_rules(method: str, params: JSONDict) -> list[str]:
    problems: list[str] = []
    if method in ("sendMessage", "editMessageText"):
        problems += _text_problems(params, "text", TEXT_LIMIT, allow_empty=False)
    if "caption" in params:
        problems += _text_problems(params, "caption", CAPTION_LIMIT, allow_empty=True)
    if method == "answerCallbackQuery":
        problems += _text_problems(params, "text", CALLBACK_ANSWER_LIMIT, allow_empty=True)
    if method == "setMyCommands":
        problems += _command_problems(params)
    if method == "sendChatAction" and params.get("action") not in CHAT_ACTIONS:
        problems.append(f"action must be one of {', '.join(sorted(CHAT_ACTIONS))}")
    if method.startswith("editMessage") and "inline_message_id" not in params:
        missing = [key for key in ("chat_id", "message_id") if key not in params]
        if missing:
            problems.append(f"{' and '.join(missing)} required when inline_message_id is absent")
    return problems


def decode_param(raw: Any, types: list[str] | None) -> Any:
    """Decode a form/query value the way the Bot API does: JSON unless the field is a String."""
    if not isinstance(raw, str) or types == ["String"]:
        return raw
    try:
        decoded = json.loads(raw)
    except ValueError:
        return raw
    if types is not None and "String" in types:
        keep = _is_int(decoded) and "Integer" in types
        return decoded if keep else raw
    return decoded


# --------------------------------------------------------------------------------------------
# Waiting without sleeps
# --------------------------------------------------------------------------------------------


class _Notifier:
    """Wakes every waiter whenever the fake's state changes (usable from sync code)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float | None) -> None:
        """Return once `predicate()` holds; raise TimeoutError after `timeout` seconds."""
        async with asyncio.timeout(timeout):
            while not predicate():
                await self._event.wait()


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeBotAPI:
    """In-process fake of https://api.telegram.org for python-telegram-bot based tests."""

    def __init__(
        self, *, token: str = "123456:TEST-TOKEN", bot_username: str = "citizen_test_bot"
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.spec = ApiSpec.load()
        self.validator = SpecValidator(self.spec)
        self.calls: list[Call] = []
        self.failed_calls: list[Call] = []
        self.violations: list[str] = []
        self.rate_limited = 0
        self.downloads: list[str] = []
        self.blocked_users: set[int] = set()
        # Group chats that became supergroups (old id → new id) and chats the bot cannot
        # reach any more (id → the error's status and description): see move_group, lose_chat.
        self.moved_groups: dict[int, int] = {}
        self.lost_chats: dict[int, tuple[int, str]] = {}
        self.clock: Callable[[], float] = time.monotonic
        self._updates: list[JSONDict] = []
        self._next_update_id = 100_000_001
        self._confirmed_offset = 0
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._waiting_polls = 0
        self._message_ids = itertools.count(1)
        self._ids = itertools.count(1)
        self._messages: dict[tuple[str, int], JSONDict] = {}
        self._users: dict[int, JSONDict] = {}
        self._open_callback_queries: set[str] = set()
        self._files: dict[str, tuple[bytes, str]] = {}
        self._update_file_ids: set[str] = set()  # photos in updates made here: sendable by id
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._webhook: JSONDict | None = None
        self._faults: dict[str, deque[_Fault]] = {}
        self._rate_per_second: float | None = None
        self._rate_window: float | None = None
        self._exact_retry_after = False
        self._send_times: deque[float] = deque()
        self._custom_handlers: dict[str, Handler] = {}
        self._changed = _Notifier()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._closing = False

    # ---- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{file_path:.*}", self._handle_download)
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = self._runner.addresses[0][1]
        self._closing = False

    async def stop(self) -> None:
        self._closing = True
        self._changed.notify()
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeBotAPI is not started; call `await api.start()` first")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    @property
    def bot_id(self) -> int:
        return int(self.token.split(":")[0])

    @property
    def bot_user(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Citizen Test Bot",
            "username": self.bot_username,
        }

    # ---- inspection -------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        name = self._require_method(method)
        return [call for call in self.calls if call.method == name]

    def sent_texts(self, chat_id: int | str | None = None) -> list[str]:
        """Texts and captions of sendMessage/sendPhoto/sendDocument/editMessageText calls, in
        order."""
        texts = []
        for call in self.calls:
            if call.method not in ("sendMessage", "sendPhoto", "sendDocument", "editMessageText"):
                continue
            if chat_id is not None and str(call.params.get("chat_id")) != str(chat_id):
                continue
            text = call.params.get("text", call.params.get("caption"))
            if isinstance(text, str):
                texts.append(text)
        return texts

    def commands(self, *, language_code: str = "", scope: JSONDict | None = None) -> list[JSONDict]:
        """The commands currently set for `scope` (default scope) and `language_code`."""
        return list(self._commands.get((_scope_key(scope), language_code), []))

    @property
    def webhook_url(self) -> str:
        return self._webhook["url"] if self._webhook else ""

    @property
    def pending_updates(self) -> list[JSONDict]:
        return list(self._updates)

    def message(self, chat_id: int | str, message_id: int) -> JSONDict | None:
        """The current state of a message the fake knows (sent, edited or pushed)."""
        return self._messages.get((str(chat_id), message_id))

    async def wait_for_calls(self, method: str, count: int, timeout: float = 10) -> list[Call]:
        """Wait until at least `count` calls to `method` were accepted; return them."""
        name = self._require_method(method)
        try:
            await self._changed.wait_for(lambda: len(self.calls_to(name)) >= count, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"expected {count} call(s) to {name} within {timeout}s, got "
                f"{len(self.calls_to(name))}. {self._summary()}"
            ) from None
        return self.calls_to(name)

    async def wait_for_confirmed(self, update_id: int, timeout: float = 10) -> None:
        """Wait until a getUpdates call confirmed `update_id` (its offset was > update_id)."""
        try:
            await self._changed.wait_for(lambda: self._confirmed_offset > update_id, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"update {update_id} was not confirmed within {timeout}s (highest getUpdates "
                f"offset: {self._confirmed_offset}). {self._summary()}"
            ) from None

    @property
    def polling(self) -> bool:
        """Whether a getUpdates long poll is currently waiting for updates."""
        return self._waiting_polls > 0

    async def wait_for_polling(self, timeout: float = 10) -> None:
        """Wait until a getUpdates long poll is waiting (the bot is ready for updates)."""
        try:
            await self._changed.wait_for(lambda: self.polling, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"no getUpdates long poll was waiting within {timeout}s. {self._summary()}"
            ) from None

    def _summary(self) -> str:
        received = ", ".join(f"{c.method}({_short(c.params)})" for c in self.calls) or "nothing"
        failed = ", ".join(c.method for c in self.failed_calls) or "none"
        violations = "; ".join(self.violations) or "none"
        return f"Accepted calls: {received}. Failed calls: {failed}. Violations: {violations}."

    # ---- configuration ----------------------------------------------------------------------

    def add_file(self, file_id: str, content: bytes, *, file_path: str | None = None) -> None:
        """Make `file_id` known to getFile and its bytes downloadable."""
        path = file_path or f"documents/file_{next(self._ids)}"
        self._files[file_id] = (bytes(content), path)

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        description: str | None = None,
        retry_after: float | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Answer the next `times` valid calls to `method` with an error instead of a result,
        once `after` more calls have succeeded."""
        name = self._require_method(method)
        if status == 429 and retry_after is None:
            retry_after = 1
        text = description or _default_description(status, retry_after)
        if times < 1:
            return
        queue = self._faults.setdefault(name, deque())
        queue.append(_Fault(status, text, retry_after, after))
        queue.extend(_Fault(status, text, retry_after) for _ in range(times - 1))

    def move_group(self, old_id: int, new_id: int) -> None:
        """The group `old_id` became the supergroup `new_id`: sends to the old id are answered
        400 with `parameters.migrate_to_chat_id`, as Telegram does."""
        self.moved_groups[old_id] = new_id

    def lose_chat(
        self,
        chat_id: int,
        status: int = 403,
        description: str = "Forbidden: bot was kicked from the group chat",
    ) -> None:
        """The bot cannot reach `chat_id` any more: sends are answered with this error (e.g.
        400 "Bad Request: chat not found" for a group that was deleted)."""
        self.lost_chats[chat_id] = (status, description)

    def set_rate_limit(
        self, per_second: float | None, *, window: float | None = None, exact: bool = False
    ) -> None:
        """Answer 429 to send methods beyond `per_second`; None disables. The sends are counted
        over a sliding `window` (by default a second, or one send's interval if longer).
        retry_after is 1, or with `exact` the seconds until the window has room again (a
        fraction: tests need not wait whole seconds)."""
        self._rate_per_second = per_second
        self._rate_window = window
        self._exact_retry_after = exact
        self._send_times.clear()

    def set_handler(self, method: str, handler: Handler | None) -> None:
        """Replace the result of `method` (after validation) with `handler(call)`.

        The handler may be sync or async and may raise `BotAPIError`. None restores the default.
        """
        name = self._require_method(method)
        if handler is None:
            self._custom_handlers.pop(name, None)
        else:
            self._custom_handlers[name] = handler

    def _require_method(self, method: str) -> str:
        name = self.spec.canonical_method(method)
        if name is None:
            raise ValueError(f"{method!r} is not a Bot API method")
        return name

    # ---- updates ----------------------------------------------------------------------------

    def push_update(self, update: JSONDict) -> int:
        """Queue `update` for getUpdates; assign an update_id if missing; return it."""
        update = dict(update)
        update_id = update.setdefault("update_id", self._next_update_id)
        self._next_update_id = max(self._next_update_id, update_id + 1)
        self._updates.append(update)
        self._updates.sort(key=lambda item: item["update_id"])
        self._observe_update(update)
        self._changed.notify()
        return update_id

    def _observe_update(self, update: JSONDict) -> None:
        for payload in update.values():
            if isinstance(payload, dict) and isinstance(payload.get("from"), dict):
                self._users[payload["from"]["id"]] = payload["from"]
        for key in ("message", "edited_message"):
            if key in update:
                self._store_message(update[key])
        if "callback_query" in update:
            self._observe_callback_query(update["callback_query"])
        if "my_chat_member" in update:
            self._observe_membership(update["my_chat_member"])

    def _observe_callback_query(self, query: JSONDict) -> None:
        self._open_callback_queries.add(query["id"])
        message = query.get("message")
        if message and self.message(message["chat"]["id"], message["message_id"]) is None:
            self._store_message(json.loads(json.dumps(message)))

    def _observe_membership(self, change: JSONDict) -> None:
        if change["chat"]["type"] != "private":
            return
        if change["new_chat_member"]["status"] == "kicked":
            self.blocked_users.add(change["chat"]["id"])
        else:
            self.blocked_users.discard(change["chat"]["id"])

    def make_message_update(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str = "Ivan",
        language_code: str = "bg",
        last_name: str | None = None,
        username: str | None = None,
    ) -> JSONDict:
        """A private text message from a user; a leading /command gets a bot_command entity."""
        user = _user(user_id, first_name, language_code, last_name, username)
        message = self._incoming_message(user, text=text)
        command = re.match(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?", text)
        if command:
            entity = {"offset": 0, "length": _utf16_len(command.group()), "type": "bot_command"}
            message["entities"] = [entity]
        return {"message": message}

    def make_callback_update(
        self,
        user_id: int,
        data: str,
        *,
        message_id: int | None = None,
        first_name: str = "Ivan",
        language_code: str = "bg",
    ) -> JSONDict:
        """A button press on a bot message (by default the latest one sent to `user_id`)."""
        user = _user(user_id, first_name, language_code)
        message = self._callback_message(user, message_id)
        query = {
            "id": str(6_150_000_000_000_000_000 + next(self._ids)),
            "from": user,
            "message": message,
            "chat_instance": str(-4_700_000_000_000_000_000 - user_id),
            "data": data,
        }
        return {"callback_query": query}

    def make_location_update(
        self, user_id: int, lat: float, lon: float, *, first_name: str = "Ivan"
    ) -> JSONDict:
        user = _user(user_id, first_name, "bg")
        location = {"latitude": lat, "longitude": lon}
        return {"message": self._incoming_message(user, location=location)}

    def make_photo_update(
        self,
        user_id: int,
        file_id: str,
        *,
        width: int = 1280,
        height: int = 960,
        file_size: int = 123_456,
        caption: str | None = None,
        first_name: str = "Ivan",
    ) -> JSONDict:
        """A photo message; `file_id` is the largest size (the last one, as Telegram sends)."""
        user = _user(user_id, first_name, "bg")
        self._update_file_ids.add(file_id)
        content: JSONDict = {"photo": _photo_sizes(file_id, width, height, file_size)}
        if caption is not None:
            content["caption"] = caption
        return {"message": self._incoming_message(user, **content)}

    def make_contact_update(
        self, user_id: int, phone: str, *, first_name: str = "Ivan"
    ) -> JSONDict:
        """The user shares their own contact (a KeyboardButton with request_contact)."""
        user = _user(user_id, first_name, "bg")
        contact = {"phone_number": phone, "first_name": first_name, "user_id": user_id}
        return {"message": self._incoming_message(user, contact=contact)}

    def make_my_chat_member_update(
        self, user_id: int, new_status: str = "kicked", *, first_name: str = "Ivan"
    ) -> JSONDict:
        """The user blocked ("kicked") or restarted ("member") the bot in their private chat."""
        user = _user(user_id, first_name, "bg")
        old_status = "member" if new_status == "kicked" else "kicked"
        change = {
            "chat": _private_chat(user),
            "from": user,
            "date": _now(),
            "old_chat_member": _chat_member(self.bot_user, old_status),
            "new_chat_member": _chat_member(self.bot_user, new_status),
        }
        return {"my_chat_member": change}

    def make_group_migration_update(
        self, user_id: int, old_id: int, new_id: int, *, first_name: str = "Ivan"
    ) -> JSONDict:
        """The service message Telegram posts in the group `old_id` when `user_id` upgrades it
        to the supergroup `new_id` (`migrate_to_chat_id`); sends to the old id are refused
        from then on."""
        user = _user(user_id, first_name, "bg")
        message = self._incoming_message(user, migrate_to_chat_id=new_id)
        message["chat"] = {"id": old_id, "type": "group", "title": "Test group"}
        self.move_group(old_id, new_id)
        return {"message": message}

    def _incoming_message(self, user: JSONDict, **content: Any) -> JSONDict:
        return {
            "message_id": next(self._message_ids),
            "from": user,
            "chat": _private_chat(user),
            "date": _now(),
            **content,
        }

    def _callback_message(self, user: JSONDict, message_id: int | None) -> JSONDict:
        chat_key = str(user["id"])
        if message_id is None:
            message_id = self._last_bot_message_id(chat_key)
        stored = self._messages.get((chat_key, message_id)) if message_id else None
        if stored is not None:
            return json.loads(json.dumps(stored))
        return {
            "message_id": message_id or next(self._message_ids),
            "from": self.bot_user,
            "chat": _private_chat(user),
            "date": _now(),
            "text": "…",
        }

    def _last_bot_message_id(self, chat_key: str) -> int | None:
        ids = [
            message_id
            for (key, message_id), message in self._messages.items()
            if key == chat_key and message["from"]["id"] == self.bot_id
        ]
        return max(ids, default=None)

    # ---- HTTP layer -------------------------------------------------------------------------

    async def _handle_method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error_response(BotAPIError(401, "Unauthorized"))
        method = self.spec.canonical_method(request.match_info["method"])
        if method is None:
            return self._reject(None, [f"unknown method '{request.match_info['method']}'"])
        try:
            params, files, names = await self._read_params(request, method)
        except ValueError as exc:
            return self._reject(method, [str(exc)])
        problems = self.validator.validate(method, params, files)
        if problems:
            return self._reject(method, problems)
        return await self._dispatch(Call(method, params, files, names))

    def _reject(self, method: str | None, problems: list[str]) -> web.Response:
        prefix = f"{method}: " if method else ""
        self.violations.extend(prefix + problem for problem in problems)
        self._changed.notify()
        return _error_response(BotAPIError(400, f"Bad Request: {'; '.join(problems)}"))

    async def _read_params(
        self, request: web.Request, method: str
    ) -> tuple[JSONDict, dict[str, bytes], dict[str, str]]:
        raw: JSONDict = dict(request.query)
        files: dict[str, bytes] = {}
        names: dict[str, str] = {}
        if request.content_type == "application/json" and request.can_read_body:
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("a JSON body must be an object")
            raw.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[key] = value.file.read()
                    names[key] = value.filename
                else:
                    raw[key] = value.decode() if isinstance(value, bytes | bytearray) else value
        fields = self.spec.method_fields(method)
        params = {
            key: decode_param(value, fields[key]["types"] if key in fields else None)
            for key, value in raw.items()
        }
        return params, files, names

    async def _dispatch(self, call: Call) -> web.Response:
        try:
            self._admit(call)
            result = await self._run_handler(call)
        except BotAPIError as error:
            self.failed_calls.append(call)
            self._changed.notify()
            return _error_response(error)
        self.calls.append(call)
        self._changed.notify()
        return web.json_response({"ok": True, "result": result})

    def _admit(self, call: Call) -> None:
        faults = self._faults.get(call.method)
        if faults and faults[0].after:
            faults[0].after -= 1
        elif faults:
            fault = faults.popleft()
            raise BotAPIError(fault.status, fault.description, retry_after=fault.retry_after)
        if call.method in SEND_METHODS:
            wait = self._over_rate_limit()
            if wait is not None:
                self.rate_limited += 1
                retry_after: float = max(0.001, round(wait, 3)) if self._exact_retry_after else 1
                raise BotAPIError(
                    429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
                )

    def _over_rate_limit(self) -> float | None:
        """None: the send may go; else the seconds until the window has room."""
        if not self._rate_per_second:
            return None
        window = self._rate_window or max(1.0, 1.0 / self._rate_per_second)
        capacity = max(1, int(self._rate_per_second * window))
        now = self.clock()
        while self._send_times and self._send_times[0] <= now - window:
            self._send_times.popleft()
        if len(self._send_times) >= capacity:
            return self._send_times[0] + window - now
        self._send_times.append(now)
        return None

    async def _run_handler(self, call: Call) -> Any:
        handler = self._custom_handlers.get(call.method) or self._builtin_handler(call.method)
        if handler is None:
            if self.spec.returns(call.method) == ["Boolean"]:
                return True
            raise BotAPIError(
                501,
                f"Not Implemented: FakeBotAPI has no result for {call.method}; "
                "use FakeBotAPI.set_handler()",
            )
        result = handler(call)
        return await result if inspect.isawaitable(result) else result

    def _builtin_handler(self, method: str) -> Handler | None:
        handlers: dict[str, Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "copyMessage": self._copy_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "getFile": self._get_file,
            "sendChatAction": self._send_chat_action,
        }
        return handlers.get(method)

    async def _handle_download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error_response(BotAPIError(401, "Unauthorized"))
        file_path = request.match_info["file_path"]
        for content, path in self._files.values():
            if path == file_path:
                self.downloads.append(file_path)
                return web.Response(body=content, content_type="application/octet-stream")
        return _error_response(BotAPIError(404, "Not Found"))

    # ---- method implementations -------------------------------------------------------------

    def _get_me(self, call: Call) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, call: Call) -> list[JSONDict]:
        if self._webhook:
            raise BotAPIError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        params = call.params
        if "allowed_updates" in params:
            self._allowed_updates = list(params["allowed_updates"])
        self._confirm(int(params.get("offset", 0)))
        self._poll_generation += 1
        generation = self._poll_generation
        self._changed.notify()
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        await self._wait_for_updates(generation, float(params.get("timeout", 0)))
        if generation != self._poll_generation:
            raise BotAPIError(409, DEFAULT_DESCRIPTIONS[409])
        return self._deliverable()[:limit]

    async def _wait_for_updates(self, generation: int, timeout: float) -> None:
        def ready() -> bool:
            superseded = generation != self._poll_generation
            return superseded or self._closing or bool(self._deliverable())

        if timeout <= 0 or ready():
            return
        self._waiting_polls += 1
        self._changed.notify()
        try:
            await self._changed.wait_for(ready, timeout)
        except TimeoutError:
            return
        finally:
            self._waiting_polls -= 1

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            kept = self._updates[offset:]
            if len(kept) < len(self._updates):
                self._confirmed_offset = max(
                    self._confirmed_offset, self._updates[-len(kept) - 1]["update_id"] + 1
                )
            self._updates = kept
        elif offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._confirmed_offset = max(self._confirmed_offset, offset)

    def _deliverable(self) -> list[JSONDict]:
        allowed = self._allowed_update_types()
        self._updates = [u for u in self._updates if _update_type(u) in allowed]
        return list(self._updates)

    def _allowed_update_types(self) -> frozenset[str]:
        if self._allowed_updates:
            return frozenset(self._allowed_updates)
        return self.spec.update_types - DEFAULT_EXCLUDED_UPDATES

    def _send_message(self, call: Call) -> JSONDict:
        params = call.params
        self._ensure_reachable(params["chat_id"])
        content = _pick(params, "text", "entities", "link_preview_options")
        return self._new_bot_message(params["chat_id"], content, params.get("reply_markup"))

    def _send_photo(self, call: Call) -> JSONDict:
        params = call.params
        self._ensure_reachable(params["chat_id"])
        photo = call.files.get("photo")
        if photo is not None:
            file_id = f"AgACAgIAAxkDAAI{next(self._ids):08d}"
            self.add_file(file_id, photo, file_path=f"photos/file_{next(self._ids)}.jpg")
            sizes = _photo_sizes(file_id, 1280, 960, len(photo))
        else:  # by file_id: one Telegram knows (uploaded, or in an update it sent us)
            file_id = str(params["photo"])
            if file_id not in self._files and file_id not in self._update_file_ids:
                raise BotAPIError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            known = self._files.get(file_id)
            sizes = _photo_sizes(file_id, 1280, 960, len(known[0]) if known else 0)
        content = {"photo": sizes, **_pick(params, "caption", "caption_entities")}
        return self._new_bot_message(params["chat_id"], content, params.get("reply_markup"))

    def _send_document(self, call: Call) -> JSONDict:
        params = call.params
        self._ensure_reachable(params["chat_id"])
        upload = call.files.get("document")
        if upload is not None:
            file_id = f"BQACAgIAAxkDAAI{next(self._ids):08d}"
            name = call.file_names.get("document") or "document"
            self.add_file(file_id, upload, file_path=f"documents/file_{next(self._ids)}")
            document: JSONDict = {"file_name": name, "file_size": len(upload)}
            mime_type = mimetypes.guess_type(name)[0]
            if mime_type:
                document["mime_type"] = mime_type
        else:
            file_id = str(params["document"])
            known = self._files.get(file_id)
            document = {"file_size": len(known[0])} if known else {}
        document.update(file_id=file_id, file_unique_id=_unique_id(file_id))
        content = {"document": document, **_pick(params, "caption", "caption_entities")}
        return self._new_bot_message(params["chat_id"], content, params.get("reply_markup"))

    def _copy_message(self, call: Call) -> JSONDict:
        params = call.params
        self._ensure_reachable(params["chat_id"])
        source = self.message(params["from_chat_id"], params["message_id"])
        if source is None:
            raise BotAPIError(400, "Bad Request: message to copy not found")
        content = {k: v for k, v in source.items() if k not in _ENVELOPE_KEYS}
        content.update(_pick(params, "caption", "caption_entities"))
        message = self._new_bot_message(params["chat_id"], content, params.get("reply_markup"))
        return {"message_id": message["message_id"]}

    def _edit_message_text(self, call: Call) -> JSONDict | bool:
        params = call.params
        if "inline_message_id" in params:
            return True
        message = self._editable_message(params)
        if "text" not in message:
            raise BotAPIError(400, "Bad Request: there is no text in the message to edit")
        markup = _inline_markup(params.get("reply_markup"))
        if message["text"] == params["text"] and message.get("reply_markup") == markup:
            raise BotAPIError(400, NOT_MODIFIED)
        message["text"] = params["text"]
        _set_optional(message, "entities", params.get("entities"))
        return self._finish_edit(message, markup)

    def _edit_message_reply_markup(self, call: Call) -> JSONDict | bool:
        params = call.params
        if "inline_message_id" in params:
            return True
        message = self._editable_message(params)
        markup = _inline_markup(params.get("reply_markup"))
        if message.get("reply_markup") == markup:
            raise BotAPIError(400, NOT_MODIFIED)
        return self._finish_edit(message, markup)

    def _editable_message(self, params: JSONDict) -> JSONDict:
        message = self.message(params["chat_id"], params["message_id"])
        if message is None:
            raise BotAPIError(400, "Bad Request: message to edit not found")
        if message["from"]["id"] != self.bot_id:
            raise BotAPIError(400, "Bad Request: message can't be edited")
        return message

    def _finish_edit(self, message: JSONDict, markup: JSONDict | None) -> JSONDict:
        _set_optional(message, "reply_markup", markup)
        message["edit_date"] = _now()
        return json.loads(json.dumps(message))

    def _answer_callback_query(self, call: Call) -> bool:
        query_id = call.params["callback_query_id"]
        if query_id not in self._open_callback_queries:
            raise BotAPIError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._open_callback_queries.discard(query_id)
        return True

    def _set_webhook(self, call: Call) -> bool:
        url = call.params["url"]
        if not url:
            self._webhook = None
            return True
        if not url.startswith("https://"):
            raise BotAPIError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        if call.params.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = {
            "url": url,
            "max_connections": call.params.get("max_connections", 40),
            "has_custom_certificate": "certificate" in call.files,
            **_pick(call.params, "allowed_updates", "secret_token", "ip_address"),
        }
        return True

    def _delete_webhook(self, call: Call) -> bool:
        self._webhook = None
        if call.params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, call: Call) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook:
            info.update(_pick(self._webhook, "max_connections", "allowed_updates", "ip_address"))
            info["has_custom_certificate"] = self._webhook["has_custom_certificate"]
        return info

    def _set_my_commands(self, call: Call) -> bool:
        key = _commands_key(call.params)
        commands = list(call.params["commands"])
        if commands:
            self._commands[key] = commands
        else:
            self._commands.pop(key, None)
        return True

    def _delete_my_commands(self, call: Call) -> bool:
        self._commands.pop(_commands_key(call.params), None)
        return True

    def _get_my_commands(self, call: Call) -> list[JSONDict]:
        return list(self._commands.get(_commands_key(call.params), []))

    def _get_file(self, call: Call) -> JSONDict:
        file_id = call.params["file_id"]
        if file_id not in self._files:
            raise BotAPIError(400, "Bad Request: invalid file_id")
        content, path = self._files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": _unique_id(file_id),
            "file_size": len(content),
            "file_path": path,
        }

    def _send_chat_action(self, call: Call) -> bool:
        self._ensure_reachable(call.params["chat_id"])
        return True

    # ---- message store ----------------------------------------------------------------------

    def _ensure_reachable(self, chat_id: int | str) -> None:
        if chat_id in self.blocked_users:
            raise BotAPIError(403, "Forbidden: bot was blocked by the user")
        if isinstance(chat_id, int) and chat_id in self.moved_groups:
            raise BotAPIError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=self.moved_groups[chat_id],
            )
        if isinstance(chat_id, int) and chat_id in self.lost_chats:
            raise BotAPIError(*self.lost_chats[chat_id])

    def _new_bot_message(
        self, chat_id: int | str, content: JSONDict, reply_markup: Any
    ) -> JSONDict:
        message: JSONDict = {
            "message_id": next(self._message_ids),
            "from": self.bot_user,
            "chat": self._chat(chat_id),
            "date": _now(),
            **content,
        }
        _set_optional(message, "reply_markup", _inline_markup(reply_markup))
        self._store_message(message)
        return json.loads(json.dumps(message))

    def _store_message(self, message: JSONDict) -> None:
        self._messages[(str(message["chat"]["id"]), message["message_id"])] = message

    def _chat(self, chat_id: int | str) -> JSONDict:
        if isinstance(chat_id, str):
            username = chat_id.lstrip("@")
            return {
                "id": _channel_id(username),
                "type": "channel",
                "title": username,
                "username": username,
            }
        if chat_id < 0:
            kind = "supergroup" if str(chat_id).startswith("-100") else "group"
            return {"id": chat_id, "type": kind, "title": "Test group"}
        user = self._users.get(chat_id)
        return _private_chat(user) if user else {"id": chat_id, "type": "private"}


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------

_ENVELOPE_KEYS = frozenset(
    {"message_id", "from", "chat", "date", "edit_date", "reply_markup", "entities"}
)


def _channel_id(username: str) -> int:
    return -1_001_000_000_000 - sum(username.encode())


def _now() -> int:
    return int(time.time())


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _short(params: JSONDict) -> str:
    text = ", ".join(f"{key}={value!r}" for key, value in params.items())
    return text if len(text) <= 80 else text[:77] + "..."


def _pick(source: JSONDict, *keys: str) -> JSONDict:
    return {key: source[key] for key in keys if key in source}


def _set_optional(target: JSONDict, key: str, value: Any) -> None:
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value


def _inline_markup(markup: Any) -> JSONDict | None:
    """Messages only carry inline keyboards; reply keyboards are not echoed back."""
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        return markup
    return None


def _update_type(update: JSONDict) -> str:
    return next((key for key in update if key != "update_id"), "")


def _default_description(status: int, retry_after: float | None) -> str:
    if status == 429:
        return f"Too Many Requests: retry after {retry_after}"
    return DEFAULT_DESCRIPTIONS.get(status, "Internal Server Error")


def _error_response(error: BotAPIError) -> web.Response:
    body: JSONDict = {"ok": False, "error_code": error.status, "description": error.description}
    if error.retry_after is not None:
        body["parameters"] = {"retry_after": error.retry_after}
    if error.migrate_to_chat_id is not None:
        body["parameters"] = {"migrate_to_chat_id": error.migrate_to_chat_id}
    return web.json_response(body, status=error.status)


def _scope_key(scope: JSONDict | None) -> str:
    return json.dumps(scope or {"type": "default"}, sort_keys=True)


def _commands_key(params: JSONDict) -> tuple[str, str]:
    return _scope_key(params.get("scope")), params.get("language_code", "")


def _unique_id(file_id: str) -> str:
    return "AQAD" + file_id[-12:]


def _user(
    user_id: int,
    first_name: str,
    language_code: str,
    last_name: str | None = None,
    username: str | None = None,
) -> JSONDict:
    user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
    optional = {"last_name": last_name, "username": username, "language_code": language_code}
    user.update({key: value for key, value in optional.items() if value})
    return user


def _private_chat(user: JSONDict) -> JSONDict:
    chat = {"id": user["id"], "first_name": user["first_name"], "type": "private"}
    chat.update(_pick(user, "last_name", "username"))
    return chat


def _chat_member(user: JSONDict, status: str) -> JSONDict:
    member: JSONDict = {"user": user, "status": status}
    if status == "kicked":
        member["until_date"] = 0
    return member


def _photo_sizes(file_id: str, width: int, height: int, file_size: int) -> list[JSONDict]:
    """Thumbnails first and the original (`file_id`) last, as Telegram sends them."""
    sizes = []
    for index, side in enumerate((90, 320, 800)):
        if max(width, height) <= side:
            break
        scale = side / max(width, height)
        thumb_id = f"{file_id}_{index}"
        sizes.append(
            {
                "file_id": thumb_id,
                "file_unique_id": _unique_id(thumb_id),
                "width": max(1, round(width * scale)),
                "height": max(1, round(height * scale)),
                "file_size": max(1, file_size * side // max(width, height) // 8),
            }
        )
    original = {"file_id": file_id, "file_unique_id": _unique_id(file_id)}
    sizes.append({**original, "width": width, "height": height, "file_size": file_size})
    return sizes
