"""GET /metrics: the bot's Prometheus metrics (bot/metrics.py), database figures read afresh.

With METRICS_TOKEN set, the scraper must send `Authorization: Bearer <token>` (compared in
constant time); anything else gets 401. Without it the endpoint is open to whoever reaches
the HTTP port, so keep that port internal. When the database does not answer, the in-memory
counters are still served, with citizenbot_database_up 0.

Each body's figures (bot/domain/body_figures.py: seconds on 100,000 reports) are computed at
most once in METRICS_BODY_FIGURES_TTL_SECONDS, by the bot's clock, and served from memory in
between (`BodyFiguresCache`); concurrent scrapes wait for one computation.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from aiohttp import web

from bot.core.context import Services
from bot.domain.actors import Actor
from bot.domain.body_figures import BodyFigures, body_figures
from bot.domain.work import Work
from bot.metrics import Metrics
from storage.db import UNAVAILABLE, Database
from storage.repos import stats

log = logging.getLogger(__name__)

QUERY_TIMEOUT_S = 10.0
DATABASE_DOWN = UNAVAILABLE


class BodyFiguresCache:
    """Each body's figures, kept for `ttl` seconds of the clock after they were computed."""

    def __init__(self, *, ttl: float, clock: Callable[[], datetime]) -> None:
        self.ttl = timedelta(seconds=ttl)
        self.clock = clock
        self._figures: list[BodyFigures] | None = None
        self._computed_at: datetime | None = None
        self._lock = asyncio.Lock()

    async def get(self, compute: Callable[[], Awaitable[list[BodyFigures]]]) -> list[BodyFigures]:
        async with self._lock:  # one computation at a time: the others then find it fresh
            now = self.clock()
            at = self._computed_at
            if self._figures is None or at is None or not at <= now < at + self.ttl:
                self._figures = await compute()
                self._computed_at = now
            return self._figures


def metrics_routes(
    *,
    metrics: Metrics,
    db: Database,
    token: str | None,
    clock: Callable[[], datetime],
    services: Services | None = None,
) -> list[web.RouteDef]:
    cache = BodyFiguresCache(
        ttl=services.settings.metrics_body_figures_ttl_seconds if services else 0, clock=clock
    )

    async def serve(request: web.Request) -> web.Response:
        if token and not authorized(request, token):
            return web.Response(
                status=401,
                text="401: Unauthorized\n",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        try:
            async with asyncio.timeout(QUERY_TIMEOUT_S), db.sessions() as session:
                figures = await stats.figures(session, now=clock())
                bodies: list[BodyFigures] = []
                if services is not None:
                    work = Work(
                        session=session,
                        actor=Actor.machine("metrics"),
                        settings=services.settings,
                        translator=services.translator,
                        city=services.city,
                        clock=clock,
                    )
                    bodies = await cache.get(lambda: body_figures(work))
        except DATABASE_DOWN as exc:
            log.warning("metrics: database unavailable (%s)", type(exc).__name__)
            figures, bodies = None, []
        metrics.set_figures(figures, bodies)
        body, content_type = metrics.latest(request.headers.get("Accept"))
        return web.Response(body=body, headers={"Content-Type": content_type})

    return [web.get("/metrics", serve)]


def authorized(request: web.Request, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())
