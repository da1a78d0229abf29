"""Fuzzing the Telegram path: generated updates POSTed to the real bot's webhook.

Every update goes the whole way: our aiohttp route, python-telegram-bot's parser, convert.py,
the dispatcher and the handlers, and the replies to the fake Bot API, which checks each request
against the Bot API 10.0 spec. One bot serves all the examples of a test, so the citizens'
conversations move on from one example to the next (their button taps come from the keyboards
the bot really showed them).

What must hold for every update:
* the webhook answers 200 for an update (a malformed one is dropped), a 4xx for a body that is
  not one, never a 5xx;
* nothing is logged at ERROR or with a traceback (an unexpected exception, handled or not);
* the bot's requests follow the Bot API;
* an update a citizen sent in a private chat is answered, in that chat; anything else (a
  group, a channel, another bot, a service message, an update type the bot does not use)
  is skipped without a word; a callback query is always answered (answerCallbackQuery).
"""

from __future__ import annotations

import functools
import io
import json
from typing import Any, TypeVar

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from PIL import Image
from telegram.constants import MessageAttachmentType

from bot.channels.telegram.convert import ALLOWED_UPDATES
from tests.fakes.telegram_api import ApiSpec, SpecValidator
from tests.fuzz.botapi_strategies import BotApiStrategies, load_spec
from tests.fuzz.conftest import FUZZ, SECRET, TELEGRAM_USERS, TelegramBot, problems_logged
from tests.fuzz.values import cut, dumps, integers, json_values, mutated, not_json, texts

pytestmark = pytest.mark.filterwarnings(
    # successful_payment as an attachment, python-telegram-bot's own deprecation
    "ignore::telegram.warnings.PTBDeprecationWarning"
)

JSONDict = dict[str, Any]
SPEC = load_spec()
SENDS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "copyMessage"})
# What a citizen can say in a message; anything else in a message is a service message.
CONTENT = frozenset({"text", *(kind.value for kind in MessageAttachmentType)})
BOT_USERNAME = "citizen_test_bot"
JPEG_ID, PNG_ID, NOT_AN_IMAGE_ID = "AgACAgFuzzJPEG0001", "BQACAgFuzzPNG0002", "BQACAgFuzzBIN0003"

ANSWERED, SKIPPED = "answered", "skipped"
_T = TypeVar("_T")


# -- the oracle -------------------------------------------------------------------------------


def expected(update: JSONDict) -> tuple[str, int | None]:
    """What the bot must do with a well-formed update: answer the citizen, or skip it."""
    query = update.get("callback_query")
    if query is not None:
        chat = (query.get("message") or {}).get("chat") or {"type": "private"}
        if "data" in query and chat["type"] == "private":
            return ANSWERED, query["from"]["id"]
        return SKIPPED, None
    for key in ("message", "edited_message"):
        message = update.get(key)
        if message is None:
            continue
        sender = message.get("from")
        if message["chat"]["type"] != "private" or sender is None or sender["is_bot"]:
            return SKIPPED, None
        if key == "edited_message":  # an edit is answered; a live location's move is not
            return (SKIPPED, None) if "location" in message else (ANSWERED, sender["id"])
        said = "text" in message or any(message.get(k) not in (None, []) for k in CONTENT)
        return (ANSWERED, sender["id"]) if said else (SKIPPED, None)
    return SKIPPED, None  # my_chat_member (blocking the bot), channel posts, polls, ...


def check_outcome(bot: TelegramBot, update: JSONDict, status: int, caplog: Any) -> None:
    assert status == 200, f"webhook answered {status}"
    assert problems_logged(caplog.records) == []
    assert bot.violations_since_mark() == []
    calls = bot.calls_since_mark()
    sends = [c for c in calls if c.method in SENDS]
    outcome, chat_id = expected(update)
    event(f"{outcome}: {next(k for k in update if k != 'update_id')}")
    if outcome == ANSWERED:
        assert sends, "the citizen got no answer"
        assert {int(c.params["chat_id"]) for c in sends} == {chat_id}
    else:
        assert sends == [], f"a skipped update was answered: {[c.params for c in sends]}"
    if "callback_query" in update:
        answers = [c for c in calls if c.method == "answerCallbackQuery"]
        assert [c.params["callback_query_id"] for c in answers] == [update["callback_query"]["id"]]


