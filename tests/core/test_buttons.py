"""Typed button payloads and button routes bound to conversation states."""

from __future__ import annotations

import pytest

from bot.core.buttons import ButtonData
from bot.core.messages import Address, IncomingMessage, Kind
from bot.core.router import Router

A = Address("console", "u")


class District(ButtonData, prefix="bd"):
    code: str
    on: bool


class Page(ButtonData, prefix="pg"):
    number: int


class Cancel(ButtonData, prefix="bx"):
    pass


class Answer(ButtonData, prefix="sa"):
    survey: int
    text: str  # the last field takes the rest, separators included


class Ending(ButtonData, prefix="be"):
    day: int
    end: str = "none"

    NONE = "none"  # a constant of the family, not a field


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


def test_a_family_is_a_frozen_value_like_a_dataclass():
    assert Ending.fields() == (("day", int), ("end", str))
    assert Ending(3) == Ending(day=3, end="none") == Ending(3, Ending.NONE)
    assert Ending(3) != Ending(4) and Ending(3, "x") != Ending(3)
    assert Page(3) != Answer(3, "x") and Page(3) != 3
    assert len({Ending(3), Ending(day=3), Ending(3, "x")}) == 2
    assert repr(Answer(7, "a:b")) == "Answer(survey=7, text='a:b')"
    assert Ending(5, "x").pack() == "be:5:x" and Ending.parse("be:5:x") == Ending(5, "x")
    with pytest.raises(AttributeError):
        Page(3).number = 4  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del Page(3).number  # type: ignore[misc]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Answer(7), "missing a required argument: 'text'"),
        (lambda: Page(1, 2), "too many positional arguments"),
        (lambda: Page(number=1, page=2), "unexpected keyword argument 'page'"),
        (lambda: Page(1, number=2), "multiple values for argument 'number'"),
    ],
)
def test_a_family_is_built_from_its_fields_only(make, message):
    with pytest.raises(TypeError, match=message):
        make()


def test_a_field_with_a_default_before_one_without_is_refused():
    with pytest.raises(ValueError, match="non-default argument"):

        class Bad(ButtonData, prefix="bad"):
            end: str = "none"
            day: int


def test_a_field_that_is_not_str_int_or_bool_is_refused():
    with pytest.raises(TypeError, match=r"Bad\.ratio"):

        class Bad(ButtonData, prefix="bad"):
            ratio: float


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
