"""A delivery instance id that survives a restart but is never shared by two live processes.

The id is `<host>:<data dir hash>:<slot>`; the slot is the first of `<data_dir>/delivery/
instance-<n>.lock` this process can `flock`. The kernel drops the lock when a process dies
(even by SIGKILL), so a restarted process gets the slot, and with it the id, of the process it
replaces, and can take back that process's in-flight rows at once (see scheduler/delivery/).
Two processes running at the same time hold different slots, hence different ids. Where no
lock can be taken (no writable data dir, no flock), the id is random and only the lease
recovers a crashed process's rows.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import secrets
import socket
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

MAX_SLOTS = 64
MAX_ID = 64  # outbox.claimed_by

try:
    import fcntl
except ImportError:  # not POSIX
    fcntl = None  # type: ignore[assignment]


class InstanceLock:
    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.dir = Path(data_dir).expanduser() / "delivery"
        self._file: IO[bytes] | None = None
        self.id: str | None = None

    def acquire(self) -> str:
        if self.id is not None:
            return self.id
        host = socket.gethostname()[:32] or "host"
        place = hashlib.sha256(str(self.dir.resolve()).encode()).hexdigest()[:8]
        slot = self._lock_slot()
        if slot is None:
            self.id = f"{host}:{place}:r{secrets.token_hex(6)}"[:MAX_ID]
            log.warning(
                "delivery: no instance lock under %s; in-flight rows of a crashed process "
                "wait for their lease",
                self.dir,
            )
        else:
            self.id = f"{host}:{place}:{slot}"[:MAX_ID]
        return self.id

    def _lock_slot(self) -> int | None:
        if fcntl is None:
            return None
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        for slot in range(MAX_SLOTS):
            try:
                handle = open(self.dir / f"instance-{slot}.lock", "ab")
            except OSError:
                return None
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            self._file = handle
            return slot
        return None

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()  # closing drops the flock
            self._file = None
        self.id = None
