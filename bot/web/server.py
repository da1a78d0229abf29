"""The aiohttp server: health, and every channel's routes (webhooks)."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot import __version__
from storage.db import Database

log = logging.getLogger(__name__)

DB_KEY = web.AppKey("db", Database)
HEALTH_TIMEOUT_S = 3.0


async def healthz(request: web.Request) -> web.Response:
    db = request.app[DB_KEY]
    try:
        await asyncio.wait_for(db.ping(), HEALTH_TIMEOUT_S)
    except Exception as exc:  # any failure of the database means "not healthy"
        log.warning("health check: database unavailable (%s)", type(exc).__name__)
        return web.json_response(
            {"status": "unavailable", "database": "unavailable", "version": __version__},
            status=503,
        )
    return web.json_response({"status": "ok", "database": "ok", "version": __version__})


def build_web_app(db: Database, routes: list[web.RouteDef]) -> web.Application:
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app[DB_KEY] = db
    app.router.add_get("/healthz", healthz)
    app.add_routes(routes)
    return app


class WebServer:
    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        if self.port == 0 and server is not None and server.sockets:  # type: ignore[union-attr]
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        log.info("web server listening on http://%s:%s", self.host, self.port)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
