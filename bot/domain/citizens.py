"""Citizens and roles: grant and revoke the staff and admin roles, ban and unban a citizen,
and forget a citizen at their own request.

The rules: only admins grant, revoke, ban and unban. Nobody changes their own role or bans
themselves. The admins of the ADMINS setting are admins whatever the database says: their
role is changed there, never here, and they cannot be banned. A banned citizen is unbanned
before getting a role; staff and admins cannot be banned (their role is revoked first). A
ban hides the citizen's visible reports, each with the note "/ban <ref>"; an unban shows
again exactly those. Staff and admins are not forgotten while they hold a role.

Telling the citizen about their new role or their unban is the interface's part (it knows
their channels); the audit entry is written here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.domain.actors import Actor
from bot.domain.errors import Refused
from bot.domain.report_news import BAN_NOTE_PREFIX
from bot.domain.roles import admin_by_setting
from bot.domain.roles import effective_role as effective_role  # who is admin: roles.py
from bot.domain.work import Work
from bot.i18n import N_
from storage.models import Citizen, Report, Role
from storage.refs import public_ref
from storage.repos import bodies as staff_bodies
from storage.repos import moderation, personal_data, reports

log = logging.getLogger(__name__)

NEEDED = Role.ADMIN
GRANTABLE = (Role.STAFF, Role.ADMIN)
REASON_MAX = 200  # citizen.ban_reason


def ref_of(citizen: Citizen) -> str:
    assert citizen.id is not None
    return public_ref(citizen.id)


def ban_note(ref: str) -> str:
    """The note on the report events of a ban's hiding (staff see it in the history; the
    reporter's report news leaves it out)."""
    return f"{BAN_NOTE_PREFIX}{ref}"


async def _check_changeable(work: Work, target: Citizen, *, bodies_only: bool = False) -> bool:
    """Refused unless the actor may change the target's role; True when the target is an
    admin of the ADMINS setting, whose bodies (only: `bodies_only`) are changed here."""
    work.actor.require(NEEDED)
    if target.id is not None and target.id == work.actor.citizen_id:
        raise Refused("own_role", N_("admin.own_role"))
    by_setting = await admin_by_setting(work, target)
    if by_setting and not bodies_only:
        raise Refused("admin_by_setting", N_("admin.admin_by_setting"), ref=ref_of(target))
    return by_setting


def check_bodies(work: Work, codes: Sequence[str]) -> list[str]:
    """The body codes as the pack spells them; Refused("unknown_body") for one it lacks."""
    found = []
    for code in codes:
        body = work.city.body(code.lower())
        if body is None:
            raise Refused("unknown_body", N_("staff.unknown_body"), body=code[:32])
        found.append(body.code)
    return found


async def grant(work: Work, target: Citizen, role: Role, bodies: Sequence[str] = ()) -> Role:
    """Give the target the staff or admin role, as a member of `bodies` (bot/domain/bodies.py:
    staff act on their bodies' reports; staff of no body on all — the city's only body when it
    has one is given without asking); returns the role they had. Naming bodies for someone
    who has the role already adds the bodies. It takes effect with their next message (the
    dispatcher reads the role on every message). An admin of the ADMINS setting keeps that
    role; `/grant admin BODY` makes them a member of the body (its news, its assignee lists)."""
    work.actor.require(NEEDED)
    if role not in GRANTABLE:
        raise Refused("not_grantable", N_("admin.unknown_role"), role=role.value)
    if await _check_changeable(work, target, bodies_only=role is Role.ADMIN and bool(bodies)):
        return await _add_bodies_of_setting_admin(work, target, bodies)
    ref = ref_of(target)
    if target.banned_at is not None:
        raise Refused("banned", N_("admin.grant_banned"), ref=ref)
    codes = check_bodies(work, bodies)
    if not codes and len(work.city.bodies.bodies) == 1:
        codes = [work.city.bodies.bodies[0].code]
    was = Role(target.role)
    assert target.id is not None
    added = await staff_bodies.add(work.session, citizen_id=target.id, body_codes=codes)
    if was is role and not added:
        raise Refused("already", N_("admin.already"), ref=ref, role=role)
    if was is not role:
        await moderation.set_role(work.session, citizen=target, role=role)
    detail = {"bodies": added} if added else {}
    await work.audit("grant", "citizen", ref, role=role.value, was=was.value, **detail)
    log.info("citizen #%s made %s (%s) by %s", target.id, role.value, added, work.actor.ref)
    return was


async def _add_bodies_of_setting_admin(work: Work, target: Citizen, bodies: Sequence[str]) -> Role:
    ref = ref_of(target)
    codes = check_bodies(work, bodies)
    assert target.id is not None
    added = await staff_bodies.add(work.session, citizen_id=target.id, body_codes=codes)
    if not added:
        raise Refused("already", N_("admin.already"), ref=ref, role=Role.ADMIN)
    await work.audit("grant", "citizen", ref, role="admin", was="admin", bodies=added)
    log.info("citizen #%s (ADMINS) joined %s by %s", target.id, added, work.actor.ref)
    return Role.ADMIN


