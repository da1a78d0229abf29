"""Processed photos on disk: `<data_dir>/photos/<name>.jpg` under unguessable names.

The name is the only handle a photo has: it goes into the database and into public URLs, so
it is random (192 bits, URL-safe) and every method refuses anything that does not look
exactly like one, which rules out path traversal by construction.

A photo uploaded before anything in the database names it (the console composer's, which a
notice may never use) is saved as pending: a marker `photos/pending/<name>` holds the upload
time, and the daily retention job (scheduler/retention.py) deletes the pending photos no
notice uses after a day, and the markers of those one does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Final

NAME_BYTES: Final = 24  # secrets.token_urlsafe(24) -> 32 characters
NAME_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{32}")
SUFFIX: Final = ".jpg"
_TEMP_PREFIX: Final = ".tmp-"
PENDING: Final = "pending"


class InvalidPhotoName(ValueError):
    """A name that PhotoStore could not have made (malformed, or an escape attempt)."""


def is_photo_name(name: str) -> bool:
    return isinstance(name, str) and NAME_PATTERN.fullmatch(name) is not None


class PhotoStore:
    def __init__(self, root: Path | str) -> None:
        self.dir = Path(root) / "photos"

    def path(self, name: str) -> Path:
        """Where the photo `name` lives; raises InvalidPhotoName for anything else."""
        if not is_photo_name(name):
            raise InvalidPhotoName(f"not a photo name: {name!r}")
        return self.dir / f"{name}{SUFFIX}"

    def exists(self, name: str) -> bool:
        """False for unknown and for malformed names (one stat call)."""
        return is_photo_name(name) and self.path(name).is_file()

    async def save(self, content: bytes) -> str:
        """Store the bytes under a fresh name and return the name."""
        name = secrets.token_urlsafe(NAME_BYTES)
        await asyncio.to_thread(self._write, self.path(name), content)
        return name

    async def read(self, name: str) -> bytes:
        """The stored bytes; FileNotFoundError if there is no such photo."""
        return await asyncio.to_thread(self.path(name).read_bytes)

    async def delete(self, name: str) -> None:
        """Remove the photo; deleting one that is not there is not an error."""
        await asyncio.to_thread(self.path(name).unlink, missing_ok=True)

    async def save_pending(self, content: bytes, *, now: datetime) -> str:
        """Store the bytes like `save`, marked as pending (uploaded `now`, used by nothing
        yet): `pending` lists it once it is old, for its owner to keep or delete."""
        name = await self.save(content)
        marker = self._marker(name)
        await asyncio.to_thread(self._write_marker, marker, now.isoformat())
        return name

    async def pending(self, *, before: datetime) -> list[str]:
        """The pending photos uploaded before `before` (a marker that cannot be read counts
        as old)."""
        return await asyncio.to_thread(self._pending, before)

    async def settle(self, name: str, *, keep: bool) -> None:
        """A pending photo is decided: kept (its marker goes) or deleted with its marker."""
        if not keep:
            await self.delete(name)
        await asyncio.to_thread(self._marker(name).unlink, missing_ok=True)

    def _marker(self, name: str) -> Path:
        if not is_photo_name(name):
            raise InvalidPhotoName(f"not a photo name: {name!r}")
        return self.dir / PENDING / name

    @staticmethod
    def _write_marker(marker: Path, text: str) -> None:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(text, encoding="ascii")

    def _pending(self, before: datetime) -> list[str]:
        folder = self.dir / PENDING
        if not folder.is_dir():
            return []
        found = []
        for marker in sorted(folder.iterdir()):
            if not is_photo_name(marker.name):
                continue
            try:
                at = datetime.fromisoformat(marker.read_text(encoding="ascii").strip())
            except (OSError, ValueError):
                at = None
            if at is None or at.tzinfo is None or at < before:
                found.append(marker.name)
        return found

    def _write(self, target: Path, content: bytes) -> None:
        """Atomic: readers see the whole file or none (temp file, fsync, rename)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=self.dir, prefix=_TEMP_PREFIX, suffix=SUFFIX)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        _fsync_dir(self.dir)


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
