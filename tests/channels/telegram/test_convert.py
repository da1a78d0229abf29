"""Real update payloads in → the exact neutral message out (or nothing)."""

from __future__ import annotations

import pytest
from telegram import Update

from bot.channels.telegram.convert import to_incoming
from bot.core.messages import Address, IncomingMessage, Kind, MediaRef
from tests.channels.telegram.conftest import fixture_names, load_update
from tests.fakes.telegram_api import ApiSpec, SpecValidator

IVAN = Address("telegram", "284716934")
MARIA = Address("telegram", "519283746")


def ivan(update_id: int, kind: Kind, **fields: object) -> IncomingMessage:
    return IncomingMessage(
        address=IVAN, kind=kind, language="bg", external_id=str(update_id), **fields
    )


def maria(update_id: int, kind: Kind, **fields: object) -> IncomingMessage:
    return IncomingMessage(
        address=MARIA, kind=kind, language="en", external_id=str(update_id), **fields
    )


EXPECTED: dict[str, IncomingMessage | None] = {
    "text": ivan(813402101, Kind.TEXT, text="Има дупка на пътя"),
    "text_cyrillic_emoji": maria(813402102, Kind.TEXT, text="Благодаря! 👍🏻 Работи 🇧🇬"),
    "command_args": ivan(
        813402103,
        Kind.COMMAND,
        text="/Report  ул. Граф Игнатиев 5 ",
        command="report",
        args="ул. Граф Игнатиев 5",
    ),
    "command_botname": ivan(
        813402104, Kind.COMMAND, text="/help@citizen_test_bot", command="help", args=""
    ),
    "start_plain": maria(813402105, Kind.STARTED, payload=None),
    "start_deep_link": maria(813402106, Kind.STARTED, payload="poster-lozenets_42"),
    "callback_query": maria(813402107, Kind.BUTTON, payload="lang:en"),
    "location": ivan(813402108, Kind.LOCATION, location=(42.697708, 23.321868)),
    "photo": ivan(
        813402109,
        Kind.PHOTO,
        text="Счупена пейка",
        photo=MediaRef("telegram", "AgACAgIAAxkBAAIBbWdH0_xl1280", size=164732),
    ),
    "document_image": ivan(
        813402110,
        Kind.PHOTO,
        photo=MediaRef("telegram", "BQACAgIAAxkBAAIBcGdH1png", size=2345678, mime_type="image/png"),
    ),
    "contact_own": ivan(813402112, Kind.CONTACT, phone="359888123456"),
    "my_chat_member_kicked": maria(813402114, Kind.STOPPED),
    # Unsupported content still reaches the dispatcher (an empty TEXT), so it gets an answer.
    "document_pdf": ivan(813402111, Kind.UNSUPPORTED),
    "contact_other": ivan(813402113, Kind.UNSUPPORTED),
    "sticker": maria(813402117, Kind.UNSUPPORTED),
    "voice": ivan(813402118, Kind.UNSUPPORTED),
    "edited_message": ivan(813402119, Kind.UNSUPPORTED),
    # A command in a group: the sender's, with the group's id (only team-chat routes take it).
    "group_message": ivan(
        813402116,
        Kind.COMMAND,
        text="/help@citizen_test_bot",
        command="help",
        args="",
        chat="-1001876543210",
    ),
    # A group upgraded to a supergroup (a service message): its old and its new id, so a team
    # chat's link follows at once.
    "group_migrated": ivan(
        813402120, Kind.CHAT_MOVED, chat="-4087654321", payload="-1002087654321"
    ),
    # Nothing the citizen said: skipped.
    "my_chat_member_restarted": None,
    "edited_live_location": None,
    "auto_delete_timer": None,
    "channel_post": None,
    "callback_query_game": None,
}


def test_every_fixture_has_an_expectation():
    assert sorted(EXPECTED) == fixture_names()


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # PTB's own
def test_update_to_incoming_message(name: str):
    update = Update.de_json(load_update(name), None)
    assert to_incoming(update) == EXPECTED[name]


@pytest.mark.parametrize("name", fixture_names())
def test_fixtures_follow_the_bot_api(name: str):
    validator = SpecValidator(ApiSpec.load())
    assert validator.check_value(load_update(name), ["Update"], "update") == []


def test_user_without_language_code():
    data = load_update("text")
    del data["message"]["from"]["language_code"]
    msg = to_incoming(Update.de_json(data, None))
    assert msg is not None and msg.language is None


def test_command_entity_must_be_at_the_start():
    data = load_update("text")
    data["message"]["text"] = "see /help"
    data["message"]["entities"] = [{"offset": 4, "length": 5, "type": "bot_command"}]
    assert to_incoming(Update.de_json(data, None)) == ivan(813402101, Kind.TEXT, text="see /help")


def test_message_from_another_bot_is_skipped():
    data = load_update("text")
    data["message"]["from"]["is_bot"] = True
    assert to_incoming(Update.de_json(data, None)) is None
