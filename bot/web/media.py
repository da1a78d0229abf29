"""Stored photos over HTTP: `GET /media/photos/{name}.jpg`; files shared for a short time
(bot/media/files.py, e.g. a /mydata export sent on Viber): `GET /media/files/{token}/{name}`.

Viber sends pictures by URL and Open311 publishes `media_url`, so photos are public to
whoever knows the name; the name is the secret (192 random bits). Nothing here lists a
directory or maps a request path to the file system: the name must match the exact pattern
PhotoStore makes, or the answer is 404.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web

from bot.media.files import SharedFiles
from bot.media.store import PhotoStore, is_photo_name

PHOTO_ROUTE: Final = "/media/photos/{name}.jpg"
FILE_ROUTE: Final = "/media/files/{token}/{name}"
# A name never gets other content, so caches may keep it; deleting a photo does not
# reach copies already cached downstream.
CACHE_CONTROL: Final = "public, max-age=31536000, immutable"


def media_routes(store: PhotoStore, files: SharedFiles | None = None) -> list[web.RouteDef]:
    async def photo(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if not is_photo_name(name):
            raise web.HTTPNotFound()
        # FileResponse stats and reads in a thread, answers 404 if the file is gone,
        # and handles ETag, If-Modified-Since and Range.
        return web.FileResponse(
            store.path(name),
            headers={
                "Content-Type": "image/jpeg",
                "Cache-Control": CACHE_CONTROL,
                "X-Content-Type-Options": "nosniff",
            },
        )

    routes = [web.get(PHOTO_ROUTE, photo)]
    if files is not None:
        routes.append(web.get(FILE_ROUTE, _shared_file(files)))
    return routes


def _shared_file(files: SharedFiles) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def shared_file(request: web.Request) -> web.StreamResponse:
        token, name = request.match_info["token"], request.match_info["name"]
        if not files.live(token, name):  # malformed, or expired (deleted by the next prune)
            raise web.HTTPNotFound()
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return web.FileResponse(
            files.path(token, name),
            headers={
                "Content-Type": content_type,
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return shared_file


def public_file_url(public_url: str, token: str, name: str) -> str:
    """The absolute URL of a shared file (see bot/media/files.py)."""
    return public_url.rstrip("/") + FILE_ROUTE.format(token=token, name=name)


def public_photo_url(public_url: str, name: str) -> str:
    """The absolute URL of a stored photo, e.g. for Open311 media_url or a Viber picture.

    `public_url` is Settings.public_url (HTTP_PUBLIC_URL); a path prefix in it is kept.
    """
    if not is_photo_name(name):
        raise ValueError(f"not a photo name: {name!r}")
    return public_url.rstrip("/") + PHOTO_ROUTE.format(name=name)
