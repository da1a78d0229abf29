"""Scheduled housekeeping. Each job reads and claims its work in SQL."""

from __future__ import annotations

import logging
from datetime import timedelta

from storage.db import Database
from storage.repos import updates
from storage.types import utcnow

log = logging.getLogger(__name__)

DEDUPE_KEEP = timedelta(days=7)  # far longer than any platform redelivers an update


async def prune_processed_updates(db: Database, keep: timedelta = DEDUPE_KEEP) -> int:
    async with db.sessions() as session, session.begin():
        removed = await updates.prune(session, before=utcnow() - keep)
    if removed:
        log.info("pruned %d old dedupe keys", removed)
    return removed
