"""Upgrading keeps the data: rows written at an older revision are all there at head.

SQLite changes some tables by copying them (Alembic's batch mode); with foreign keys enforced,
dropping the old copy would delete or unlink the rows that point at it.
"""

from __future__ import annotations

from sqlalchemy import text

from storage.db import make_engine
from storage.migrate import upgrade

NOW = "2026-11-01 10:00:00.000000"

SEED = [
    "INSERT INTO citizen (id, language, role, opted_out, created_at, last_seen_at) "
    f"VALUES (1, 'bg', 'citizen', false, '{NOW}', '{NOW}')",
    "INSERT INTO channel_identity (id, channel, user_id, citizen_id, created_at) "
    f"VALUES (1, 'telegram', '42', 1, '{NOW}')",
    "INSERT INTO survey (id, code, status, opens_at, closes_at, public, districts, languages, "
    "definition, source, created_at, updated_at) VALUES (1, 'parks', 'open', "
    f"'{NOW}', '{NOW}', false, '[]', '[]', '{{}}', 'chat', '{NOW}', '{NOW}')",
    "INSERT INTO survey_response (id, survey_id, citizen_id, respondent, started_at, "
    f"updated_at) VALUES (1, 1, 1, 7, '{NOW}', '{NOW}')",
    "INSERT INTO survey_answer (id, response_id, question, value) VALUES (1, 1, 'q1', 'yes')",
]
COUNTS = {
    "citizen": 1,
    "channel_identity": 1,
    "survey": 1,
    "survey_response": 1,
    "survey_answer": 1,
}


async def test_upgrading_from_0005_keeps_every_row(tmp_path):
    # SQLite only: PostgreSQL alters tables in place.
    db_url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    await upgrade(db_url, "0005")
    engine = make_engine(db_url)
    try:
        async with engine.begin() as conn:
            for statement in SEED:
                await conn.execute(text(statement))
        await upgrade(db_url)
        async with engine.connect() as conn:
            for table, expected in COUNTS.items():
                count = (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar()
                assert count == expected, table
            linked = await conn.execute(text("SELECT citizen_id FROM survey_response"))
            assert linked.scalar() == 1
    finally:
        await engine.dispose()


async def test_citizen_ids_are_never_given_again(db_url: str):
    # Public refs are derived from ids (storage/refs.py): a forgotten citizen's ref must not
    # come back as someone else's.
    engine = make_engine(db_url)
    try:
        async with engine.begin() as conn:
            insert = (
                "INSERT INTO citizen (language, role, opted_out, ban_notified, created_at, "
                f"last_seen_at) VALUES ('bg', 'citizen', false, false, '{NOW}', '{NOW}') "
                "RETURNING id"
            )
            first = (await conn.execute(text(insert))).scalar()
            await conn.execute(text("DELETE FROM citizen WHERE id = :id"), {"id": first})
            second = (await conn.execute(text(insert))).scalar()
        assert second != first
    finally:
        await engine.dispose()
