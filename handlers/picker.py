"""Pick one from a short list. A command that needs an id (/results, /report for staff,
/survey, and later broadcast's /notice) given none answers with the few items that matter
most now, one button each: tapping one opens it, as the id would have.

    offer(ctx, ctx.t("…title"), [Choice("#3 Parks", "sqr:3", line="#3 Parks · open")],
          empty=ctx.t("…none"))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.context import Context
from bot.core.messages import Button, rows

LIMIT = 8  # items offered: a short list, not a listing (that is what /reports, /surveys do)


@dataclass(frozen=True, slots=True)
class Choice:
    label: str  # the button
    payload: str  # what tapping it does (the route that opens the item)
    line: str | None = None  # the item's line in the message, when the label is not enough


def offer(
    ctx: Context,
    title: str,
    choices: Sequence[Choice],
    *,
    empty: str,
    extra: Sequence[Button] = (),
    per_row: int = 1,
) -> None:
    """Reply with `title`, the choices' lines and a button per choice (at most LIMIT), then
    the `extra` buttons on a row of their own; `empty` (with the extra buttons) when there is
    nothing to choose."""
    shown = list(choices)[:LIMIT]
    tail = (tuple(extra),) if extra else ()
    if not shown:
        ctx.reply(empty, rows(*tail))
        return
    lines = [title, *(choice.line for choice in shown if choice.line)]
    buttons = [Button(choice.label, payload=choice.payload) for choice in shown]
    ctx.reply("\n".join(lines), rows(*buttons, *tail, per_row=per_row))
