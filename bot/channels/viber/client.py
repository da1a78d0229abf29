"""A small asyncio client for the Viber REST Bot API (no maintained async SDK exists).

Every call is a POST of a JSON object to `<base>/<method>` with the `X-Viber-Auth-Token`
header; every answer is HTTP 200 with a JSON object whose `status` is 0 on success, or a
failure code with `status_message` (the list: developers.viber.com/docs/api/rest-bot-api/
#error-codes). A problem below that level (network, HTTP status, a body that is not such an
object) raises `ViberApiError`. One `aiohttp.ClientSession` serves the life of the client.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import aiohttp

from bot.core.channel import MediaTooLarge

TOKEN_HEADER: Final = "X-Viber-Auth-Token"
TIMEOUT: Final = aiohttp.ClientTimeout(total=30, connect=10)
MAX_BROADCAST_RECEIVERS: Final = 300

# Status codes the bot acts on.
OK: Final = 0
INVALID_URL: Final = 1
INVALID_AUTH_TOKEN: Final = 2
NOT_SUBSCRIBED: Final = 6
TOO_MANY_REQUESTS: Final = 12

JSON = dict[str, Any]


class ViberApiError(Exception):
    """The API could not be asked or gave no usable answer (network, HTTP error, junk)."""


@dataclass(frozen=True, slots=True)
class ApiResult:
    status: int
    status_message: str
    message_token: int | None = None
    data: JSON = field(default_factory=dict, compare=False)

    @property
    def ok(self) -> bool:
        return self.status == OK

    def describe(self) -> str:
        return f"status {self.status}: {self.status_message}"


@dataclass(frozen=True, slots=True)
class FailedReceiver:
    receiver: str
    status: int
    status_message: str


@dataclass(frozen=True, slots=True)
class BroadcastResult:
    result: ApiResult
    failed: tuple[FailedReceiver, ...] = ()


class ViberClient:
    def __init__(self, token: str, base_url: str, *, timeout: aiohttp.ClientTimeout = TIMEOUT):
        self._token = token
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            raise ViberApiError("the Viber client is not open (the channel is stopped)")
        return self._session

    # -- the API ------------------------------------------------------------------------

    async def call(self, method: str, body: JSON) -> ApiResult:
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {TOKEN_HEADER: self._token, "Content-Type": "application/json"}
        try:
            async with self.session.post(
                f"{self.base_url}/{method}", data=payload, headers=headers
            ) as response:
                if response.status != 200:
                    raise ViberApiError(f"{method}: HTTP {response.status}")
                data = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ViberApiError(f"{method}: {type(exc).__name__}") from None
        except ValueError:  # not JSON
            raise ViberApiError(f"{method}: the answer is not JSON") from None
        if not isinstance(data, dict) or type(data.get("status")) is not int:
            raise ViberApiError(f"{method}: the answer has no status")
        token = data.get("message_token")
        return ApiResult(
            status=data["status"],
            status_message=str(data.get("status_message", "")),
            message_token=token if type(token) is int else None,
            data=data,
        )

    async def get_account_info(self) -> ApiResult:
        return await self.call("get_account_info", {})

    async def set_webhook(
        self,
        url: str,
        *,
        event_types: Sequence[str],
        send_name: bool = False,
        send_photo: bool = False,
    ) -> ApiResult:
        body = {
            "url": url,
            "event_types": list(event_types),
            "send_name": send_name,
            "send_photo": send_photo,
        }
        return await self.call("set_webhook", body)

    async def send_message(self, receiver: str, message: JSON) -> ApiResult:
        return await self.call("send_message", {"receiver": receiver, **message})

    async def broadcast_message(self, receivers: Sequence[str], message: JSON) -> BroadcastResult:
        if not 1 <= len(receivers) <= MAX_BROADCAST_RECEIVERS:
            raise ValueError(f"a broadcast goes to 1-{MAX_BROADCAST_RECEIVERS} receivers")
        body = {"broadcast_list": list(receivers), **message}
        result = await self.call("broadcast_message", body)
        return BroadcastResult(result, _failed_list(result.data.get("failed_list")))

    # -- media --------------------------------------------------------------------------

    async def download(self, url: str, *, max_bytes: int) -> bytes:
        """A file a citizen sent (Viber's media URL, valid for an hour). The token is not
        sent along: the URL is the credential."""
        if not url.startswith(("https://", "http://")):
            raise ValueError("not an http(s) URL")
        try:
            async with self.session.get(url) as response:
                if response.status != 200:
                    raise ViberApiError(f"media download: HTTP {response.status}")
                if response.content_length is not None and response.content_length > max_bytes:
                    raise MediaTooLarge(f"{response.content_length} bytes > {max_bytes}")
                data = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    data += chunk
                    if len(data) > max_bytes:
                        raise MediaTooLarge(f"more than {max_bytes} bytes")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ViberApiError(f"media download: {type(exc).__name__}") from None
        return bytes(data)


def _failed_list(value: object) -> tuple[FailedReceiver, ...]:
    if not isinstance(value, list):
        return ()
    failed = []
    for item in value:
        if isinstance(item, dict) and isinstance(item.get("receiver"), str):
            status = item.get("status")
            failed.append(
                FailedReceiver(
                    receiver=item["receiver"],
                    status=status if type(status) is int else -1,
                    status_message=str(item.get("status_message", "")),
                )
            )
    return tuple(failed)
