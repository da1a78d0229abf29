"""A publisher of feeds over HTTP, as the real ones answer: each path serves the document
last published there with an ETag and a Last-Modified, answers a conditional GET with 304
when nothing changed, and can be taken down (503) or made to hang (no answer until the
server stops). Every request is
recorded (path and the conditional headers it carried)."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from email.utils import formatdate

from aiohttp import web


@dataclass(frozen=True)
class Request:
    path: str
    if_none_match: str | None
    if_modified_since: str | None
    referer: str | None


class FakeFeeds:
    def __init__(self) -> None:
        self.documents: dict[str, tuple[bytes, str, str, str]] = {}
        self.down: set[str] = set()
        self.hang: set[str] = set()
        self._release = asyncio.Event()
        self.requests: list[Request] = []
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._version = 0

    def publish(self, path: str, body: bytes | str, content_type: str) -> None:
        data = body.encode() if isinstance(body, str) else body
        self._version += 1
        etag = f'"{hashlib.sha1(data).hexdigest()[:16]}"'
        modified = formatdate(1_700_000_000 + self._version, usegmt=True)
        self.documents[path] = (data, content_type, etag, modified)

    def url(self, path: str) -> str:
        if self._port is None:
            raise RuntimeError("FakeFeeds is not started")
        return f"http://127.0.0.1:{self._port}{path}"

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.requests.append(
            Request(
                path,
                request.headers.get("If-None-Match"),
                request.headers.get("If-Modified-Since"),
                request.headers.get("Referer"),
            )
        )
        if path in self.hang:
            await self._release.wait()
        if path in self.down:
            return web.Response(status=503, text="Service Unavailable")
        if path not in self.documents:
            return web.Response(status=404)
        data, content_type, etag, modified = self.documents[path]
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=data,
            content_type=content_type,
            headers={"ETag": etag, "Last-Modified": modified},
        )

    async def __aenter__(self) -> FakeFeeds:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._serve)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
