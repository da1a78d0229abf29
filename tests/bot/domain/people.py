"""The people the notice, survey and citizen actions are tried by: a citizen, a clerk
(staff), an admin in the database, the admin of the ADMINS setting ("console:admin"), and
system actors; and a transaction to act in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.city import load_city
from bot.domain.actors import Actor, Forbidden
from bot.domain.errors import Refused
from bot.domain.work import Work
from bot.i18n import Translator
from storage.db import Database
from storage.models import Role
from storage.repos import citizens, moderation
from tests.conftest import make_settings

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
CITY = load_city("sofia")
TRANSLATOR = Translator()
SETTINGS = make_settings("sqlite+aiosqlite:///unused.db")
ROLES = {"citizen": Role.CITIZEN, "clerk": Role.STAFF, "admin": Role.ADMIN}
SYSTEM = {"feed": Actor.machine("feed:test"), "api": Actor.machine("open311:test", Role.CITIZEN)}


@dataclass
class People:
    db: Database
    ids: dict[str, int]
    now: datetime = NOW
    woken: list[str] = field(default_factory=list)

    def actor(self, who: str) -> Actor:
        if who in SYSTEM:
            return SYSTEM[who]
        role = Role.ADMIN if who == "setting_admin" else ROLES.get(who, Role.CITIZEN)
        return Actor.person(self.ids[who], role)

    def work(self, session: Any, actor: Actor, after_commit: list[Any]) -> Work:
        return Work(
            session=session,
            actor=actor,
            settings=SETTINGS,
            translator=TRANSLATOR,
            city=CITY,
            clock=lambda: self.now,
            wake_notices=lambda: self.woken.append("notices"),
            after_commit=after_commit,
        )

    async def run(self, who: str, action: Callable[[Work, People], Awaitable[Any]]) -> Any:
        """Do `action` as `who` in a transaction that commits, then its after-commit tasks."""
        after: list[Any] = []
        async with self.db.sessions() as session, session.begin():
            result = await action(self.work(session, self.actor(who), after), self)
        for task in after:
            await task()
        return result

    async def attempt(self, who: str, action: Callable[[Work, People], Awaitable[Any]]) -> object:
        """What `who` doing `action` comes to: "ok", Forbidden, or the refusal's code."""
        try:
            await self.run(who, action)
        except Forbidden:
            return Forbidden
        except Refused as refusal:
            return refusal.code
        return "ok"


async def people(db: Database, *extra: str) -> People:
    ids = {}
    async with db.sessions() as session, session.begin():
        for who in ("citizen", "clerk", "admin", "setting_admin", *extra):
            user_id = {"setting_admin": "admin", "admin": "db-admin"}.get(who, who)
            citizen, _ = await citizens.get_or_create_by_identity(
                session, channel="console", user_id=user_id, language="en", now=NOW
            )
            if who in ("clerk", "admin"):
                await moderation.set_role(session, citizen=citizen, role=ROLES[who])
            assert citizen.id is not None
            ids[who] = citizen.id
    return People(db=db, ids=ids)
