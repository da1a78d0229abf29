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

from bot.domain.errors import Refused
from bot.domain.work import Work
from bot.i18n import N_
from storage.models import Report, Role
from storage.repos import bodies as bodies_repo


async def actor_bodies(work: Work) -> frozenset[str] | None:
    """The bodies whose reports the actor acts on; None for every body."""
    actor = work.actor
    if actor.role.at_least(Role.ADMIN) or actor.citizen_id is None:
        return None
    if not actor.role.at_least(Role.STAFF):
        return frozenset()
    found = actor.bodies
    if found is None:
        found = frozenset(await bodies_repo.of_staff(work.session, citizen_id=actor.citizen_id))
    return found or None


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
