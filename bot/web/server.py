"""The aiohttp server: health, and every channel's routes (webhooks).

Open to the Internet, so nothing waits on a client for long: a connection that has not sent
a complete request head within HTTP_IDLE_TIMEOUT_SECONDS of opening (or of its last answer)
is closed, which covers idle keep-alive connections and headers sent a byte at a time.
Bodies are bounded per route, in size and time, by bot/web/bodies.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from aiohttp import web

from bot import __version__
from storage.db import Database

log = logging.getLogger(__name__)

DB_KEY = web.AppKey("db", Database)
HEALTH_TIMEOUT_S = 3.0
# What a route that does not read through bot/web/bodies.py may read at most.
DEFAULT_MAX_BODY = 64 * 1024
IDLE_TIMEOUT_S = 15.0
BODY_TIMEOUT_S = 10.0
# After an answer given before the whole body arrived (403, 413, 408), what remains of the
# body is read and dropped for at most this long, so the client sees the answer rather than
# a reset; then the connection is closed.
LINGER_S = 2.0


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


async def _server_name(_request: web.Request, response: web.StreamResponse) -> None:
    # aiohttp's default names its version and Python's; the version helps only an attacker.
    response.headers["Server"] = "citizenbot"


def build_web_app(
    db: Database,
    routes: list[web.RouteDef],
    subapps: Mapping[str, web.Application] | None = None,
) -> web.Application:
    """The server's routes, and sub-applications with their own middlewares by path prefix
    (the staff console at /console)."""
    app = web.Application(client_max_size=DEFAULT_MAX_BODY)
    app[DB_KEY] = db
    app.router.add_get("/healthz", healthz)
    app.add_routes(routes)
    for prefix, subapp in (subapps or {}).items():
        app.add_subapp(prefix, subapp)
    app.on_response_prepare.append(_server_name)
    return app


class WebServer:
    def __init__(
        self,
        app: web.Application,
        host: str,
        port: int,
        *,
        idle_timeout: float = IDLE_TIMEOUT_S,
        body_timeout: float = BODY_TIMEOUT_S,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.idle_timeout = idle_timeout
        self.body_timeout = body_timeout
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(
            self.app,
            access_log=None,
            # aiohttp closes a connection still waiting for a complete request head when
            # this runs out, counted from its opening or from its last answer.
            keepalive_timeout=self.idle_timeout,
            lingering_time=min(LINGER_S, self.body_timeout),
        )
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
