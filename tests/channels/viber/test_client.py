"""The REST client against the fake Viber API: headers, statuses, broadcast results, media."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.channels.viber.client import (
    ApiResult,
    BroadcastResult,
    FailedReceiver,
    ViberApiError,
    ViberClient,
)
from bot.core.channel import MediaTooLarge
from tests.fakes.viber_api import FakeViberAPI

TEXT = {"sender": {"name": "Столична община"}, "type": "text", "text": "Здравейте 👋"}


@pytest.fixture
async def api() -> AsyncIterator[FakeViberAPI]:
    async with FakeViberAPI() as fake:
        yield fake
        assert fake.violations == []


@pytest.fixture
async def client(api: FakeViberAPI) -> AsyncIterator[ViberClient]:
    viber = ViberClient(api.token, api.base_url + "/")
    await viber.open()
    yield viber
    await viber.close()


async def test_account_info_and_the_token_header(client: ViberClient, api: FakeViberAPI):
    info = await client.get_account_info()
    assert info.ok and info.data["name"] == api.account_name
    stranger = ViberClient("a-wrong-token", api.base_url)
    await stranger.open()
    try:
        refused = await stranger.get_account_info()
    finally:
        await stranger.close()
    assert refused == ApiResult(2, "invalidAuthToken")
    assert refused.describe() == "status 2: invalidAuthToken"


async def test_send_message_returns_the_message_token(client: ViberClient, api: FakeViberAPI):
    user = api.user("u1")
    api.subscribed.add(user.id)
    result = await client.send_message(user.id, TEXT)
    assert result.ok and isinstance(result.message_token, int)
    assert api.calls_to("send_message")[0].body == {"receiver": user.id, **TEXT}
    api.fail_next("send_message", 12)
    assert (await client.send_message(user.id, TEXT)).status == 12


async def test_broadcast_parses_the_failed_list(client: ViberClient, api: FakeViberAPI):
    users = [api.user(f"u{i}") for i in range(3)]
    api.subscribed |= {users[0].id, users[2].id}
    api.fail_receiver(users[2].id, 5)
    outcome = await client.broadcast_message([u.id for u in users], TEXT)
    assert outcome == BroadcastResult(
        ApiResult(0, "ok", outcome.result.message_token),
        (
            FailedReceiver(users[1].id, 6, "receiverNotSubscribed"),
            FailedReceiver(users[2].id, 5, "receiverNotRegistered"),
        ),
    )
    with pytest.raises(ValueError):
        await client.broadcast_message([], TEXT)
    with pytest.raises(ValueError):
        await client.broadcast_message(["x"] * 301, TEXT)


async def test_transport_problems_raise(client: ViberClient, api: FakeViberAPI):
    client.base_url = f"{api.url}/nowhere"
    with pytest.raises(ViberApiError, match="HTTP 404"):
        await client.get_account_info()
    client.base_url = "http://127.0.0.1:1/pa"
    with pytest.raises(ViberApiError, match="ClientConnectorError"):
        await client.get_account_info()
    closed = ViberClient(api.token, api.base_url)
    with pytest.raises(ViberApiError, match="not open"):
        await closed.get_account_info()


async def test_download_is_bounded(client: ViberClient, api: FakeViberAPI):
    content = b"\xff\xd8" + b"x" * 1000
    url = api.host(content)
    assert await client.download(url, max_bytes=len(content)) == content
    with pytest.raises(MediaTooLarge):
        await client.download(url, max_bytes=len(content) - 1)
    with pytest.raises(ViberApiError, match="HTTP 404"):
        await client.download(f"{api.url}/media/missing", max_bytes=10)
    with pytest.raises(ValueError):
        await client.download("file:///etc/passwd", max_bytes=10)
