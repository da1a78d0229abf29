"""Outbox pruning: once a day, the outbox rows of notice runs finished more than
OUTBOX_RETENTION_DAYS ago are deleted, their counts kept per run and channel first
(storage.repos.outbox.fold_run), so /notice and /stats show the same figures afterwards.
Direct messages (report news, digests, survey invitations) finished and older than that go
too, their counts added to one tally per channel (for /stats) in the same transaction.

Safe with several processes: each run is counted in short reads, then claimed by one
conditional UPDATE that stores its counts (one process folds it); its rows go in batches of
one short transaction each (on PostgreSQL a batch skips the rows another process is
deleting), so neither database holds the outbox for long. A crash between folding and
deleting is finished by the next run. Only counts are logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler.ticks import add_daily
from storage.db import Database
from storage.repos import outbox_pruning

log = logging.getLogger(__name__)

JOB_ID = "outbox_pruning"
BATCH_SIZE = 5000  # rows deleted per transaction
SPAN = 20_000  # row ids counted per read when a run is folded
RUNS_PER_QUERY = 100
RUN_AT = (4, 15)  # city time, after the retention job, when few people write


@dataclass(frozen=True, slots=True)
class Pruned:
    runs: int  # runs folded into their tallies
    rows: int  # outbox rows deleted (of runs and direct messages)


class OutboxPruning:
    def __init__(
        self,
        *,
        db: Database,
        days: int,
        clock: Callable[[], datetime],
        batch_size: int = BATCH_SIZE,
        span: int = SPAN,
    ) -> None:
        self.db = db
        self.days = days
        self.clock = clock
        self.batch_size = batch_size
        self.span = span

    def install(self, scheduler: AsyncIOScheduler) -> None:
        add_daily(scheduler, self._scheduled_run, at=RUN_AT, job_id=JOB_ID)

    async def run(self) -> Pruned:
        """Fold every run finished before the cutoff, then delete the rows of folded runs,
        then the direct messages finished and older than the cutoff."""
        cutoff = self.clock() - timedelta(days=self.days)
        folded = await self._fold(cutoff)
        deleted = await self._delete()
        deleted += await self._delete_direct(cutoff)
        if folded or deleted:
            log.info(
                "outbox pruning: %d notice runs kept as counts, %d rows deleted (older than %d"
                " days)",
                folded,
                deleted,
                self.days,
            )
        return Pruned(folded, deleted)

    async def _fold(self, before: datetime) -> int:
        folded, after = 0, 0
        while True:
            async with self.db.sessions() as session:
                ids = await outbox_pruning.prunable_runs(
                    session, finished_before=before, after=after, limit=RUNS_PER_QUERY
                )
            for run_id in ids:
                tallies = await self._count(run_id)
                async with self.db.sessions() as session, session.begin():
                    folded += await outbox_pruning.fold_run(
                        session, run_id=run_id, tallies=tallies, now=self.clock()
                    )
            if len(ids) < RUNS_PER_QUERY:
                return folded
            after = ids[-1]

    async def _count(self, run_id: int) -> outbox_pruning.Tallies:
        """A run's counts, read `span` row ids at a time (on SQLite every transaction holds
        the write lock, so none may be long)."""
        async with self.db.sessions() as session:
            span = await outbox_pruning.run_id_span(session, run_id=run_id)
        tallies: outbox_pruning.Tallies = {}
        if span is None:
            return tallies
        low, high = span
        for start in range(low, high + 1, self.span):
            async with self.db.sessions() as session:
                part = await outbox_pruning.tally_rows(
                    session, run_id=run_id, low=start, high=min(start + self.span, high + 1)
                )
            outbox_pruning.add_tallies(tallies, part)
        return tallies

    async def _delete(self) -> int:
        deleted, after = 0, 0
        while True:
            async with self.db.sessions() as session:
                ids = await outbox_pruning.runs_to_clear(session, after=after, limit=RUNS_PER_QUERY)
            for run_id in ids:
                while True:
                    async with self.db.sessions() as session, session.begin():
                        n = await outbox_pruning.delete_run_rows(
                            session, run_id=run_id, limit=self.batch_size
                        )
                    deleted += n
                    if n < self.batch_size:
                        break
            if len(ids) < RUNS_PER_QUERY:
                return deleted
            after = ids[-1]

    async def _delete_direct(self, cutoff: datetime) -> int:
        deleted = 0
        while True:
            async with self.db.sessions() as session, session.begin():
                n = await outbox_pruning.prune_direct(
                    session, created_before=cutoff, limit=self.batch_size
                )
            deleted += n
            if n < self.batch_size:
                return deleted

    async def _scheduled_run(self) -> None:
        try:
            await self.run()
        except Exception:
            log.exception("outbox pruning failed; it is tried again tomorrow")
