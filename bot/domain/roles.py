"""Who is staff and who is an admin: the one rule every action asks.

A citizen's role is the one stored on them (granted with /grant), except that the citizens
behind the ADMINS setting's addresses are admins whatever the database says (bot/config.py;
the dispatcher gives the same role to their messages). Every rule about *another* person than
the actor (who may be assigned a report, who hears of a body's reports as its member, who
may use the web console) asks here, so an admin named only in the setting counts as one.
"""

from __future__ import annotations

from bot.domain.work import Work
from storage.models import Citizen, Role
from storage.repos import citizens


async def setting_admin_ids(work: Work) -> frozenset[int]:
    """The ids of the citizens behind the ADMINS setting's addresses (one query; those who
    never wrote to the bot have no record and are not here)."""
    addresses = [(a.channel, a.user_id) for a in work.settings.admin_addresses]
    if not addresses:
        return frozenset()
    return frozenset(await citizens.ids_by_identities(work.session, addresses=addresses))


async def admin_by_setting(work: Work, citizen: Citizen) -> bool:
    """Whether one of the citizen's accounts is listed in the ADMINS setting."""
    return citizen.id is not None and citizen.id in await setting_admin_ids(work)


async def effective_role(work: Work, citizen: Citizen) -> Role:
    """The citizen's role as the dispatcher gives it: admin for the ADMINS setting's."""
    if await admin_by_setting(work, citizen):
        return Role.ADMIN
    return Role(citizen.role)
