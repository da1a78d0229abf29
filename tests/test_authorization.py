"""Every staff and admin command and button, enumerated from the router, refuses a citizen."""

from __future__ import annotations

import dataclasses
import typing

import pytest

from bot.core.messages import IncomingMessage, Kind
from bot.core.router import Route
from handlers import build_router
from storage.models import Role

REFUSALS = {
    Role.STAFF: "Тази команда е само за служители на общината.",
    Role.ADMIN: "Тази команда е само за администратори.",
}

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
        msg = IncomingMessage(address, Kind.BUTTON, payload=sample_payload(route))
    replies = await chat.push(msg)
    assert [r.text for r in replies] == [REFUSALS[route.role]]


def sample_payload(route: Route) -> str:
    """A payload the route takes: a typed one (ButtonData) must parse to reach the role check."""
    if route.data is None:
        return f"{route.key}:1:new"
    hints = typing.get_type_hints(route.data)
    samples = {int: 1, str: "new", bool: True}
    values = {f.name: samples[hints[f.name]] for f in dataclasses.fields(route.data)}
    return route.data(**values).pack()


ADMIN_ONLY = [r for r in PRIVILEGED if r.role is Role.ADMIN and r.category in ("command", "button")]


def test_admin_commands_include_the_ones_staff_try():
    assert {"command:grant", "command:ban", "command:audit"} <= {r.name for r in ADMIN_ONLY}


async def test_staff_typing_an_admin_command_are_told_it_is_for_admins(bot_factory, db):
    """A staff member is not told "staff only" (they are staff): the refusal names the role
    the command needs."""
    from tests.conftest import recording_channel
    from tests.steps.admin import ref_of

    chat = recording_channel()
    await bot_factory([chat])
    for user in ("admin", "clerk"):
        await chat.say("/start", user=user)
        await chat.tap("English", user=user)
    await chat.say(f"/grant staff {await ref_of(chat, db, 'clerk')}", user="admin")
    address = chat.address("clerk")
    for route in ADMIN_ONLY:
        if route.category == "command":
            msg = IncomingMessage(address, Kind.COMMAND, command=route.key, text=f"/{route.key}")
        else:
            msg = IncomingMessage(address, Kind.BUTTON, payload=sample_payload(route))
        replies = await chat.push(msg)
        assert [r.text for r in replies][-1:] == ["This command is for administrators only."], (
            route.name
        )
    # Staff commands still answer the staff member.
    (listing,) = await chat.say("/reports", user="clerk")
    assert listing.text.startswith("No reports")
