"""Console sessions: a random key in an HttpOnly, SameSite=Lax cookie (Secure when the public
URL is https), a SHA-256 hash of it in the database. A session ends at logout or after
IDLE without a request, and on every request its member is read again: a member whose staff
role was revoked, or who was banned, is signed out at once."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.actors import Actor
from bot.domain.console_access import console_role
from bot.domain.work import Work
from storage.models import Citizen, ConsoleSession, Role
from storage.refs import public_ref
from storage.repos import console as repo

COOKIE = "citizenbot_console"
IDLE = timedelta(hours=8)
# seen_at is written at most this often (a write per page view is not needed for an 8 h idle).
TOUCH_EVERY = timedelta(minutes=1)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Staff:
    """The signed-in member, as read at the start of this request."""

    citizen_id: int
    role: Role
    language: str
    session_id: int
    csrf: str

    @property
    def ref(self) -> str:
        return public_ref(self.citizen_id)

    @property
    def actor(self) -> Actor:
        return Actor.person(self.citizen_id, self.role)


async def open_session(session: AsyncSession, *, citizen_id: int, now: datetime) -> str:
    """A new session for the member; returns the cookie's value."""
    key = secrets.token_urlsafe(32)
    await repo.add_session(
        session,
        key_hash=digest(key),
        citizen_id=citizen_id,
        csrf=secrets.token_urlsafe(32),
        now=now,
    )
    return key


async def current(work: Work, *, key: str | None) -> Staff | None:
    """The member signed in with that cookie, or None. A session whose member may no longer
    use the console (bot/domain/console_access.py) is ended here, with their others."""
    if not key or len(key) > 100:
        return None
    session, now = work.session, work.now
    row: ConsoleSession | None = await repo.live_session(
        session, key_hash=digest(key), seen_since=now - IDLE
    )
    if row is None or row.id is None:
        return None
    citizen = await session.get(Citizen, row.citizen_id)
    role = await console_role(work, citizen)
    if role is None or citizen is None or citizen.id is None:
        await repo.end_sessions(session, now=now, citizen_id=row.citizen_id)
        return None
    if now - row.seen_at >= TOUCH_EVERY:
        await repo.touch_session(session, session_id=row.id, now=now)
    return Staff(
        citizen_id=citizen.id,
        role=role,
        language=citizen.language,
        session_id=row.id,
        csrf=row.csrf,
    )


def set_cookie(response: web.StreamResponse, key: str, *, secure: bool) -> None:
    response.set_cookie(
        COOKIE,
        key,
        path="/console",
        httponly=True,
        samesite="Lax",
        secure=secure,
        max_age=int(IDLE.total_seconds()),
    )


def clear_cookie(response: web.StreamResponse, *, secure: bool) -> None:
    response.del_cookie(COOKIE, path="/console", secure=secure, httponly=True, samesite="Lax")
