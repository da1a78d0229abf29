"""Who may open the staff web console, and the one-time link that opens it.

Staff (and admins) who are not banned get a link by sending /web in chat
(handlers/web_link.py); it is valid for LINK_TTL, opens one browser session once, and is
bound to the member it was sent to. Only a SHA-256 hash of its token is stored. The console
itself (bot/web/console/) re-checks the role on every request."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from bot.domain.citizens import effective_role
from bot.domain.work import Work
from storage.models import Citizen, Role
from storage.repos import console

LINK_TTL = timedelta(minutes=10)
LOGIN_PATH = "/console/login/"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_link(work: Work) -> str:
    """A new sign-in link's URL for the acting staff member (Forbidden to citizens)."""
    work.actor.require(Role.STAFF)
    assert work.actor.citizen_id is not None
    token = secrets.token_urlsafe(32)
    now = work.now
    await console.add_link(
        work.session,
        token_hash=token_hash(token),
        citizen_id=work.actor.citizen_id,
        now=now,
        expires_at=now + LINK_TTL,
    )
    await work.audit("console_link", "citizen", work.actor.ref)
    return f"{work.settings.public_url}{LOGIN_PATH}{token}"


async def console_role(work: Work, citizen: Citizen | None) -> Role | None:
    """The member's role when they may use the console now (staff or admin, the ADMINS
    setting's included, not banned), else None. Asked on every console request."""
    if citizen is None or citizen.banned_at is not None:
        return None
    role = await effective_role(work, citizen)
    return role if role.at_least(Role.STAFF) else None
