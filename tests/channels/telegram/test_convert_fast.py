"""`text_message` (a plain text update read from its JSON) gives exactly what PTB's `Update`
and `to_incoming` give, or leaves the update to them."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import Update

from bot.channels.telegram.convert import MalformedUpdate, text_message, to_incoming
from bot.core.messages import IncomingMessage
from tests.channels.telegram.conftest import fixture_names, load_update
from tests.fuzz.values import integers, lone_surrogates, mutated, texts

MALFORMED, UNPARSED = "malformed", "not an update PTB parses"


def through_ptb(data: dict[str, Any]) -> IncomingMessage | str | None:
    try:
        update = Update.de_json(copy.deepcopy(data), None)
    except Exception:
        return UNPARSED
    try:
        return to_incoming(update)
    except MalformedUpdate:
        return MALFORMED


def from_json(data: dict[str, Any]) -> IncomingMessage | str | None:
    try:
        return text_message(copy.deepcopy(data))
    except MalformedUpdate:
        return MALFORMED


@pytest.mark.parametrize("name", fixture_names())
def test_the_fixtures_give_what_ptb_gives(name: str):
    data = load_update(name)
    fast = from_json(data)
    if fast is not None:
        assert fast == through_ptb(data)


@pytest.mark.parametrize(
    "name", ["text", "text_cyrillic_emoji", "command_args", "command_botname", "start_plain"]
)
def test_plain_texts_and_commands_are_read_without_ptb(name: str):
    data = load_update(name)
    assert isinstance(from_json(data), IncomingMessage)


ENTITY = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["bot_command", "bold", "url", "mention"]),
        "offset": st.one_of(st.just(0), integers()),
        "length": st.one_of(st.integers(0, 30), integers()),
    }
)
TEXTS = st.one_of(
    texts(huge=0),
    st.sampled_from(["/help", "/start", "/start x", "/Report@bot ул. 5", "/", "/👍 a", "a\x00b"]),
    lone_surrogates(),
)


@st.composite
def text_updates(draw: st.DrawFn) -> dict[str, Any]:
    user = draw(st.sampled_from([284716934, 2**62, 2**63, -(2**63) - 1]))
    sender: dict[str, Any] = {"id": user, "is_bot": draw(st.booleans()), "first_name": "И"}
    language = draw(st.sampled_from([None, "bg", "en", "", 5]))
    if language is not None:
        sender["language_code"] = language
    message: dict[str, Any] = {
        "message_id": 7,
        "date": draw(st.sampled_from([1764223301, 0, -1, 2**40])),
        "chat": {"id": user, "type": draw(st.sampled_from(["private", "group"]))},
        "from": sender,
        "text": draw(TEXTS),
    }
    if draw(st.booleans()):
        message["entities"] = draw(st.lists(ENTITY, max_size=3))
    update = {"update_id": draw(st.sampled_from([1, 2**31, 2**63])), "message": message}
    return draw(mutated(update)) if draw(st.booleans()) else update


@settings(max_examples=600, deadline=None)
@given(text_updates())
def test_generated_updates_give_what_ptb_gives(data: Any):
    if not isinstance(data, dict):
        return
    fast = from_json(data)
    if fast is not None:
        assert fast == through_ptb(data)
