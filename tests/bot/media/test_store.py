from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.media.store import InvalidPhotoName, PhotoStore, is_photo_name

CONTENT = b"\xff\xd8\xff\xe0 pretend jpeg \xff\xd9"


@pytest.fixture
def store(tmp_path: Path) -> PhotoStore:
    return PhotoStore(tmp_path / "data")


async def test_save_read_delete_round_trip(store: PhotoStore, tmp_path: Path):
    name = await store.save(CONTENT)
    assert store.exists(name)
    assert store.path(name) == tmp_path / "data" / "photos" / f"{name}.jpg"
    assert store.path(name).read_bytes() == CONTENT
    assert await store.read(name) == CONTENT

    await store.delete(name)
    assert not store.exists(name)
    assert not store.path(name).exists()
    await store.delete(name)  # deleting again is fine
    with pytest.raises(FileNotFoundError):
        await store.read(name)


async def test_names_are_unguessable_and_url_safe(store: PhotoStore):
    names = [await store.save(CONTENT) for _ in range(20)]
    assert len(set(names)) == len(names)
    for name in names:
        assert re.fullmatch(r"[A-Za-z0-9_-]{32}", name)  # 24 random bytes
        assert is_photo_name(name)


async def test_save_leaves_only_the_finished_file(store: PhotoStore):
    name = await store.save(CONTENT)
    assert [p.name for p in store.dir.iterdir()] == [f"{name}.jpg"]


async def test_a_failed_write_leaves_no_temp_file(store: PhotoStore, monkeypatch):
    def fail(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("bot.media.store.os.replace", fail)
    with pytest.raises(OSError, match="disk full"):
        await store.save(CONTENT)
    assert list(store.dir.iterdir()) == []


VALID = "A" * 31 + "_"

BAD_NAMES = [
    "",
    "../x",
    "a/b",
    "..%2F..%2Fetc%2Fpasswd",
    "/etc/passwd",
    "../" + "A" * 29,
    "A" * 29 + "/..",
    "A" * 30 + "..",
    VALID + ".jpg",
    VALID[:-1],
    VALID + "A",
    VALID + "\n",
    VALID[:-1] + "\x00",
    VALID[:-1] + "é",
    VALID[:-1] + "٣",  # a non-ASCII digit
    VALID[:-1] + ".",
    VALID[:-1] + "=",
    VALID[:-1] + " ",
    "\\" + VALID[1:],
]


@pytest.mark.parametrize("name", BAD_NAMES)
async def test_anything_but_a_store_name_is_refused(store: PhotoStore, name: str):
    assert not is_photo_name(name)
    assert not store.exists(name)
    with pytest.raises(InvalidPhotoName):
        store.path(name)
    with pytest.raises(InvalidPhotoName):
        await store.read(name)
    with pytest.raises(InvalidPhotoName):
        await store.delete(name)


async def test_a_file_outside_the_photo_dir_is_not_reachable(store: PhotoStore):
    secret = store.dir.parent / "citizenbot.db"
    secret.parent.mkdir(parents=True)
    secret.write_bytes(b"secret")
    for name in ("../citizenbot.db", "../citizenbot", str(secret)):
        assert not store.exists(name)
        with pytest.raises(InvalidPhotoName):
            await store.read(name)


def test_a_valid_name_maps_inside_the_photo_dir(store: PhotoStore):
    assert is_photo_name(VALID)
    assert store.path(VALID).parent == store.dir
    assert not store.exists(VALID)