async def deliver(bot: TelegramBot, update: JSONDict, caplog: Any) -> int:
    """POST a well-formed update as Telegram would (the fake learns it first, as it does for
    the updates it serves: the users, the open callback query)."""
    update["update_id"] = bot.new_update_id()
    bot.api.push_update(update)
    bot.mark()
    caplog.clear()
    status, _ = await bot.post(dumps(update))
    return status


@pytest.fixture
def bot(telegram_bot: TelegramBot) -> TelegramBot:
    """The bot, with the files citizens' photos and documents refer to known to the fake."""
    jpeg, png = io.BytesIO(), io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(jpeg, "JPEG")
    Image.new("RGBA", (40, 40), (0, 90, 200, 128)).save(png, "PNG")
    api = telegram_bot.api
    api.add_file(JPEG_ID, jpeg.getvalue(), file_path="photos/fuzz.jpg")
    api.add_file(PNG_ID, png.getvalue(), file_path="documents/fuzz.png")
    api.add_file(NOT_AN_IMAGE_ID, b"%PDF-1.4 not an image", file_path="documents/fuzz.pdf")
    return telegram_bot


# -- what citizens send -----------------------------------------------------------------------

GENERIC = BotApiStrategies(SPEC, max_depth=1, max_optional=2, strings=texts(huge=1))
LANGUAGES = st.sampled_from(["bg", "en", "bg", "en", "de", "ru", "en-US", "", "x" * 40])


@functools.cache
def users(ids: tuple[int, ...] = (), *, bots: bool = False) -> st.SearchStrategy[JSONDict]:
    """Users with one of `ids` (any id when none are given)."""
    return st.fixed_dictionaries(
        {
            "id": st.sampled_from(ids) if ids else st.integers(1, 2**40),
            "is_bot": st.just(True) if bots else st.just(False),
            "first_name": texts(huge=0, max_size=20),
        },
        optional={
            "last_name": texts(huge=0, max_size=20),
            "username": st.from_regex(r"[A-Za-z][A-Za-z0-9_]{4,31}", fullmatch=True),
            "language_code": LANGUAGES,
            "is_premium": st.just(True),
        },
    )


def private_chat(user: JSONDict) -> JSONDict:
    chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    if "username" in user:
        chat["username"] = user["username"]
    return chat


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@functools.cache
def command_texts(commands: tuple[str, ...]) -> st.SearchStrategy[JSONDict]:
    return _command_texts(commands)


