"""Inbound throughput: Telegram updates posted to the webhook of the full bot and of a bare
python-telegram-bot echo bot (same PTB, no database), against the same fake Bot API, in one run.

    .venv/bin/python bench/inbound.py [--updates 2000] [--concurrency 16] [--users 200]

Prints updates/s and p50/p99 latency of each, and their ratio (target: full/echo >= 0.5 on
SQLite). The fake Bot API and the load generator run in processes of their own, as Telegram
does: the bots' process serves only the webhook.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp import web
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import CitizenBot  # noqa: E402
from bot.channels.telegram.transport import AiohttpRequest  # noqa: E402
from bot.cli import run_loop  # noqa: E402
from bot.config import Settings  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

TOKEN = "123456:BENCH-TOKEN"
SECRET = "bench-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

FAKE_SERVER = """
import asyncio, sys
from tests.fakes.telegram_api import FakeBotAPI

async def main():
    async with FakeBotAPI(token=sys.argv[1]) as api:
        print(api.base_url, flush=True)
        await asyncio.get_running_loop().create_future()

asyncio.run(main())
"""


@contextlib.asynccontextmanager
async def fake_bot_api() -> AsyncIterator[str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", FAKE_SERVER, TOKEN, cwd=ROOT, stdout=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        base_url = (await proc.stdout.readline()).decode().strip()
        if not base_url:
            raise RuntimeError("the fake Bot API did not start")
        yield base_url
    finally:
        proc.terminate()
        await proc.wait()


def update(update_id: int, user: int, text: str) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_790_000_000,
            "chat": {"id": user, "type": "private", "first_name": "Bench"},
            "from": {"id": user, "is_bot": False, "first_name": "Bench", "language_code": "bg"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}]
            if text.startswith("/")
            else [],
        },
    }


async def load(
    url: str, *, updates: int, concurrency: int, users: int, first_id: int
) -> tuple[float, list[float]]:
    """Post `updates` updates with `concurrency` in flight; (elapsed seconds, latencies)."""
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(updates):
        queue.put_nowait(i)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:

        async def worker() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                body = update(first_id + i, 10_000 + i % users, "/help")
                started = time.perf_counter()
                async with http.post(url, json=body, headers={SECRET_HEADER: SECRET}) as resp:
                    await resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"webhook answered {resp.status}")
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started, latencies


@contextlib.asynccontextmanager
async def full_bot(base_url: str, workdir: Path) -> AsyncIterator[str]:
    url = f"sqlite+aiosqlite:///{workdir}/bench.db"
    await upgrade(url)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        data_dir=str(workdir),
        telegram_bot_token=TOKEN,
        telegram_api_base_url=base_url,
        telegram_webhook_url="https://bot.example.org/telegram/webhook",
        telegram_webhook_secret=SECRET,
        # The fake does not limit: at Telegram's 30 a second the bot's reply pacing would be
        # measured, not its handling of updates.
        telegram_rate_limit=1000,
        http_port=0,
    )
    app = CitizenBot(settings)
    await app.start()
    try:
        yield f"{app.web.url}/telegram/webhook"
    finally:
        await app.stop()


@contextlib.asynccontextmanager
async def echo_bot(base_url: str, transport: str = "aiohttp") -> AsyncIterator[str]:
    """The bare PTB bot: the same webhook check, then echo the text back. With the same HTTP
    transport as the full bot unless `transport` is "httpx" (PTB's default)."""
    builder = (
        Application.builder()
        .token(TOKEN)
        .base_url(base_url)
        .updater(None)
        .concurrent_updates(True)
        .job_queue(None)
    )
    if transport == "aiohttp":
        builder = builder.request(AiohttpRequest())
    application = builder.build()

    async def echo(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None and update.effective_message is not None
        await update.get_bot().send_message(
            update.effective_chat.id, update.effective_message.text or "?"
        )

    application.add_handler(MessageHandler(filters.ALL, echo))

    async def webhook(request: web.Request) -> web.Response:
        if request.headers.get(SECRET_HEADER) != SECRET:
            return web.Response(status=403)
        await application.process_update(Update.de_json(await request.json(), application.bot))
        return web.Response(text="ok")

    server = web.Application()
    server.router.add_post("/echo/webhook", webhook)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    async with application:
        await application.start()
        try:
            yield f"http://127.0.0.1:{port}/echo/webhook"
        finally:
            await application.stop()
            await runner.cleanup()


def summary(name: str, elapsed: float, latencies: list[float]) -> dict[str, float]:
    cut = statistics.quantiles(latencies, n=100)
    figures = {
        "rate": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": cut[98] * 1000,
    }
    print(
        f"{name:<10} {figures['rate']:8.1f} updates/s   p50 {figures['p50']:7.1f} ms"
        f"   p99 {figures['p99']:7.1f} ms"
    )
    return figures


async def load_in_subprocess(
    url: str, *, updates: int, args: argparse.Namespace, first_id: int
) -> tuple[float, list[float]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--load-url",
        url,
        "--updates",
        str(updates),
        "--concurrency",
        str(args.concurrency),
        "--users",
        str(args.users),
        "--first-id",
        str(first_id),
        stdout=subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError("the load generator failed")
    result = json.loads(out)
    return result["elapsed"], result["latencies"]


async def measure(
    name: str,
    bot: Callable[[], contextlib.AbstractAsyncContextManager[str]],
    args: argparse.Namespace,
    first_id: int,
) -> dict[str, float]:
    async with bot() as url:
        # Warm-up: the users exist, connections are open.
        await load_in_subprocess(url, updates=100, args=args, first_id=first_id)
        elapsed, latencies = await load_in_subprocess(
            url, updates=args.updates, args=args, first_id=first_id + 100
        )
    return summary(name, elapsed, latencies)


async def load_main(args: argparse.Namespace) -> None:
    elapsed, latencies = await load(
        args.load_url,
        updates=args.updates,
        concurrency=args.concurrency,
        users=args.users,
        first_id=args.first_id,
    )
    print(json.dumps({"elapsed": elapsed, "latencies": latencies}))


async def main(args: argparse.Namespace) -> None:
    print(
        f"bench/inbound.py: {args.updates} updates, {args.concurrency} in flight, "
        f"{args.users} users; {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores"
    )
    async with fake_bot_api() as base_url:
        with tempfile.TemporaryDirectory() as tmp:
            make_full: Callable[[], Awaitable] = lambda: full_bot(base_url, Path(tmp))  # noqa: E731
            full = await measure("full bot", make_full, args, 1)  # type: ignore[arg-type]
        echo = await measure("echo bot", lambda: echo_bot(base_url), args, 1_000_000)
        # For reference: the echo bot on PTB's default transport (httpx).
        httpx_echo = await measure(
            "echo (httpx)", lambda: echo_bot(base_url, "httpx"), args, 2_000_000
        )
    print(f"ratio full/echo: {full['rate'] / echo['rate']:.2f} (target >= 0.5)")
    print(f"ratio full/echo on httpx: {full['rate'] / httpx_echo['rate']:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--load-url", help=argparse.SUPPRESS)  # the load generator's process
    parser.add_argument("--first-id", type=int, default=1, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    # The bots run on the loop `citizenbot run` uses (uvloop where installed).
    run_loop(load_main(arguments) if arguments.load_url else main(arguments))
