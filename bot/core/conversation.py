"""A conversation's steps in one table: state → the function that asks for it.

As python-telegram-bot's `ConversationHandler(states={...})` shows a conversation's whole
graph in one literal, a `Conversation` holds its states and what each one asks, so a reader
sees the flow in one place and every step is entered the same way (`goto`):

    FLOW = Conversation("bc", {TOPIC: ask_topic, AUDIENCE: ask_audience, ...})
    FLOW.goto(ctx, AUDIENCE)            # sets the state and asks
    @router.button(AudienceButton, role=Role.STAFF, state=AUDIENCE) ...
    @router.button(CancelButton, role=Role.STAFF, state=FLOW.any)   # any step of the flow

State names are "<prefix>.<step>", so `FLOW.any` ("bc.*") names every step for a route.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.context import Context

# What a step says when it is entered; `note` is an explanation to put first (e.g. why the
# previous answer could not be used).
Ask = Callable[["Context"], None] | Callable[..., None]


class Conversation:
    def __init__(self, prefix: str, steps: Mapping[str, Ask]) -> None:
        for state in steps:
            if not state.startswith(f"{prefix}."):
                raise ValueError(f"step {state!r} is not in conversation {prefix!r}")
        self.prefix = prefix
        self.steps = dict(steps)

    @property
    def any(self) -> str:
        """The route filter for every step of this conversation."""
        return f"{self.prefix}.*"

    @property
    def states(self) -> tuple[str, ...]:
        return tuple(self.steps)

    def active(self, ctx: Context) -> bool:
        return (ctx.state.name or "").startswith(f"{self.prefix}.")

    def goto(self, ctx: Context, state: str, **kwargs: object) -> None:
        """Enter a step: set the state (the draft data stays) and ask its question."""
        ask = self.steps[state]
        ctx.state.name = state
        ask(ctx, **kwargs)

    def ask_again(self, ctx: Context, **kwargs: object) -> None:
        """Ask the current step's question again (e.g. after an answer that could not be used)."""
        if ctx.state.name in self.steps:
            self.steps[ctx.state.name](ctx, **kwargs)
