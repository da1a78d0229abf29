"""Steps the conversation tests share: what a person sees and the first things they do."""

from __future__ import annotations

from typing import Protocol

from bot.core.messages import Reply


class Chat(Protocol):
    async def say(self, text: str, *, user: str = ...) -> list[Reply]: ...
    async def tap(self, label: str, *, user: str = ...) -> list[Reply]: ...


def labels(reply: Reply) -> list[str]:
    """The labels of a reply's buttons, as a person reads them."""
    return [b.label for b in reply.all_buttons]


def texts(replies: list[Reply]) -> list[str]:
    return [r.text for r in replies]


def last(replies: list[Reply]) -> Reply:
    assert replies, "the bot said nothing"
    return replies[-1]


async def onboard(chat: Chat, user: str = "u1", language: str = "English") -> None:
    """A new citizen starts the bot and chooses their language."""
    await chat.say("/start", user=user)
    await chat.tap(language, user=user)
