"""Request bodies from the Internet, bounded in size and in time.

Every route that reads a body reads it through here with the limit that fits it (the
*_MAX_BODY_BYTES settings) and HTTP_BODY_TIMEOUT_SECONDS:

- a Content-Length past the limit is answered 413 before a byte of the body is read;
- a body that grows past it (chunked, or compressed) is answered 413 as soon as it does, so
  no more than the limit is ever held in memory for one request;
- a body that has not fully arrived within the timeout (a client sending a byte a second) is
  answered 408 and its connection closed;
- a client that goes away mid-body is one line in the log, not a traceback.

Headers and idle connections are bounded by the server (HTTP_IDLE_TIMEOUT_SECONDS, see
bot/web/server.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web
from multidict import MultiDictProxy

log = logging.getLogger(__name__)

T = TypeVar("T")


async def read_body(request: web.Request, *, limit: int, timeout: float) -> bytes:
    """The raw body (decompressed), at most `limit` bytes, within `timeout` seconds."""
    return await _bounded(request, limit, timeout, lambda _: _read_at_most(request, limit))


async def _read_at_most(request: web.Request, limit: int) -> bytes:
    # Never more than the limit from the buffer: Request.read() takes all that arrived in
    # one go (up to half a megabyte from a fast sender) before it checks the size.
    body = bytearray()
    while chunk := await request.content.read(limit + 1 - len(body)):
        body += chunk
        if len(body) > limit:
            raise web.HTTPRequestEntityTooLarge(max_size=limit)
    return bytes(body)


async def read_form(request: web.Request, *, limit: int, timeout: float) -> MultiDictProxy[Any]:
    """The form-encoded or multipart body, as `read_body` bounds it. A body that is not a
    form (undecodable text, broken multipart) raises ValueError."""
    return await _bounded(request, limit, timeout, lambda bounded: bounded.post())


async def _bounded(
    request: web.Request,
    limit: int,
    timeout: float,
    read: Callable[[web.Request], Awaitable[T]],
) -> T:
    length = request.content_length
    if length is not None and length > limit:
        raise _closing(web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=length))
    try:
        async with asyncio.timeout(timeout):
            return await read(request.clone(client_max_size=limit))
    except web.HTTPRequestEntityTooLarge as exc:  # chunked or compressed past the limit
        raise _closing(web.HTTPRequestEntityTooLarge(max_size=limit)) from exc
    except TimeoutError:
        log.warning(
            "%s %s: the body did not arrive within %gs; connection closed",
            request.method,
            request.path,
            timeout,
        )
        raise _closing(web.HTTPRequestTimeout(text="the request body was too slow")) from None
    except (ConnectionError, web.RequestPayloadError) as exc:
        # The client went away (or broke off its chunked body) mid-body: no one to answer.
        log.warning(
            "%s %s: the client went away mid-body (%s)",
            request.method,
            request.path,
            type(exc).__name__,
        )
        raise _closing(web.HTTPBadRequest(text="incomplete request body")) from None


def _closing(response: web.HTTPException) -> web.HTTPException:
    """`response`, answered on a connection that is then closed (what remains of the body
    is not worth reading)."""
    response.force_close()
    return response
