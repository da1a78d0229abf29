"""Typed button payloads and button routes bound to conversation states."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.core.buttons import ButtonData
from bot.core.messages import Address, IncomingMessage, Kind
from bot.core.router import Router

A = Address("console", "u")


@dataclass(frozen=True)
class District(ButtonData, prefix="bd"):
    code: str
    on: bool


@dataclass(frozen=True)
class Page(ButtonData, prefix="pg"):
    number: int


@dataclass(frozen=True)
class Cancel(ButtonData, prefix="bx"):
    pass


@dataclass(frozen=True)
class Answer(ButtonData, prefix="sa"):
    survey: int
    text: str  # the last field takes the rest, separators included


def tapped(payload: str) -> IncomingMessage:
    return IncomingMessage(A, Kind.BUTTON, payload=payload)


def test_a_payload_packs_and_parses_back():
    assert District("15", True).pack() == "bd:15:1"
    assert District.parse("bd:15:1") == District("15", True)
    assert Page(3).pack() == "pg:3"
    assert Page.parse("pg:3") == Page(3)
    assert Cancel().pack() == "bx"
    assert Cancel.parse("bx") == Cancel()
    assert Answer.parse("sa:7:a:b") == Answer(7, "a:b")
    assert District("15", False).button("Младост").payload == "bd:15:0"


@pytest.mark.parametrize(
    ("family", "payload"),
    [
        (District, ""),
        (District, "bd"),
        (District, "bd:15"),
        (District, "bd:15:2"),
        (District, "bd::1"),
        (District, "pg:15:1"),
        (Page, "pg:x"),
        (Page, "pg:"),
        (Page, "pg:1e3"),
        (Page, "pg:" + "9" * 40),
        (Cancel, "bx:1"),
        (Cancel, "bxx"),
    ],
)
def test_a_forged_or_outdated_payload_does_not_parse(family: type[ButtonData], payload: str):
    assert family.parse(payload) is None


def test_a_field_that_is_not_str_int_or_bool_is_refused():
    @dataclass(frozen=True)
    class Bad(ButtonData, prefix="bad"):
        ratio: float

    with pytest.raises(TypeError):
        Bad(0.5).pack()


def test_a_route_of_a_typed_family_refuses_a_payload_that_does_not_parse():
    router = Router()

    @router.button(District)
    async def on_district(msg, ctx):
        return None

    assert router.resolve(tapped("bd:15:1"), None).handler is on_district
    assert router.resolve(tapped("bd:15:maybe"), None) is None
    assert router.resolve(tapped("bd"), None) is None


def test_a_route_bound_to_states_answers_only_in_them():
    router = Router()

    @router.button(Page, state="list.page")
    async def on_page(msg, ctx):
        return None

    @router.button(Cancel, state="bc.*")
    async def on_cancel(msg, ctx):
        return None

    assert router.resolve(tapped("pg:2"), "list.page").handler is on_page
    assert router.resolve(tapped("pg:2"), "list.other") is None
    assert router.resolve(tapped("pg:2"), None) is None
    assert router.resolve(tapped("bx"), "bc.topic").handler is on_cancel
    assert router.resolve(tapped("bx"), "bc.text_bg").handler is on_cancel
    assert router.resolve(tapped("bx"), "bcx.topic") is None
    assert router.resolve(tapped("bx"), None) is None


def test_a_conversation_enters_its_steps_from_one_table():
    from bot.core.context import ConversationView
    from bot.core.conversation import Conversation

    asked: list[str] = []

    class Ctx:
        state = ConversationView(name="bc.topic", data={"topic": "water"})

    flow = Conversation(
        "bc",
        {
            "bc.topic": lambda ctx: asked.append("topic"),
            "bc.text": lambda ctx: asked.append("text"),
        },
    )
    ctx = Ctx()
    flow.goto(ctx, "bc.text")  # type: ignore[arg-type]
    assert ctx.state.name == "bc.text" and ctx.state.data == {"topic": "water"}
    flow.ask_again(ctx)  # type: ignore[arg-type]
    assert asked == ["text", "text"]
    assert flow.active(ctx) and flow.any == "bc.*"  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Conversation("bc", {"sv.topic": lambda ctx: None})
