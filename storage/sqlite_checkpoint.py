"""The WAL copied back into the database file from a thread, not by a commit.

SQLite's own automatic checkpoint runs inside the COMMIT that pushes the write-ahead log past
1,000 pages: it writes and syncs the database file. The bot's message transactions commit on
the event loop's thread (storage/sqlite_driver.py), where that would stall every chat for the
length of an fsync. So the serving connection runs with `wal_autocheckpoint=0`, and every
`every` commits a PASSIVE checkpoint runs on a connection of its own in a worker thread: it
copies what no reader still needs and never waits for, or blocks, the writer. Closing the
last connection checkpoints the rest (SQLite does that itself).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3

log = logging.getLogger(__name__)

# A message's transaction writes a handful of pages: a checkpoint about every 500 pages,
# half of SQLite's own threshold.
CHECKPOINT_EVERY = 100


def checkpoint(path: str) -> tuple[int, int, int]:
    """One PASSIVE checkpoint of the database at `path`: (busy, WAL frames, frames copied)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(busy), int(frames), int(copied)
    finally:
        conn.close()


class WalCheckpointer:
    def __init__(self, path: str, *, every: int = CHECKPOINT_EVERY) -> None:
        self.path = path
        self.every = every
        self._commits = 0
        self._running: asyncio.Task[None] | None = None

    def committed(self) -> None:
        """Told after each commit, on the event loop's thread."""
        self._commits += 1
        if self._commits < self.every or self._running is not None:
            return
        self._commits = 0
        self._running = asyncio.get_running_loop().create_task(
            self._checkpoint(), name="sqlite-checkpoint"
        )

    async def settle(self) -> None:
        """Wait for a checkpoint under way (before the engine is disposed of)."""
        if self._running is not None:
            await asyncio.shield(self._running)

    async def _checkpoint(self) -> None:
        try:
            await asyncio.to_thread(checkpoint, self.path)
        except sqlite3.Error as error:  # the next one tries again; closing checkpoints too
            log.warning("SQLite WAL checkpoint failed: %s", error)
        finally:
            self._running = None
