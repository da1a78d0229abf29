from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlmodel import select

from storage.db import Database
from storage.models import Citizen
from storage.repos import citizens, conversations, updates


async def test_get_or_create_is_idempotent_and_does_not_commit(db: Database):
    async with db.sessions() as session, session.begin():
        a, created_a = await citizens.get_or_create_by_identity(
            session, channel="telegram", user_id="1", language="bg"
        )
        b, created_b = await citizens.get_or_create_by_identity(
            session, channel="telegram", user_id="1", language="en"
        )
        assert (created_a, created_b) == (True, False) and a.id == b.id
        await session.rollback()
    async with db.sessions() as session:
        assert (await session.exec(select(Citizen))).all() == []


async def test_two_sessions_creating_the_same_identity_end_with_one(db: Database):
    async def create() -> int:
        async with db.sessions() as session, session.begin():
            citizen, _ = await citizens.get_or_create_by_identity(
                session, channel="viber", user_id="x", language="bg"
            )
            return citizen.id

    ids = await asyncio.gather(create(), create())
    assert ids[0] == ids[1]


async def test_times_come_back_as_aware_utc(db: Database):
    sofia = timezone(timedelta(hours=2))
    when = datetime(2026, 3, 29, 3, 30, tzinfo=sofia)
    async with db.sessions() as session, session.begin():
        citizen, _ = await citizens.get_or_create_by_identity(
            session, channel="console", user_id="t", language="bg", now=when
        )
    async with db.sessions() as session:
        again = await session.get(Citizen, citizen.id)
    assert again.created_at == when
    assert again.created_at.tzinfo is not None and again.created_at.utcoffset() == timedelta(0)


async def test_naive_datetimes_are_refused(db: Database):
    async with db.sessions() as session:
        with pytest.raises(Exception, match="naive"):
            async with session.begin():
                await citizens.get_or_create_by_identity(
                    session,
                    channel="console",
                    user_id="n",
                    language="bg",
                    now=datetime(2026, 1, 1),
                )


async def test_conversation_state_round_trip(db: Database):
    async with db.sessions() as session, session.begin():
        row = await conversations.load(session, channel="console", user_id="s")
        assert row.state is None and row.version == 0
        await conversations.save(session, row=row, state="report.desc", data={"cat": "1"})
    async with db.sessions() as session, session.begin():
        row = await conversations.load(session, channel="console", user_id="s", for_update=True)
        assert (row.state, row.data, row.version) == ("report.desc", {"cat": "1"}, 1)
        await conversations.clear(session, channel="console", user_id="s")
    async with db.sessions() as session:
        row = await conversations.load(session, channel="console", user_id="s")
        assert row.version == 0


async def test_dedupe_keys_are_pruned_by_age(db: Database):
    now = datetime(2026, 11, 27, tzinfo=UTC)
    async with db.sessions() as session, session.begin():
        await updates.mark_processed(session, channel="telegram", external_id="1", now=now)
        await updates.mark_processed(
            session, channel="telegram", external_id="2", now=now - timedelta(days=8)
        )
    async with db.sessions() as session, session.begin():
        assert await updates.prune(session, before=now - timedelta(days=7)) == 1
    async with db.sessions() as session:
        assert await updates.is_processed(session, channel="telegram", external_id="1")
        assert not await updates.is_processed(session, channel="telegram", external_id="2")