@st.composite
def _command_texts(draw: st.DrawFn, commands: tuple[str, ...]) -> JSONDict:
    """A /command as Telegram sends it: the text and a bot_command entity at its start
    (sometimes an entity that does not fit the text, or none at all)."""
    name = draw(
        st.one_of(
            st.sampled_from(commands),
            st.sampled_from(commands).map(str.upper),
            st.from_regex(r"[A-Za-z0-9_]{1,32}", fullmatch=True),
        )
    )
    mention = draw(st.sampled_from(["", "", f"@{BOT_USERNAME}", "@other_bot"]))
    args = draw(
        st.one_of(
            st.just(""),
            st.sampled_from([" survey_1", " poster-lozenets_42", " SOF-2026-000001", " 1", " x"]),
            texts().map(lambda t: " " + t),
        )
    )
    command = f"/{name}{mention}"
    text = command + args
    entity = {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
    entity = draw(
        st.one_of(
            st.just(entity),
            st.just(entity),
            st.fixed_dictionaries(
                {
                    "type": st.just("bot_command"),
                    "offset": st.integers(0, 3),
                    "length": st.integers(0, utf16_len(text) + 3),
                }
            ),
            st.none(),
        )
    )
    content: JSONDict = {"text": text}
    if entity is not None:
        content["entities"] = [entity]
    return content


@functools.cache
def text_contents(commands: tuple[str, ...]) -> st.SearchStrategy[JSONDict]:
    typed = st.one_of(texts(), st.integers(0, 12).map(str))
    emoji_command = st.sampled_from(["😀/start", "/😀", "/"]).map(
        # an entity that splits a surrogate pair, or covers no name at all
        lambda text: {"text": text, "entities": [{"type": "bot_command", "offset": 0, "length": 1}]}
    )
    return st.one_of(typed.map(lambda text: {"text": text}), command_texts(commands), emoji_command)


@functools.cache
def locations() -> st.SearchStrategy[JSONDict]:
    return st.fixed_dictionaries(
        {
            "latitude": st.one_of(st.floats(42.6, 42.76), st.floats(-90, 90)),
            "longitude": st.one_of(st.floats(23.2, 23.45), st.floats(-180, 180)),
        },
        optional={
            "horizontal_accuracy": st.floats(0, 1500),
            "live_period": st.integers(60, 86_400),
            "heading": st.integers(1, 360),
        },
    )


@functools.cache
def photo_sizes() -> st.SearchStrategy[list[JSONDict]]:
    size = st.fixed_dictionaries(
        {
            "file_id": st.sampled_from([JPEG_ID, PNG_ID, NOT_AN_IMAGE_ID, "AgACAgUnknownFile"]),
            "file_unique_id": st.just("AQADfuzz"),
            "width": st.integers(0, 10_000),
            "height": st.integers(0, 10_000),
        },
        optional={"file_size": st.integers(0, 100_000_000)},
    )
    return st.lists(size, min_size=1, max_size=4)


@functools.cache
def documents() -> st.SearchStrategy[JSONDict]:
    return st.fixed_dictionaries(
        {
            "file_id": st.sampled_from([JPEG_ID, PNG_ID, NOT_AN_IMAGE_ID, "BQACAgUnknownDoc"]),
            "file_unique_id": st.just("AQADdoc"),
        },
        optional={
            "mime_type": st.sampled_from(
                ["image/jpeg", "image/png", "image/heic", "application/pdf", "", "image/"]
            ),
            "file_name": texts(huge=0, max_size=30),
            "file_size": st.integers(0, 100_000_000),
        },
    )


@functools.cache
def contacts(user_id: int) -> st.SearchStrategy[JSONDict]:
    return st.fixed_dictionaries(
        {
            "phone_number": st.one_of(
                st.sampled_from(["359888123456", "+359 88 812 3456", "", " ", "00"]), texts()
            ),
            "first_name": texts(huge=0, max_size=20),
        },
        optional={"user_id": st.sampled_from([user_id, user_id, 1]), "vcard": texts()},
    )


# Message fields that are neither its envelope nor what it says: replies, forwards,
# service messages (pins, timers, shared users...).
_ENVELOPE = {"message_id", "from", "chat", "date", "text", "entities", "caption"}
OTHER_FIELDS = tuple(
    sorted(
        f["name"]
        for f in SPEC["types"]["Message"]["fields"]
        if f["name"] not in _ENVELOPE and f["name"] not in CONTENT
    )
)
ATTACHMENTS = tuple(sorted(CONTENT - {"text", "photo", "document", "location", "contact"}))


@functools.cache
def message_field(name: str) -> st.SearchStrategy[Any]:
    (field,) = (f for f in SPEC["types"]["Message"]["fields"] if f["name"] == name)
    return GENERIC.value(field["types"], owner="Message", field=field)


@functools.cache
def generic_fields(names: tuple[str, ...]) -> st.SearchStrategy[JSONDict]:
    return st.sampled_from(names).flatmap(
        lambda name: message_field(name).map(lambda value: {name: value})
    )


@functools.cache
def contents(user_id: int, commands: tuple[str, ...]) -> st.SearchStrategy[JSONDict]:
    caption = st.one_of(st.just({}), texts().map(lambda t: {"caption": t}))
    return st.one_of(
        text_contents(commands),
        text_contents(commands),
        locations().map(lambda loc: {"location": loc}),
        st.builds(lambda sizes, cap: {"photo": sizes, **cap}, photo_sizes(), caption),
        st.builds(lambda doc, cap: {"document": doc, **cap}, documents(), caption),
        contacts(user_id).map(lambda contact: {"contact": contact}),
        generic_fields(ATTACHMENTS),  # stickers, voice, video, polls, dice, venues, stories...
        generic_fields(OTHER_FIELDS),  # service messages, mostly
    )


@st.composite
def messages(
    draw: st.DrawFn,
    user: JSONDict,
    chat: JSONDict,
    content: st.SearchStrategy[JSONDict],
    *,
    edited: bool = False,
) -> JSONDict:
    message: JSONDict = {
        "message_id": draw(st.integers(1, 2**31 - 1)),
        "from": user,
        "chat": chat,
        "date": draw(st.integers(1_700_000_000, 1_900_000_000)),
        **draw(content),
    }
    if edited:
        message["edit_date"] = message["date"] + 60
    if draw(st.integers(0, 9)) == 0:  # a reply, a forward, a topic, ...
        message.update(draw(generic_fields(OTHER_FIELDS)))
    return message


@functools.cache
def callback_data(prefixes: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Button payloads: ours with any argument, and anything at all (up to 64 bytes and more)."""
    return st.one_of(
        st.sampled_from(["lang:bg", "lang:en", "menu:report", "menu:help", "menu:x", "nope"]),
        st.sampled_from(prefixes).flatmap(
            lambda prefix: st.one_of(
                st.just(prefix),
                st.integers(-5, 2**63).map(lambda n: f"{prefix}:{n}"),
                texts(huge=0, max_size=20).map(lambda t: f"{prefix}:{t}"),
            )
        ),
        st.text(max_size=70),
    )


@st.composite
def callback_queries(
    draw: st.DrawFn, user: JSONDict, payloads: tuple[str, ...], prefixes: tuple[str, ...]
) -> JSONDict:
    # Buttons the bot showed this citizen, the last ones or older (stale) ones, or any payload.
    data = pick(draw, payloads, callback_data(prefixes))
    query: JSONDict = {
        "id": str(draw(st.integers(1, 2**62))),
        "from": user,
        "chat_instance": str(draw(st.integers(-(2**62), 2**62))),
    }
    kind = draw(st.sampled_from(["data", "data", "data", "game", "inline"]))
    if kind == "data":
        query["data"] = data
    elif kind == "game":
        query["game_short_name"] = "fuzz"
    else:
        query["inline_message_id"] = "AgAAAFuzz"
        query["data"] = data
    if kind != "inline":
        chat = draw(
            st.sampled_from(
                [private_chat(user), {"id": -1001234567890, "type": "supergroup", "title": "G"}]
            )
        )
        if draw(st.booleans()):
            bot_user = {"id": 123456, "is_bot": True, "first_name": "Citizen Test Bot"}
            message = {"message_id": 1, "from": bot_user, "chat": chat, "date": 1_800_000_000}
            query["message"] = {**message, "text": "…"}
        else:  # too old for the bot to see: an InaccessibleMessage
            query["message"] = {"message_id": 2, "chat": chat, "date": 0}
    return {"callback_query": query}


def membership(user: JSONDict, chat: JSONDict) -> st.SearchStrategy[JSONDict]:
    bot_user = {"id": 123456, "is_bot": True, "first_name": "Citizen Test Bot"}

    def member(status: str) -> JSONDict:
        return {
            "user": bot_user,
            "status": status,
            **({"until_date": 0} if status == "kicked" else {}),
        }

    return st.sampled_from([("member", "kicked"), ("kicked", "member"), ("member", "left")]).map(
        lambda change: {
            "my_chat_member": {
                "chat": chat,
                "from": user,
                "date": 1_800_000_000,
                "old_chat_member": member(change[0]),
                "new_chat_member": member(change[1]),
            }
        }
    )


@st.composite
def realistic_updates(
    draw: st.DrawFn, bot: TelegramBot, commands: tuple[str, ...], prefixes: tuple[str, ...]
) -> JSONDict:
    user = draw(users(TELEGRAM_USERS))
    labels, payloads = shown_buttons(bot, user["id"])
    chat = private_chat(user)
    group = {
        "id": -1001987654321,
        "type": draw(st.sampled_from(["group", "supergroup"])),
        "title": "Квартал",
    }
    content = contents(user["id"], commands)
    label = pick(draw, labels, st.none())  # a reply-keyboard button sends its label
    kind = draw(
        st.sampled_from(
            ["message"] * 8
            + ["callback"] * 3
            + ["edited", "channel", "group", "from_bot", "membership", "group_membership"]
        )
    )
    if kind == "message":
        message = draw(messages(user, chat, content))
        if label is not None:
            message.update(text=label, entities=[])
        return {"message": message}
    if kind == "callback":
        return draw(callback_queries(user, payloads, prefixes))
    if kind == "edited":
        edit = st.one_of(text_contents(commands), locations().map(lambda loc: {"location": loc}))
        return {"edited_message": draw(messages(user, chat, edit, edited=True))}
    if kind == "channel":
        channel = {"id": -1001555000111, "type": "channel", "title": "Новини"}
        post = draw(messages(user, channel, content))
        del post["from"]
        post["sender_chat"] = channel
        return {draw(st.sampled_from(["channel_post", "edited_channel_post"])): post}
    if kind == "group":
        return {"message": draw(messages(user, group, content))}
    if kind == "from_bot":
        other_bot = draw(users(bots=True))
        return {"message": draw(messages(other_bot, private_chat(other_bot), content))}
    if kind == "membership":
        return draw(membership(user, chat))
    return draw(membership(user, group))


def pick(draw: st.DrawFn, shown: tuple[_T, ...], other: st.SearchStrategy[_T]) -> _T:
    """Mostly one of `shown` (what the bot showed: it changes as the conversation goes on),
    else one of `other`. The draws do not depend on `shown`, so Hypothesis can replay them."""
    index, value = draw(st.integers(0, 3 * 1024)), draw(other)
    return shown[index // 3 % len(shown)] if shown and index % 3 else value


def shown_buttons(bot: TelegramBot, chat_id: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The reply-keyboard labels of the last keyboard sent to `chat_id`, and the payloads of
    every inline button it was ever shown."""
    labels: list[str] = []
    payloads: list[str] = []
    for call in bot.api.calls:
        if call.method not in SENDS or str(call.params.get("chat_id")) != str(chat_id):
            continue
        markup = call.params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        if not isinstance(markup, dict):
            continue
        for row in markup.get("inline_keyboard", []):
            payloads += [b["callback_data"] for b in row if "callback_data" in b]
        if "keyboard" in markup:
            labels = [
                b["text"] if isinstance(b, dict) else b for r in markup["keyboard"] for b in r
            ]
    return tuple(labels), tuple(sorted(set(payloads)))


def route_keys(bot: TelegramBot, category: str) -> tuple[str, ...]:
    return tuple(
        sorted({r.key for r in bot.app.dispatcher.router.routes() if r.category == category})
    )


# -- the properties ---------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
async def test_what_citizens_send_is_answered_and_the_rest_skipped(
    bot: TelegramBot, caplog: pytest.LogCaptureFixture, data: st.DataObject
):
    commands, prefixes = route_keys(bot, "command"), route_keys(bot, "button")
    update = data.draw(realistic_updates(bot, commands, prefixes), label="update")
    status = await deliver(bot, update, caplog)
    check_outcome(bot, update, status, caplog)


def _generic_updates() -> st.SearchStrategy[JSONDict]:
    ids = st.one_of(st.sampled_from(TELEGRAM_USERS), st.integers(1, 2**52))
    builder = BotApiStrategies(
        SPEC,
        max_depth=2,
        max_optional=3,
        strings=texts(huge=1),
        overrides={
            "User.id": ids,
            "User.is_bot": st.sampled_from([False, False, False, True]),
            "Chat.id": ids,
            "Chat.type": st.sampled_from(["private", "private", "group", "supergroup", "channel"]),
        },
        favoured={"Message": {"from"}, "CallbackQuery": {"data", "message"}},
    )
    others = [f["name"] for f in SPEC["types"]["Update"]["fields"] if f["name"] != "update_id"]
    return builder.update(kinds=[*ALLOWED_UPDATES, *ALLOWED_UPDATES, *others])


GENERIC_UPDATES = _generic_updates()


@FUZZ
@given(update=GENERIC_UPDATES)
async def test_any_update_the_spec_allows_is_answered_or_skipped(
    telegram_bot: TelegramBot, caplog: pytest.LogCaptureFixture, update: JSONDict
):
    status = await deliver(telegram_bot, update, caplog)
    check_outcome(telegram_bot, update, status, caplog)


def test_generated_updates_follow_the_spec():
    """The generator itself: what it draws is what the spec describes."""
    validator = SpecValidator(ApiSpec.load())

    @FUZZ
    @given(update=GENERIC_UPDATES)
    def check(update: JSONDict) -> None:
        assert validator.check_value(update, ["Update"], "update") == []

    check()


PLACEHOLDER_ID = -7  # replaced by a fresh update_id when a mutation left it in place


def malformed_bodies(realistic: st.SearchStrategy[JSONDict]) -> st.SearchStrategy[Any]:
    """JSON values (sent with a fresh update_id when they keep ours) or raw bodies."""
    updates = st.one_of(realistic, realistic, GENERIC_UPDATES).map(
        lambda u: {**u, "update_id": PLACEHOLDER_ID}
    )
    return st.one_of(
        updates.flatmap(mutated),  # a field removed, of the wrong type, ...
        updates.flatmap(mutated),
        updates.flatmap(mutated).flatmap(mutated),
        st.fixed_dictionaries(
            {"update_id": integers()},
            optional={"message": st.dictionaries(texts(huge=0), st.none())},
        ),
        json_values(),
        not_json(),
        updates.map(dumps).flatmap(cut),  # a body cut off
    )


@settings(FUZZ, max_examples=FUZZ.max_examples * 3 // 2)
@given(data=st.data())
async def test_malformed_updates_are_refused_or_skipped_never_a_server_error(
    bot: TelegramBot, caplog: pytest.LogCaptureFixture, data: st.DataObject
):
    realistic = realistic_updates(bot, route_keys(bot, "command"), route_keys(bot, "button"))
    body = data.draw(malformed_bodies(realistic), label="body")
    if isinstance(body, dict) and body.get("update_id") == PLACEHOLDER_ID:
        body["update_id"] = bot.new_update_id()
    bot.mark()
    caplog.clear()
    status, _ = await bot.post(body if isinstance(body, bytes) else dumps(body))
    event(f"status {status}")
    assert 200 <= status < 500 and status != 403, f"webhook answered {status}"
    assert problems_logged(caplog.records) == []
    assert bot.violations_since_mark() == []
    if status != 200:
        assert [c for c in bot.calls_since_mark() if c.method in SENDS] == []


@FUZZ
@given(
    body=st.one_of(GENERIC_UPDATES.map(dumps), not_json()),
    secret=st.one_of(
        st.none(),
        st.just(""),
        st.just(SECRET[:-1]),
        st.just(SECRET + "x"),
        st.just(SECRET.upper()),
        st.from_regex(r"[A-Za-z0-9_-]{1,256}", fullmatch=True).filter(lambda s: s != SECRET),
    ),
)
async def test_without_the_secret_nothing_is_processed(
    telegram_bot: TelegramBot, body: bytes, secret: str | None
):
    bot = telegram_bot
    bot.mark()
    status, _ = await bot.post(body, secret=secret)
    assert status == 403
    assert bot.calls_since_mark() == []
