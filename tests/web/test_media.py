from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from bot.media import PhotoStore, process_photo
from bot.web.media import media_routes, public_photo_url
from tests.bot.media.images import jpeg

UNKNOWN = "B" * 32


@pytest.fixture
def store(tmp_path: Path) -> PhotoStore:
    return PhotoStore(tmp_path / "data")


@pytest.fixture
async def client(store: PhotoStore) -> AsyncIterator[TestClient]:
    app = web.Application()
    app.add_routes(media_routes(store))
    async with TestClient(TestServer(app)) as http:
        yield http


@pytest.fixture
async def photo(store: PhotoStore) -> tuple[str, bytes]:
    content = process_photo(jpeg(120, 80)).content
    return await store.save(content), content


async def test_a_saved_photo_is_served(client: TestClient, photo: tuple[str, bytes]):
    name, content = photo
    resp = await client.get(f"/media/photos/{name}.jpg")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "image/jpeg"
    assert "max-age=31536000" in resp.headers["Cache-Control"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert await resp.read() == content


async def test_head_gives_headers_only(client: TestClient, photo: tuple[str, bytes]):
    name, content = photo
    resp = await client.head(f"/media/photos/{name}.jpg")
    assert resp.status == 200
    assert int(resp.headers["Content-Length"]) == len(content)


async def test_unknown_and_deleted_photos_are_404(
    client: TestClient, store: PhotoStore, photo: tuple[str, bytes]
):
    assert (await client.get(f"/media/photos/{UNKNOWN}.jpg")).status == 404
    name, _ = photo
    await store.delete(name)
    assert (await client.get(f"/media/photos/{name}.jpg")).status == 404


@pytest.mark.parametrize(
    "path",
    [
        "/media/photos/",
        "/media/photos",
        "/media/photos/short.jpg",
        "/media/photos/{name}",
        "/media/photos/{name}.png",
        "/media/photos/{name}.jpg/",
        "/media/photos/{name}.jpg.jpg",
        "/media/photos/..%2F..%2Fcitizenbot.db%00.jpg",
        "/media/photos/%2E%2E%2Fsecret.jpg",
        "/media/photos/..%2Fsecret.jpg",
        "/media/photos/%2Fetc%2Fpasswd.jpg",
        "/media/photos/..%5C..%5Csecret.jpg",
        "/media/photos/../secret.jpg",
        "/media/photos/%2e%2e/%2e%2e/secret.jpg",
        "/media/{name}.jpg",
    ],
)
async def test_malformed_and_traversal_paths_are_404(
    client: TestClient, store: PhotoStore, photo: tuple[str, bytes], path: str
):
    secret = store.dir.parent / "secret.jpg"
    secret.write_bytes(b"not for the public")
    name, _ = photo
    raw = URL(path.format(name=name), encoded=True)
    resp = await client.get(raw)
    assert resp.status == 404
    assert b"not for the public" not in await resp.read()


def test_public_photo_url_is_absolute():
    assert (
        public_photo_url("https://bot.sofia.bg", UNKNOWN)
        == f"https://bot.sofia.bg/media/photos/{UNKNOWN}.jpg"
    )


def test_public_photo_url_keeps_a_path_prefix_and_drops_a_trailing_slash():
    assert (
        public_photo_url("https://sofia.bg/citizenbot/", UNKNOWN)
        == f"https://sofia.bg/citizenbot/media/photos/{UNKNOWN}.jpg"
    )


@pytest.mark.parametrize("name", ["../x", "", UNKNOWN + ".jpg"])
def test_public_photo_url_refuses_a_bad_name(name: str):
    with pytest.raises(ValueError):
        public_photo_url("https://bot.sofia.bg", name)


async def test_public_url_resolves_on_the_server(client: TestClient, photo: tuple[str, bytes]):
    name, content = photo
    url = URL(public_photo_url(str(client.make_url("/")), name))
    resp = await client.session.get(url)
    assert resp.status == 200
    assert await resp.read() == content
