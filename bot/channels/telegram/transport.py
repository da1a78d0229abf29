"""python-telegram-bot's HTTP transport on aiohttp.

PTB builds every Bot API request and parses every answer; this class only carries the bytes
(PTB's documented extension point, `telegram.request.BaseRequest`). Its default transport,
httpx on anyio, cost about two thirds of the CPU of a sent message here (bench/README.md);
aiohttp is already the process's web server and Viber client.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

JSON_HEADERS = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    __slots__ = ("_connect", "_media_write", "_pool_size", "_read", "_session", "_write")

    def __init__(
        self,
        *,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data else None
        body: aiohttp.FormData | bytes | None = None
        headers = None
        if request_data is not None and files:
            # Unquoted: file names in UTF-8 as Telegram and httpx (PTB's default) write them.
            form = aiohttp.FormData(quote_fields=False)
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, (filename, content, mime_type) in files.items():
                form.add_field(name, content, filename=filename, content_type=mime_type)
            body = form
        elif request_data is not None and (parameters := request_data.parameters):
            # One JSON document (the Bot API takes application/json except for uploads): one
            # json.dumps in C, where a form needed each value JSON-encoded by PTB and then
            # url-encoded in Python (bench/README.md).
            body = json.dumps(parameters, ensure_ascii=False, separators=(",", ":")).encode()
            headers = JSON_HEADERS
        read = self._read if _is_default(read_timeout) else read_timeout
        connect = self._connect if _is_default(connect_timeout) else connect_timeout
        write = self._media_write if files else self._write
        if not _is_default(write_timeout):
            write = write_timeout
        # aiohttp has no write timeout of its own; sending the body counts towards the total.
        total = None if read is None or write is None else read + write + (connect or 0)
        timeout = aiohttp.ClientTimeout(total=total, sock_connect=connect, sock_read=read)
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


def _is_default(value: Any) -> bool:
    return isinstance(value, type(BaseRequest.DEFAULT_NONE))
