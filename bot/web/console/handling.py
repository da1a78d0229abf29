"""The body's handling of reports in the console (bot/domain/handling.py): the queue's filters
by body, overdue and assigned to me; on the report page acknowledge, assign (to oneself or a
colleague of the body), move to another body with a reason, and an internal note; in bulk,
assign and move. Each action is the domain's, acting as the signed-in member; this module
plugs into the queue's FILTERS and the report page's ACTIONS and PANELS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.city import CityPack
from bot.domain import handling as domain
from bot.domain.errors import Refused
from bot.domain.work import Work
from bot.i18n import N_
from bot.web.console import filters, report
from bot.web.console.app import Console
from bot.web.console.filters import Option, Viewer
from storage.models import Citizen, Report
from storage.refs import public_ref
from storage.repos import bodies as bodies_repo
from storage.repos import queue
from storage.repos import reports as reports_repo

CODE_MAX = 32
ME = "me"
NOBODY = "none"
PANEL = "_handling.html"


def body_options(city: CityPack, language: str) -> list[Option]:
    return [Option(b.code, b.name(language)) for b in city.bodies.bodies]


def _body(value: str, viewer: Viewer) -> Any | None:
    return col(Report.body_code) == value if len(value) <= CODE_MAX else None


def _overdue_options(city: CityPack, language: str) -> list[Option]:
    return [Option("yes", N_("desk.overdue_only"))]


def _assigned_options(city: CityPack, language: str) -> list[Option]:
    return [Option(ME, N_("desk.btn_assigned_me")), Option(NOBODY, N_("desk.assigned_nobody"))]


def _reopened_options(city: CityPack, language: str) -> list[Option]:
    return [Option("yes", N_("desk.reopened_only"))]


def _reopened(value: str, viewer: Viewer) -> Any | None:
    return queue.reopened() if value == "yes" else None


def _overdue(value: str, viewer: Viewer) -> Any | None:
    return queue.overdue(viewer.now) if value == "yes" else None


def _assigned(value: str, viewer: Viewer) -> Any | None:
    if value == ME and viewer.citizen_id is not None:
        return col(Report.assignee_id) == viewer.citizen_id
    if value == NOBODY:
        return col(Report.assignee_id).is_(None)
    return None


FILTERS = [
    filters.Filter("body", N_("desk.filter_body"), body_options, _body),
    filters.Filter(
        "assigned", N_("desk.filter_assigned"), _assigned_options, _assigned, translate=True
    ),
    filters.Filter(
        "overdue", N_("desk.filter_overdue"), _overdue_options, _overdue, translate=True
    ),
    filters.Filter(
        "reopened", N_("desk.filter_reopened"), _reopened_options, _reopened, translate=True
    ),
]


async def colleague(work: Work, value: str) -> Citizen:
    """The member a form names: "me" or a colleague's citizen id."""
    if value == ME and work.actor.citizen_id is not None:
        citizen_id = work.actor.citizen_id
    elif value.isdigit() and len(value) < 12:
        citizen_id = int(value)
    else:
        raise Refused("stale", N_("staff.stale"))
    found = await work.session.get(Citizen, citizen_id)
    if found is None:
        raise Refused("stale", N_("staff.stale"))
    return found


def body_name(city: CityPack, language: str, code: str | None) -> str:
    body = city.body(code)
    return body.name(language) if body else (code or "—")


async def acknowledge(act: report.Act) -> str:
    await domain.acknowledge(act.work, act.report)
    return act.t(N_("desk.acknowledged"))


async def assign(act: report.Act) -> str:
    assignee = await colleague(act.work, str(act.form.get("assignee") or ""))
    await domain.assign(act.work, act.report, assignee)
    assert assignee.id is not None
    return act.t(N_("desk.assigned"), ref=public_ref(assignee.id))


async def move(act: report.Act) -> str:
    code = str(act.form.get("body") or "")[:CODE_MAX]
    await domain.reassign(act.work, act.report, code, str(act.form.get("reason") or ""))
    return act.t(N_("desk.moved"), body=body_name(act.work.city, act.language, code))


async def note(act: report.Act) -> str:
    await domain.add_note(act.work, act.report, str(act.form.get("text") or ""))
    return act.t(N_("desk.noted"))


@dataclass(frozen=True, slots=True)
class Member:
    value: str
    ref: str
    me: bool


async def colleagues(session: AsyncSession, body_codes: list[str], me: int | None) -> list[Member]:
    """The staff of those bodies, the member first."""
    ids: set[int] = set()
    for code in body_codes:
        ids.update(await bodies_repo.members(session, body_code=code))
    ordered = sorted(ids, key=lambda i: (i != me, i))
    return [Member(str(i), public_ref(i), i == me) for i in ordered]


async def panel(
    console: Console, session: AsyncSession, found: Report, language: str
) -> dict[str, Any]:
    """The report page's section: its body and assignee, the forms, the internal notes."""
    assert found.id is not None
    members = await colleagues(session, [found.body_code] if found.body_code else [], None)
    return {
        "body": body_name(console.services.city, language, found.body_code),
        "bodies": [
            o for o in body_options(console.services.city, language) if o.value != found.body_code
        ],
        "assignee_ref": public_ref(found.assignee_id) if found.assignee_id else None,
        "colleagues": members,
        "notes": await reports_repo.notes(session, report_id=found.id),
        "can_acknowledge": found.is_open and found.acknowledged_at is None,
        "open": found.is_open,
    }


def install() -> None:
    """Plugs the filters, actions and panel in (once, at import)."""
    filters.FILTERS.extend(f for f in FILTERS if f not in filters.FILTERS)
    report.ACTIONS.update(acknowledge=acknowledge, assign=assign, move=move, note=note)
    if not any(p.template == PANEL for p in report.PANELS):
        report.PANELS.append(report.Panel(PANEL, panel))
