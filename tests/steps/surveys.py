"""Steps about surveys: answering the parks survey in full."""

from __future__ import annotations

from bot.channels.console import RecordingChannel
from bot.core.messages import Reply


async def answer_all(chat: RecordingChannel, user: str = "u1", go: str = "Yes") -> list[Reply]:
    """Open the parks survey from the list and answer everything."""
    await chat.say("/surveys", user=user)
    await chat.tap("📝 The parks", user=user)
    await chat.tap(go, user=user)
    if go == "Yes":
        await chat.tap("Borisova Garden", user=user)
        await chat.tap("✔️ Done", user=user)
    await chat.tap("4️⃣", user=user)
    await chat.tap("⏭️ Skip", user=user)
    return await chat.say("More benches", user=user)
