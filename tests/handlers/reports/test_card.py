"""The body's work from the staff card: acknowledge, assign to a colleague (chosen by their
public ref), an internal note (never sent to the citizen), move to another body with a reason
(the new body is told); another body's staff are refused at every tap."""

from __future__ import annotations

from bot.channels.console import RecordingChannel
from storage.db import Database
from tests.steps import labels, onboard
from tests.steps.admin import grant_staff
from tests.steps.reports import file_report

WORK = ["🙋 Assign to me", "👥 Assign to…", "🗒️ Internal note", "↪️ Move to another body"]
FOREIGN = "This report belongs to another body. You can act only on your body's reports."


async def card(chat: RecordingChannel, user: str, public_id: str):
    replies = await chat.say(f"/report {public_id}", user=user)
    return replies[-1]


async def test_acknowledge_assign_note_and_move(chat: RecordingChannel, db: Database):
    await onboard(chat, "admin")
    clerk = await grant_staff(chat, db, "clerk", "district-15")
    mate = await grant_staff(chat, db, "mate", "district-15")
    await grant_staff(chat, db, "other", "district-01")
    await onboard(chat, "u1")
    public_id = await file_report(chat, "u1", district="15")
    for user in ("u1", "clerk", "mate", "other"):
        chat.pop(user)

    (help_,) = await chat.say("/staffhelp", user="clerk")
    assert "“Assign to…” a colleague of the body, “Internal note”" in help_.text
    view = await card(chat, "clerk", public_id)
    assert "Body: Mladost District Administration" in view.text
    assert labels(view)[-5:-1] == WORK
    # Acknowledge (the card's status button; the domain's acknowledgement): the reporter told.
    await chat.tap("👀 Acknowledge", user="clerk")
    (done,) = await chat.tap("⏭️ Skip", user="clerk")
    assert "Acknowledged" in done.text
    assert "new status: Acknowledged" in chat.pop("u1")[0].text

    # Assign to… a colleague, by their public ref; nobody else is told.
    await card(chat, "clerk", public_id)
    (ask,) = await chat.tap("👥 Assign to…", user="clerk")
    assert ask.text == f"Whom shall we assign {public_id} to? The body's staff:"
    assert sorted(labels(ask)) == sorted([clerk, mate])
    (assigned,) = await chat.tap(mate, user="clerk")
    assert assigned.text == f"👤 {public_id} assigned to {mate}."
    assert chat.pop("u1") == []

    # Another body's staff: refused at every work button.
    await card(chat, "other", public_id)
    (refused,) = await chat.tap("👥 Assign to…", user="other")
    assert refused.text == FOREIGN
    (refused,) = await chat.tap("↪️ Move to another body", user="other")
    assert refused.text == FOREIGN

    # An internal note: asked, kept, shown on the card; the reporter sees nothing.
    await card(chat, "clerk", public_id)
    (ask,) = await chat.tap("🗒️ Internal note", user="clerk")
    assert "Only staff see it" in ask.text and labels(ask) == ["✖️ Cancel"]
    (short,) = await chat.say("ok", user="clerk")
    assert short.text == "The note must be at least 3 characters."
    (noted,) = await chat.say("Needs a lift truck, booked for Friday.", user="clerk")
    assert noted.text == f"🗒️ Note added to {public_id}. Only staff see it."
    assert chat.pop("u1") == []
    view = await card(chat, "mate", public_id)
    assert f"Assigned to: {mate}" in view.text
    assert "Internal notes (staff only):" in view.text
    assert f"{clerk}: Needs a lift truck, booked for Friday." in view.text

    # Move to another body: the body from buttons, then a reason; the new body is told.
    await card(chat, "clerk", public_id)
    (ask,) = await chat.tap("↪️ Move to another body", user="clerk")
    assert "Mladost District Administration" not in labels(ask)
    (why,) = await chat.tap("Sredets District Administration", user="clerk")
    assert why.text.startswith(f"Why should Sredets District Administration handle {public_id}?")
    (again,) = await chat.say("no", user="clerk")
    assert "reason" in again.text
    (moved,) = await chat.say("The lamp is on a street of Sredets.", user="clerk")
    assert moved.text == (
        f"↪️ {public_id} is now with Sredets District Administration; their staff have been told."
    )
    assert chat.pop("u1") == []
    told = chat.pop("other")
    assert any(
        public_id in r.text and "The lamp is on a street of Sredets." in r.text for r in told
    )
    # Now the first body's staff are the foreign ones.
    await card(chat, "clerk", public_id)
    (refused,) = await chat.tap("🙋 Assign to me", user="clerk")
    assert refused.text == FOREIGN
    view = await card(chat, "other", public_id)
    assert "Body: Sredets District Administration" in view.text
    assert "moved it to Sredets District Administration" in view.text
