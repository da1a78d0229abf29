"""Which reports a staff member acts on: those of their bodies.

Staff belong to one or more bodies (staff_body; `/grant staff BODY REF`). A staff member acts
on the reports of their bodies and is refused ("other_body") on any other; admins, system
actors acting as staff (a feed, the CLI) and staff who belong to no body act on all. A staff
member without a body is city-wide staff (a call centre triaging for every body, or staff
given the role before bodies existed): granting staff names a body whenever the city has more
than one, and the last body of a staff member is not taken away while they keep the role, so
nobody becomes city-wide by accident.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.errors import Refused
from bot.domain.roles import effective_role, setting_admin_ids
from bot.domain.work import Work
from bot.i18n import N_
from storage.models import Citizen, Report, Role
from storage.repos import bodies as bodies_repo
from storage.repos.reports import Recipient


def _bodies_acted_on(role: Role, memberships: frozenset[str]) -> frozenset[str] | None:
    """The rule: admins act on every body's reports (None), staff on their bodies' (on all
    when of no body), anyone else on none."""
    if role.at_least(Role.ADMIN):
        return None
    if not role.at_least(Role.STAFF):
        return frozenset()
    return memberships or None


async def actor_bodies(work: Work) -> frozenset[str] | None:
    """The bodies whose reports the actor acts on; None for every body."""
    actor = work.actor
    if actor.citizen_id is None:  # a system actor: its role says what it may do
        return None
    if actor.role.at_least(Role.ADMIN) or not actor.role.at_least(Role.STAFF):
        return _bodies_acted_on(actor.role, frozenset())
    found = actor.bodies
    if found is None:
        found = frozenset(await bodies_repo.of_staff(work.session, citizen_id=actor.citizen_id))
    return _bodies_acted_on(actor.role, found)


async def acts_for_body(work: Work, citizen: Citizen, body_code: str | None) -> bool:
    """Whether `citizen` (not the actor: an assignee) acts on `body_code`'s reports, by the
    rule the actor is held to, with their role as bot/domain/roles.py resolves it (the
    ADMINS setting's admins are admins)."""
    role = await effective_role(work, citizen)
    if not role.at_least(Role.STAFF):
        return False
    if body_code is None or role.at_least(Role.ADMIN):
        return True
    assert citizen.id is not None
    found = _bodies_acted_on(
        role, frozenset(await bodies_repo.of_staff(work.session, citizen_id=citizen.id))
    )
    return found is None or body_code in found


async def list_filter(work: Work) -> list[str] | None:
    """The body codes a staff list (`/reports`, the reports needing attention) is limited to by
    default; None: every report."""
    found = await actor_bodies(work)
    return None if found is None else sorted(found)


async def check_body(work: Work, report: Report) -> None:
    """Staff act only on their bodies' reports: Refused("other_body") otherwise. A report
    filed before bodies existed (no body) is everyone's."""
    work.actor.require(Role.STAFF)
    found = await actor_bodies(work)
    if found is None or report.body_code is None or report.body_code in found:
        return
    raise Refused("other_body", N_("staff.other_body"))


async def members_told(
    work: Work, body_codes: Sequence[str], *, mode: str | None
) -> list[tuple[Recipient, str]]:
    """The members of `body_codes` to tell of their reports (each on each of their channels,
    with the body code) whose /notify choice is `mode` (None: whatever it is): staff and
    admins by the rule of bot/domain/roles.py, so an admin of the ADMINS setting who joined a
    body hears of it."""
    return await bodies_repo.member_recipients(
        work.session,
        body_codes=body_codes,
        mode=mode,
        admin_ids=await setting_admin_ids(work),
    )
