"""The alerts conversation's typed steps in one table, and what the alerts screens share.

Most of the alerts screens are one tap each and keep no state; three steps wait for
something typed or shared: a pin for a circle (PIN), the circle's size once the pin is
known (RADIUS) and typed quiet hours (QUIET).
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.conversation import Conversation
from bot.core.messages import Button, rows
from handlers.alerts.buttons import PlacesButton, QuietButton, RadiusButton
from handlers.labels import radius_label

PIN = "alerts.pin"  # waiting for the citizen's location
RADIUS = "alerts.radius"  # a pin was shared; waiting for the circle's size
QUIET = "alerts.quiet"  # waiting for typed quiet hours

RADII_M = (500, 1000, 2000)


def citizen_id(ctx: Context) -> int:
    assert ctx.citizen.id is not None
    return ctx.citizen.id


def leave(ctx: Context) -> None:
    """Drop an unanswered alerts question (other conversations are left alone)."""
    if FLOW.active(ctx):
        ctx.state.clear()


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def with_note(note: str | None, text: str) -> str:
    return f"{note}\n\n{text}" if note else text


def radius_buttons(ctx: Context) -> list[Button]:
    return [RadiusButton(m).button(radius_label(ctx, m)) for m in RADII_M]


def ask_pin(ctx: Context, note: str | None = None) -> None:
    ctx.reply(
        with_note(note, ctx.t("alerts.ask_pin")),
        rows(
            Button(ctx.t("alerts.btn_send_location"), request_location=True),
            PlacesButton().button(ctx.t("alerts.btn_back")),
        ),
    )


def ask_radius(ctx: Context) -> None:
    district = ctx.services.city.district(ctx.state.data["district"])
    ctx.reply(
        ctx.t("alerts.ask_radius", district=district.name(ctx.language) if district else "—"),
        rows(
            *radius_buttons(ctx),
            (PlacesButton().button(ctx.t("alerts.btn_back")),),
            per_row=3,
        ),
    )


def ask_quiet(ctx: Context) -> None:
    back = QuietButton().button(ctx.t("alerts.btn_back"))
    ctx.reply(ctx.t("alerts.ask_quiet"), rows(back))


FLOW = Conversation("alerts", {PIN: ask_pin, RADIUS: ask_radius, QUIET: ask_quiet})


def enter(ctx: Context, state: str) -> None:
    """Start a step from any screen: whatever was asked before is dropped."""
    ctx.state.clear()
    FLOW.goto(ctx, state)
