"""The console's navigation: one entry per page, shown to those whose role allows it. A new
page (notices, surveys, a dashboard, the audit log) adds its entry here and its routes in
app.console_app."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_
from storage.models import Role


@dataclass(frozen=True, slots=True)
class NavItem:
    path: str
    label_key: str
    role: Role = Role.STAFF


NAV: list[NavItem] = [
    NavItem("/console/", N_("console.nav_queue")),
    NavItem("/console/map", N_("console.nav_map")),
    NavItem("/console/notices", N_("console_notices.nav")),
    NavItem("/console/dashboard", N_("figures.nav_dashboard")),
    NavItem("/console/surveys", N_("desk.nav_surveys")),
    NavItem("/console/audit", N_("desk.nav_audit"), Role.ADMIN),
]
