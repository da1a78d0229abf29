"""Steps of administrators: a citizen's public reference, a confirmed ban."""

from __future__ import annotations

from bot.channels.console import RecordingChannel
from bot.core.messages import Reply
from storage.db import Database
from storage.refs import public_ref
from storage.repos import citizens
from tests.steps import labels


async def ref_of(chat: RecordingChannel, db: Database, user: str) -> str:
    """The public reference of a user of the chat (what an admin would be told)."""
    address = chat.address(user)
    async with db.sessions() as session:
        citizen = await citizens.find_by_identity(
            session, channel=address.channel, user_id=address.user_id
        )
    assert citizen is not None and citizen.id is not None
    return public_ref(citizen.id)


async def ban(chat: RecordingChannel, command: str, user: str = "admin") -> Reply:
    """An admin types /ban … and confirms it."""
    (confirm,) = await chat.say(command, user=user)
    assert labels(confirm) == ["🚫 Yes, ban", "✖️ No"], confirm.text
    (done,) = await chat.tap("🚫 Yes, ban", user=user)
    return done


async def grant_staff(chat: RecordingChannel, db: Database, user: str, body: str) -> str:
    """A new user becomes staff of `body` (the admin's /grant); their public reference."""
    await chat.say("/start", user=user)
    await chat.tap("English", user=user)
    ref = await ref_of(chat, db, user)
    await chat.say(f"/grant staff {body} {ref}", user="admin")
    (told,) = chat.pop(user)
    assert told.text.startswith("You are now municipal staff")
    return ref
