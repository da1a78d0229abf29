"""Every staff and admin command and button, enumerated from the router, refuses a citizen."""

from __future__ import annotations

from bot.core.messages import Address, IncomingMessage, Kind
from bot.core.router import Route
from handlers import build_router
from storage.db import Database
from storage.models import Role
from storage.repos import conversations

REFUSALS = {
    Role.STAFF: "Тази команда е само за служители на общината.",
    Role.ADMIN: "Тази команда е само за администратори.",
}

PRIVILEGED = sorted(
    (r for r in build_router().routes() if r.role.at_least(Role.STAFF)),
    key=lambda r: r.name,
)


SAMPLES = {int: 1, bool: True, str: "new"}


def payload_for(route: Route, fallback: str) -> str:
    """A payload the button route takes: its typed family's fields filled in, or `fallback`
    for an untyped one."""
    if route.data is None:
        return fallback
    return route.data(**{name: SAMPLES[kind] for name, kind in route.data.fields()}).pack()


async def in_its_step(db: Database, address: Address, route: Route) -> None:
    """Put the sender in a conversation step the button belongs to: a citizen is never asked
    a staff question, but were they in that step, the role would still refuse them."""
    if not route.states:
        return
    state = route.states[0].replace("*", "step")
    async with db.sessions() as session, session.begin():
        row = await conversations.load(session, channel=address.channel, user_id=address.user_id)
        await conversations.save(session, row=row, state=state, data={})


def test_there_are_privileged_routes():
    names = {r.name for r in PRIVILEGED}
    assert {"command:stats", "command:reports"} <= names


CHECKED = [r for r in PRIVILEGED if r.category in ("command", "button")]


async def test_each_privileged_route_refuses_a_citizen(bot_factory, db):
    """One bot for the whole matrix (a bot per route made this the suite's slowest module);
    each route is tried by a citizen of its own, so no conversation step carries over."""
    from tests.conftest import recording_channel

    chat = recording_channel()
    await bot_factory([chat])
    wrong: dict[str, list[str]] = {}
    for number, route in enumerate(CHECKED):
        user = f"citizen-{number}"
        await chat.say("/start", user=user)
        await chat.tap("Български", user=user)
        address = chat.address(user)
        if route.category == "command":
            msg = IncomingMessage(address, Kind.COMMAND, command=route.key, text=f"/{route.key} 1")
        else:
            await in_its_step(db, address, route)
            msg = IncomingMessage(
                address, Kind.BUTTON, payload=payload_for(route, f"{route.key}:1:new")
            )
        texts = [r.text for r in await chat.push(msg)]
        if texts != [REFUSALS[route.role]]:
            wrong[route.name] = texts
    assert wrong == {}
    assert len(CHECKED) > 40


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
            await in_its_step(db, address, route)
            msg = IncomingMessage(
                address, Kind.BUTTON, payload=payload_for(route, f"{route.key}:1")
            )
        replies = await chat.push(msg)
        assert [r.text for r in replies][-1:] == ["This command is for administrators only."], (
            route.name
        )
    # Staff commands still answer the staff member.
    (listing,) = await chat.say("/reports", user="clerk")
    assert listing.text.startswith("No reports")