async def revoke(work: Work, target: Citizen, bodies: Sequence[str] = ()) -> Role:
    """Make a staff member or admin a citizen again (and of no body); returns the role they
    had. With `bodies`: only take them out of those bodies, never of their last one
    (Refused "last_body": that would make them staff of every body); an admin of the ADMINS
    setting may be taken out of any of theirs (they act on every body's reports anyway)."""
    by_setting = await _check_changeable(work, target, bodies_only=bool(bodies))
    ref = ref_of(target)
    was = Role.ADMIN if by_setting else Role(target.role)
    if was is Role.CITIZEN:
        raise Refused("no_role", N_("admin.no_role"), ref=ref)
    assert target.id is not None
    if bodies:
        codes = check_bodies(work, bodies)
        have = set(await staff_bodies.of_staff(work.session, citizen_id=target.id))
        if missing := [c for c in codes if c not in have]:
            raise Refused("not_member", N_("admin.not_member"), ref=ref, body=missing[0])
        if have <= set(codes) and not by_setting:
            raise Refused("last_body", N_("admin.last_body"), ref=ref)
        await staff_bodies.remove(work.session, citizen_id=target.id, body_codes=codes)
        await work.audit("revoke", "citizen", ref, bodies=codes)
        return was
    await staff_bodies.remove(work.session, citizen_id=target.id)
    await moderation.set_role(work.session, citizen=target, role=Role.CITIZEN)
    await work.audit("revoke", "citizen", ref, was=was.value)
    log.info("citizen #%s is a citizen again (by %s)", target.id, work.actor.ref)
    return was


async def check_ban(work: Work, target: Citizen, reason: str = "") -> str:
    """Refused unless the target may be banned now (with this reason); returns the reason
    as stored (spaces collapsed). Asked before a confirmation and again on it."""
    work.actor.require(NEEDED)
    ref = ref_of(target)
    if target.id is not None and target.id == work.actor.citizen_id:
        raise Refused("self", N_("admin.ban_self"))
    if await admin_by_setting(work, target):
        raise Refused("admin_by_setting", N_("admin.admin_by_setting"), ref=ref)
    role = Role(target.role)
    if role.at_least(Role.STAFF):
        raise Refused("privileged", N_("admin.ban_privileged"), ref=ref, role=role)
    if target.banned_at is not None:
        raise Refused("already", N_("admin.already_banned"), ref=ref, when=target.banned_at)
    reason = " ".join(reason.split())
    if len(reason) > REASON_MAX:
        raise Refused(
            "reason_too_long", N_("admin.reason_too_long"), max=REASON_MAX, length=len(reason)
        )
    return reason


async def ban(work: Work, target: Citizen, reason: str = "") -> int:
    """Ban the target: they are told at their next message and then ignored; their visible
    reports are hidden (returns how many) and survey invitations not sent yet withdrawn;
    their public alerts keep coming."""
    reason = await check_ban(work, target, reason)
    ref = ref_of(target)
    await moderation.ban(work.session, citizen=target, reason=reason or None, now=work.now)
    assert target.id is not None
    # Not bot.domain.reports.hide: that tells the reporter and audits each report, and the
    # ban notice says it all (one "ban" entry with the count).
    visible = await moderation.visible_reports_of(work.session, citizen_id=target.id)
    await _set_hidden(work, visible, hidden=True, note=ban_note(ref))
    # What the ban leaves them, for whoever reads the log later (README: bans and pushes).
    await work.audit(
        "ban", "citizen", ref, reason=reason, hidden=len(visible), alerts="kept", surveys="none"
    )
    log.info("citizen #%s banned by %s", target.id, work.actor.ref)
    return len(visible)


async def unban(work: Work, target: Citizen) -> int:
    """Lift the ban and show again the reports the ban hid (returns how many); reports staff
    hid one by one stay hidden."""
    work.actor.require(NEEDED)
    ref = ref_of(target)
    if target.banned_at is None:
        raise Refused("not_banned", N_("admin.not_banned"), ref=ref)
    assert target.id is not None
    shown = await moderation.hidden_by_ban(
        work.session, citizen_id=target.id, ban_note=ban_note(ref)
    )
    await _set_hidden(work, shown, hidden=False, note=f"/unban {ref}")
    await moderation.unban(work.session, citizen=target)
    await work.audit("unban", "citizen", ref, shown=len(shown))
    log.info("citizen #%s unbanned by %s", target.id, work.actor.ref)
    return len(shown)


async def _set_hidden(work: Work, found: Sequence[Report], *, hidden: bool, note: str) -> None:
    actor_id = work.actor.citizen_id
    assert actor_id is not None  # a person bans (the report event names them)
    for report in found:
        await reports.set_hidden(
            work.session,
            report=report,
            hidden=hidden,
            actor_id=actor_id,
            actor_role=work.actor.role.value,
            note=note,
            now=work.now,
        )


def check_forget(actor: Actor) -> None:
    """A citizen may be forgotten; staff and admins first have their role revoked."""
    if actor.citizen_id is None or actor.at_least(Role.STAFF):
        raise Refused("has_role", N_("privacy.forget_staff"))


async def forget(work: Work) -> personal_data.Forgotten:
    """Delete the acting citizen and their personal data at their request; their reports and
    survey answers stay for the city, unlinked. The caller deletes the returned draft photos
    after the commit."""
    check_forget(work.actor)
    assert work.actor.citizen_id is not None
    done = await personal_data.forget(work.session, citizen_ids=[work.actor.citizen_id])
    log.info(
        "a citizen was forgotten at their request (%d reports and %d survey responses kept,"
        " unlinked)",
        done.reports_anonymised,
        done.survey_responses_unlinked,
    )
    return done
