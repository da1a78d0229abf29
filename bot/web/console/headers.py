"""Security headers on every console answer, errors included.

The pages carry no inline scripts or styles, so the policy allows only the console's own
files, plus map tiles from the configured tile server's origin."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def tile_origin(tile_url: str) -> str:
    """The origin of a tile URL template: https://{s}.tile.example.org → the hosts it names."""
    parts = urlsplit(tile_url)
    host = parts.netloc.replace("{s}", "*")
    return f"{parts.scheme}://{host}" if parts.scheme and host else ""


def content_security_policy(tile_url: str) -> str:
    images = " ".join(filter(None, ("'self'", "data:", tile_origin(tile_url))))
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {images}",
            "connect-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        )
    )


def security_headers(tile_url: str, *, https: bool) -> Callable[..., Awaitable[web.StreamResponse]]:
    policy = content_security_policy(tile_url)
    fixed = {
        "Content-Security-Policy": policy,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
    if https:
        fixed["Strict-Transport-Security"] = "max-age=31536000"

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            exc.headers.update(fixed)
            _no_store(request, exc.headers)
            raise
        response.headers.update(fixed)
        _no_store(request, response.headers)
        return response

    return middleware


def _no_store(request: web.Request, headers: object) -> None:
    if not request.path.startswith("/console/static/"):
        headers["Cache-Control"] = "no-store"  # type: ignore[index]
