"""Crash safety with real processes: `python -m bot run` sending a broadcast to the fake Bot API
is killed with SIGKILL halfway and restarted (everyone gets the notice; duplicates stay within
the documented window), and two processes share one broadcast on PostgreSQL (nobody gets it
twice)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import select

from storage.db import Database
from storage.models import NoticeRun, Outbox
from tests.fakes.telegram_api import FakeBotAPI
from tests.scheduler.seed import seed_broadcast

ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = 1000
BATCH = 50  # DELIVERY_BATCH_SIZE: the documented bound of duplicates per crash


def bot_env(api: FakeBotAPI, db_url: str, data_dir: Path, rate: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DELIVERY_"))}
    env.update(
        DATABASE_URL=db_url,
        DATA_DIR=str(data_dir),
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=api.base_url,
        TELEGRAM_WEBHOOK_URL="https://bot.example.org/telegram/webhook",
        TELEGRAM_WEBHOOK_SECRET="s3cret",
        TELEGRAM_RATE_LIMIT=str(rate),
        DELIVERY_BATCH_SIZE=str(BATCH),
        HTTP_HOST="127.0.0.1",
        HTTP_PORT="0",
        LOG_LEVEL="INFO",
    )
    return env


async def spawn(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=ROOT, env=env, stdout=out, stderr=out
        )


async def terminate(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 30)


def sends(api: FakeBotAPI) -> Counter[int]:
    return Counter(call.params["chat_id"] for call in api.calls_to("sendMessage"))


async def until_everyone_has_it(api: FakeBotAPI, chats: set[int], timeout: float = 60) -> None:
    """Wait for a sendMessage to each chat (without sleeping: each round waits for at least as
    many new calls as chats are still missing)."""
    while missing := chats - set(sends(api)):
        await api.wait_for_calls(
            "sendMessage", len(api.calls_to("sendMessage")) + len(missing), timeout
        )


async def test_sigkill_halfway_then_restart_delivers_to_everyone_within_the_window(
    api: FakeBotAPI, db: Database, db_url: str, tmp_path: Path
):
    run = await seed_broadcast(db, RECIPIENTS)
    chats = {int(u) for u in run.user_ids}
    env = bot_env(api, db_url, tmp_path / "data", rate=1000)
    log = tmp_path / "bot.log"

    first = await spawn(env, log)
    try:
        await api.wait_for_calls("sendMessage", 300, timeout=60)
        first.kill()  # SIGKILL: no shutdown, no last flush
        await first.wait()
    finally:
        if first.returncode is None:
            first.kill()
    before_restart = sum(sends(api).values())
    assert before_restart < RECIPIENTS, "killed too late to test anything"

    second = await spawn(env, log)
    try:
        await until_everyone_has_it(api, chats)
    finally:
        await terminate(second)

    received = sends(api)
    assert set(received) == chats
    duplicates = sum(received.values()) - RECIPIENTS
    print(f"\nSIGKILL after {before_restart} sends: {duplicates} duplicates (bound {BATCH})")
    assert 0 <= duplicates <= BATCH, log.read_text()
    async with db.sessions() as session:
        rows = (await session.exec(select(Outbox))).all()
        assert Counter(r.status for r in rows) == Counter({"sent": RECIPIENTS})
        assert (await session.get(NoticeRun, run.run_id)).status == "done"
    assert api.violations == []


async def test_two_processes_share_a_broadcast_and_nobody_gets_it_twice(
    api: FakeBotAPI, db: Database, db_url: str, tmp_path: Path
):
    if not db_url.startswith("postgresql"):
        pytest.skip("several processes share the outbox on PostgreSQL (SQLite: one writer)")
    env = bot_env(api, db_url, tmp_path / "data", rate=300)
    procs = [await spawn(env, tmp_path / f"bot{i}.log") for i in range(2)]
    try:
        await api.wait_for_calls("setWebhook", 2, timeout=60)  # both are up
        run = await seed_broadcast(db, RECIPIENTS)
        await api.wait_for_calls("sendMessage", RECIPIENTS, timeout=60)
    finally:
        for proc in procs:
            await terminate(proc)

    assert sends(api) == Counter({int(u): 1 for u in run.user_ids})
    async with db.sessions() as session:
        rows = (await session.exec(select(Outbox))).all()
    assert {r.status for r in rows} == {"sent"}
    senders = Counter(r.claimed_by for r in rows)
    assert len(senders) == 2, senders  # both processes took part
