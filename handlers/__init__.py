"""Channel-neutral conversations. They never import telegram, aiohttp or bot.channels."""

from __future__ import annotations

from functools import cache

from bot.core.router import Route, Router


@cache
def build_router() -> Router:
    """The routing tree of every conversation (built once: routers are module-level)."""
    from handlers import (
        admin,
        alerts,
        bodies,
        broadcast,
        fallback,
        privacy,
        reports,
        start,
        surveys,
        web_link,
    )

    root = Router("root")
    root.include(start.router)
    root.include(reports.router)
    root.include(alerts.router)
    root.include(broadcast.router)
    root.include(surveys.router)
    root.include(admin.router)
    root.include(bodies.router)
    root.include(privacy.router)
    root.include(web_link.router)
    root.include(fallback.router)
    return root


def fallback_route() -> Route:
    from handlers.fallback import FALLBACK

    return FALLBACK
