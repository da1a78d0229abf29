"""Files shared by URL for a short time (a /mydata export on Viber): served under an
unguessable token while they live, 404 once expired, deleted by the next save or prune; a
malformed token or name never reaches the file system."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.media.files import InvalidFileName, SharedFiles, safe_name
from bot.media.store import PhotoStore
from bot.web.media import media_routes, public_file_url
from tests.conftest import Clock

NAME = "citizenbot-mydata-2026-11-27.json"
CONTENT = b'{"citizen": {"language": "bg"}}'


@pytest.fixture
def files(tmp_path: Path, clock: Clock) -> SharedFiles:
    return SharedFiles(tmp_path / "data", clock=clock)


@pytest.fixture
async def client(tmp_path: Path, files: SharedFiles) -> AsyncIterator[TestClient]:
    app = web.Application()
    app.add_routes(media_routes(PhotoStore(tmp_path / "data"), files))
    async with TestClient(TestServer(app)) as http:
        yield http


async def test_a_shared_file_is_served_as_an_attachment(client: TestClient, files: SharedFiles):
    token, name = await files.save(NAME, CONTENT)
    url = public_file_url("https://bot.example.org/", token, name)
    assert url == f"https://bot.example.org/media/files/{token}/{NAME}"
    resp = await client.get(f"/media/files/{token}/{name}")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.headers["Content-Disposition"] == f'attachment; filename="{NAME}"'
    assert resp.headers["Cache-Control"] == "private, no-store"
    assert await resp.read() == CONTENT


async def test_it_expires_after_an_hour_and_is_deleted(
    client: TestClient, files: SharedFiles, clock: Clock
):
    token, name = await files.save(NAME, CONTENT)
    clock.advance(minutes=59)
    assert (await client.get(f"/media/files/{token}/{name}")).status == 200
    clock.advance(minutes=1)
    assert (await client.get(f"/media/files/{token}/{name}")).status == 404
    assert files.path(token, name).exists()  # until the next save or prune
    await files.save("other.json", b"{}")
    assert not files.path(token, name).parent.exists()
    clock.advance(hours=1)
    assert await files.prune() == 1
    assert list(files.dir.iterdir()) == []


async def test_unknown_and_malformed_paths_are_404(client: TestClient, files: SharedFiles):
    token, name = await files.save(NAME, CONTENT)
    forged = token[:11] + "B" * 32
    for path in (
        f"/media/files/{forged}/{name}",
        f"/media/files/{token}/other.json",
        f"/media/files/{token}/..%2F..%2Fcitizenbot.db",
        f"/media/files/9999999999-{'A' * 32}/{name}",  # a far expiry does not make it exist
        f"/media/files/{token[:-1]}/{name}",
    ):
        assert (await client.get(path)).status == 404, path


def test_the_store_refuses_what_it_could_not_have_made(files: SharedFiles):
    with pytest.raises(InvalidFileName):
        files.path("../..", NAME)
    with pytest.raises(InvalidFileName):
        files.path("1796292000-" + "A" * 32, "../x.json")


def test_file_names_are_made_safe():
    assert safe_name("данни-2026.json") == "2026.json"
    assert safe_name("my data.json") == "my_data.json"
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name(".hidden") == "hidden"
    assert safe_name("") == "file"
