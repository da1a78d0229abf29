from __future__ import annotations

import pytest

from bot.core.messages import Address, IncomingMessage, Kind
from bot.core.router import Router
from storage.models import Role

A = Address("console", "u")


async def h(msg, ctx):
    return None


async def h2(msg, ctx):
    return None


def build() -> Router:
    root = Router("root")
    child = Router("child")
    child.command("Report", "r")(h)
    child.button("cat")(h)
    child.state("report.desc")(h)
    child.state("report.loc", kinds=(Kind.LOCATION, Kind.TEXT))(h2)
    child.on(Kind.LOCATION)(h)
    child.command("stats", role=Role.ADMIN)(h2)
    root.include(child)
    return root


def test_commands_buttons_states_and_events_resolve():
    r = build()
    cmd = IncomingMessage(A, Kind.COMMAND, command="report")
    assert r.resolve(cmd, None).key == "report"
    btn = IncomingMessage(A, Kind.BUTTON, payload="cat:3")
    assert r.resolve(btn, None).key == "cat"
    text = IncomingMessage(A, Kind.TEXT, text="x")
    assert r.resolve(text, "report.desc").handler is h
    assert r.resolve(text, None) is None
    loc = IncomingMessage(A, Kind.LOCATION, location=(1.0, 2.0))
    assert r.resolve(loc, "report.loc").handler is h2  # the state wins over the event
    assert r.resolve(loc, None).handler is h
    assert r.resolve(IncomingMessage(A, Kind.COMMAND, command="nope"), None) is None


def test_role_is_on_the_route_and_routes_enumerate_children():
    r = build()
    stats = r.resolve(IncomingMessage(A, Kind.COMMAND, command="stats"), None)
    assert stats.role is Role.ADMIN
    assert {x.name for x in r.commands()} == {"command:report", "command:r", "command:stats"}


def test_conflicting_routes_fail_at_include():
    root = Router()
    a, b = Router("a"), Router("b")
    a.command("x")(h)
    b.command("x")(h2)
    root.include(a)
    with pytest.raises(ValueError, match="two handlers for command:x"):
        root.include(b)


def test_a_router_is_included_once():
    child = Router("c")
    Router("p1").include(child)
    with pytest.raises(ValueError, match="already included"):
        Router("p2").include(child)


def test_an_offered_button_takes_only_a_payload_that_was_offered():
    r = Router("root")
    r.button("pick", offered=True)(h)
    r.button("open")(h2)
    chosen = IncomingMessage(A, Kind.BUTTON, payload="pick:7")
    forged = IncomingMessage(A, Kind.BUTTON, payload="pick:8")
    offered = {"pick:7", "open:1"}
    assert r.resolve(chosen, None, offered).handler is h
    assert r.resolve(forged, None, offered) is None
    assert r.resolve(chosen, None) is None  # nothing offered at all
    # A button not declared so is routed whatever was offered (it checks its own rights).
    assert r.resolve(IncomingMessage(A, Kind.BUTTON, payload="open:9"), None).handler is h2
