"""Files handed out by URL for a short time: `<data_dir>/files/<token>/<file name>`.

Viber fetches the file of a `file` message from a URL, so a document for a Viber citizen (the
/mydata export) is stored here and served by bot/web/media.py at
`/media/files/<token>/<file name>` until it expires (one hour by default). The token is the
expiry time (Unix seconds) and 192 random bits: the random part is the secret, the time tells
the server and `prune` when the file is gone. Past its expiry the URL answers 404, and the
file is deleted by the next `save` or `prune` (the retention job prunes daily).

Like PhotoStore, every method refuses a token or a name that does not look exactly like one
it makes, which rules out path traversal by construction.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from storage.types import utcnow

TTL: Final = timedelta(hours=1)
TOKEN_PATTERN: Final = re.compile(r"([0-9]{10})-[A-Za-z0-9_-]{32}")
NAME_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
RANDOM_BYTES: Final = 24  # secrets.token_urlsafe(24) -> 32 characters


class InvalidFileName(ValueError):
    """A token or file name SharedFiles could not have made."""


def safe_name(filename: str) -> str:
    """A file name the store accepts: other characters become "_", at most 100 long."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", Path(filename).name).lstrip("._-")[:100]
    return cleaned or "file"


class SharedFiles:
    def __init__(
        self,
        root: Path | str,
        *,
        ttl: timedelta = TTL,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.dir = Path(root) / "files"
        self.ttl = ttl
        self.clock = clock

    def path(self, token: str, name: str) -> Path:
        """Where the file lives; raises InvalidFileName for anything the store did not make."""
        if TOKEN_PATTERN.fullmatch(token) is None or NAME_PATTERN.fullmatch(name) is None:
            raise InvalidFileName(f"not a shared file: {token!r}/{name!r}")
        return self.dir / token / name

    def live(self, token: str, name: str) -> bool:
        """The token and name are well formed and not expired (whether the file is there,
        the caller finds out when it opens it)."""
        match = TOKEN_PATTERN.fullmatch(token)
        if match is None or NAME_PATTERN.fullmatch(name) is None:
            return False
        return int(match.group(1)) > self.clock().timestamp()

    async def save(self, filename: str, content: bytes) -> tuple[str, str]:
        """Store the bytes; returns (token, name) for the URL. Expired files go first."""
        expires = int((self.clock() + self.ttl).timestamp())
        token = f"{expires:010d}-{secrets.token_urlsafe(RANDOM_BYTES)}"
        name = safe_name(filename)
        now = self.clock().timestamp()
        await asyncio.to_thread(self._save, self.path(token, name), content, now)
        return token, name

    async def prune(self) -> int:
        """Delete expired files; how many were deleted."""
        return await asyncio.to_thread(self._prune, self.clock().timestamp())

    def _save(self, target: Path, content: bytes, now: float) -> None:
        self._prune(now)
        target.parent.mkdir(parents=True, mode=0o700)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(content)

    def _prune(self, now: float) -> int:
        if not self.dir.is_dir():
            return 0
        removed = 0
        for entry in self.dir.iterdir():
            match = TOKEN_PATTERN.fullmatch(entry.name)
            if match is not None and int(match.group(1)) <= now and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
        return removed
