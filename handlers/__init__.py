"""Channel-neutral conversations. They never import telegram, aiohttp or bot.channels."""

from __future__ import annotations

from functools import cache

from bot.core.router import Route, Router


@cache
def build_router() -> Router:
    """The routing tree of every conversation (built once: routers are module-level)."""
    from handlers import (
        admin,
        admin_bans,
        admin_find,
        admin_roles,
        admin_stats,
        alerts,
        audit_log,
        broadcast,
        fallback,
        feeds,
        privacy,
        report_detail,
        reports,
        staff,
        start,
        survey_admin,
        survey_new,
        surveys,
        web_link,
    )

    root = Router("root")
    root.include(start.router)
    root.include(reports.router)
    root.include(report_detail.router)
    root.include(staff.router)
    root.include(alerts.router)
    root.include(broadcast.router)
    root.include(feeds.router)
    root.include(surveys.router)
    root.include(survey_admin.router)
    root.include(survey_new.router)
    root.include(admin.router)
    root.include(admin_roles.router)
    root.include(admin_bans.router)
    root.include(admin_find.router)
    root.include(audit_log.router)
    root.include(privacy.router)
    root.include(admin_stats.router)
    root.include(web_link.router)
    root.include(fallback.router)
    return root


def fallback_route() -> Route:
    from handlers.fallback import FALLBACK

    return FALLBACK
