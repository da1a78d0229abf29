"""Every staff and admin command and button, enumerated from the router, refuses a citizen."""

from __future__ import annotations

import pytest

from bot.core.messages import IncomingMessage, Kind
from handlers import build_router
from storage.models import Role

REFUSAL = "Тази команда е само за служители на общината."

PRIVILEGED = sorted(
    (r for r in build_router().routes() if r.role.at_least(Role.STAFF)),
    key=lambda r: r.name,
)


def test_there_are_privileged_routes():
    names = {r.name for r in PRIVILEGED}
    assert {"command:stats", "command:reports"} <= names


@pytest.mark.parametrize(
    "route", [r for r in PRIVILEGED if r.category in ("command", "button")], ids=lambda r: r.name
)
async def test_each_privileged_route_refuses_a_citizen(route, bot_factory):
    from tests.conftest import recording_channel

    chat = recording_channel()
    await bot_factory([chat])
    await chat.say("/start", user="citizen")
    await chat.tap("Български", user="citizen")
    address = chat.address("citizen")
    if route.category == "command":
        msg = IncomingMessage(address, Kind.COMMAND, command=route.key, text=f"/{route.key} 1")
    else:
        msg = IncomingMessage(address, Kind.BUTTON, payload=f"{route.key}:1:new")
    replies = await chat.push(msg)
    assert [r.text for r in replies] == [REFUSAL]
