"""Inbound throughput: Telegram updates to the full bot and to bare echo bots (python-telegram-bot
as shipped on httpx, the same on our aiohttp transport, aiogram 3), against the same fake Bot
API, in one run, over webhooks and over long polling.

    .venv/bin/python bench/inbound.py [--mode webhook,polling] [--updates 2000]
        [--concurrency 16] [--users 500] [--repeat 1]

Prints updates/s, p50/p99 from update to reply and CPU ms per update of each bot, and the full
bot's ratio to each echo bot (target: >= 1.0 to PTB as shipped, on SQLite). The fake Bot API
and the load generator run in a process of their own, as Telegram does: the bots' process
serves only the webhook or its long poll. Webhook: `--concurrency` POSTs in flight, the
latency is the POST's (answered once the reply is sent). Polling: the fake keeps
`--concurrency` updates queued or in flight, pushing the next when a reply arrives; the
latency is from the push to the sendMessage. aiogram comes from the `bench` extra
(pip install -e .[bench]); without it that peer is skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

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
from handlers.start import PRIVACY_VERSION  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.repos import citizens  # noqa: E402

TOKEN = "123456:BENCH-TOKEN"
SECRET = "bench-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class FakeProcess:
    """The fake Bot API in a process of its own; in polling mode it also drives the load."""

    def __init__(self, proc: asyncio.subprocess.Process, base_url: str) -> None:
        self.proc = proc
        self.base_url = base_url

    async def drive_polling(
        self, *, updates: int, args: argparse.Namespace, first_id: int
    ) -> tuple[float, list[float]]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        command = [updates, args.concurrency, args.users, first_id]
        self.proc.stdin.write(json.dumps(command).encode() + b"\n")
        await self.proc.stdin.drain()
        result = json.loads(await self.proc.stdout.readline())
        return result["elapsed"], result["latencies"]


@contextlib.asynccontextmanager
async def fake_bot_api() -> AsyncIterator[FakeProcess]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--fake",
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        limit=1 << 24,  # a run's latencies come back as one JSON line
    )
    try:
        assert proc.stdout is not None
        base_url = (await proc.stdout.readline()).decode().strip()
        if not base_url:
            raise RuntimeError("the fake Bot API did not start")
        yield FakeProcess(proc, base_url)
    finally:
        proc.terminate()
        await proc.wait()


async def fake_main() -> None:
    """The fake's process: serve the Bot API; for each command line on stdin (updates,
    concurrency, users, first id) drive a long-polling run and print its figures."""
    from tests.fakes.telegram_api import FakeBotAPI

    async with FakeBotAPI(token=TOKEN) as api:
        print(api.base_url, flush=True)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while line := await reader.readline():
            updates, concurrency, users, first_id = json.loads(line)
            elapsed, latencies = await drive_polling(
                api, updates=updates, concurrency=concurrency, users=users, first_id=first_id
            )
            print(json.dumps({"elapsed": elapsed, "latencies": latencies}), flush=True)


async def drive_polling(
    api: Any, *, updates: int, concurrency: int, users: int, first_id: int
) -> tuple[float, list[float]]:
    """Keep `concurrency` updates pushed and unanswered; each chat's first sendMessage after a
    push answers it (a chat has at most one update unanswered while users > concurrency)."""
    pushed: dict[int, deque[float]] = defaultdict(deque)
    latencies: list[float] = []
    done = asyncio.get_running_loop().create_future()
    next_index = 0

    def push_next() -> None:
        nonlocal next_index
        if next_index >= updates:
            return
        i, next_index = next_index, next_index + 1
        chat = 10_000 + i % users
        pushed[chat].append(time.perf_counter())
        api.push_update(update(first_id + i, chat, "/help"))

    def on_send(call: Any) -> Any:
        result = api._send_message(call)
        waiting = pushed.get(int(call.params["chat_id"]))
        if waiting:
            latencies.append(time.perf_counter() - waiting.popleft())
            if len(latencies) == updates and not done.done():
                done.set_result(None)
            push_next()
        return result

    api._updates.clear()  # anything a previous bot left unconfirmed
    api.set_handler("sendMessage", on_send)
    started = time.perf_counter()
    for _ in range(concurrency):
        push_next()
    await done
    elapsed = time.perf_counter() - started
    api.set_handler("sendMessage", None)
    api.calls.clear()  # the fake keeps every call: not for 10 000s of them
    return elapsed, latencies


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


async def onboard(url: str, users: int) -> None:
    """The bench's citizens as they are once they have chosen their language and seen the
    privacy notice: their /help gets the help and the main menu, not the onboarding."""
    db = Database(url)
    try:
        async with db.sessions() as session, session.begin():
            for i in range(users):
                citizen, _ = await citizens.get_or_create_by_identity(
                    session, channel="telegram", user_id=str(10_000 + i), language="bg"
                )
                citizen.consent_version = PRIVACY_VERSION
                citizen.consented_at = citizen.created_at
    finally:
        await db.dispose()


@contextlib.asynccontextmanager
async def full_bot(
    base_url: str, workdir: Path, mode: str, *, users: int, onboarded: bool
) -> AsyncIterator[str]:
    url = f"sqlite+aiosqlite:///{workdir}/bench-{mode}.db"
    await upgrade(url)
    if onboarded:
        await onboard(url, users)
    webhook = {
        "telegram_webhook_url": "https://bot.example.org/telegram/webhook",
        "telegram_webhook_secret": SECRET,
    }
    settings = Settings(
        database_url=url,
        data_dir=str(workdir),
        telegram_bot_token=TOKEN,
        telegram_api_base_url=base_url,
        # The fake does not limit: at Telegram's 30 a second the bot's reply pacing would be
        # measured, not its handling of updates.
        telegram_rate_limit=1000,
        http_port=0,
        **(webhook if mode == "webhook" else {}),
    )
    app = CitizenBot(settings)
    await app.start()
    try:
        yield f"{app.web.url}/telegram/webhook"
    finally:
        await app.stop()


@contextlib.asynccontextmanager
async def serve_webhook(
    handle: Callable[[dict[str, Any]], Awaitable[None]],
) -> AsyncIterator[str]:
    """An aiohttp server whose webhook checks the secret, then awaits `handle(update)`."""

    async def webhook(request: web.Request) -> web.Response:
        if request.headers.get(SECRET_HEADER) != SECRET:
            return web.Response(status=403)
        await handle(await request.json())
        return web.Response(text="ok")

    server = web.Application()
    server.router.add_post("/echo/webhook", webhook)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/echo/webhook"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def echo_bot(base_url: str, mode: str, transport: str = "aiohttp") -> AsyncIterator[str]:
    """The bare PTB bot: the same webhook check, then echo the text back. With the same HTTP
    transport as the full bot unless `transport` is "httpx" (PTB's default)."""
    builder = (
        Application.builder()
        .token(TOKEN)
        .base_url(base_url)
        .concurrent_updates(True)
        .job_queue(None)
    )
    if mode == "webhook":
        builder = builder.updater(None)
    if transport == "aiohttp":
        builder = builder.request(AiohttpRequest())
        builder = builder.get_updates_request(AiohttpRequest(connection_pool_size=1))
    application = builder.build()

    async def echo(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None and update.effective_message is not None
        await update.get_bot().send_message(
            update.effective_chat.id, update.effective_message.text or "?"
        )

    application.add_handler(MessageHandler(filters.ALL, echo))

    async def handle(data: dict[str, Any]) -> None:
        await application.process_update(Update.de_json(data, application.bot))

    async with application, serve_webhook(handle) as url:
        await application.start()
        if application.updater is not None:
            await application.updater.start_polling(timeout=10)
        try:
            yield url
        finally:
            if application.updater is not None:
                await application.updater.stop()
            await application.stop()


@contextlib.asynccontextmanager
async def aiogram_bot(base_url: str, mode: str) -> AsyncIterator[str]:
    """A bare aiogram 3 echo bot (its own aiohttp session): the same webhook check, then
    `message.answer(text)`; in polling mode `Dispatcher.start_polling`."""
    from aiogram import Bot, Dispatcher
    from aiogram import types as aiogram_types
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    server = TelegramAPIServer.from_base(base_url.removesuffix("/bot"))
    bot = Bot(TOKEN, session=AiohttpSession(api=server))
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: aiogram_types.Message) -> None:
        await message.answer(message.text or "?")

    async def handle(data: dict[str, Any]) -> None:
        update = aiogram_types.Update.model_validate(data, context={"bot": bot})
        await dispatcher.feed_update(bot, update)

    polling: asyncio.Task[None] | None = None
    async with serve_webhook(handle) as url:
        if mode == "polling":
            await bot.delete_webhook()
            polling = asyncio.create_task(
                dispatcher.start_polling(bot, handle_signals=False, polling_timeout=10)
            )
        try:
            yield url
        finally:
            if polling is not None:
                await dispatcher.stop_polling()
                await polling
            await bot.session.close()


def summary(name: str, elapsed: float, latencies: list[float], cpu: float) -> dict[str, float]:
    cut = statistics.quantiles(latencies, n=100)
    figures = {
        "rate": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": cut[98] * 1000,
        "cpu": cpu / len(latencies) * 1000,
    }
    print(
        f"  {name:<16} {figures['rate']:7.1f} updates/s   p50 {figures['p50']:6.1f} ms"
        f"   p99 {figures['p99']:6.1f} ms   CPU {figures['cpu']:5.2f} ms/update",
        flush=True,
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
    fake: FakeProcess,
    mode: str,
    first_id: int,
) -> dict[str, float]:
    async def run(updates: int, first: int) -> tuple[float, list[float]]:
        if mode == "polling":
            return await fake.drive_polling(updates=updates, args=args, first_id=first)
        return await load_in_subprocess(url, updates=updates, args=args, first_id=first)

    async with bot() as url:
        # Warm-up: every citizen exists, connections are open.
        await run(args.users, first_id)
        profiler = cProfile.Profile() if args.profile and name == "full bot" else None
        cpu = time.process_time()
        if profiler is not None:
            profiler.enable()
        elapsed, latencies = await run(args.updates, first_id + args.users)
        if profiler is not None:
            profiler.disable()
        cpu = time.process_time() - cpu
        if profiler is not None:
            profiler.dump_stats(args.profile)
    return summary(name, elapsed, latencies, cpu)


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
        f"bench/inbound.py: {args.updates} updates from {args.users} users, "
        f"{args.concurrency} in flight; {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores; full bot on SQLite, "
        "telegram_rate_limit=1000 (handling measured, not Telegram's 30/s pacing)",
        flush=True,
    )
    has_aiogram = importlib.util.find_spec("aiogram") is not None
    if not has_aiogram:
        print("  aiogram not installed (pip install -e .[bench]): that peer is skipped")
    first_id = 1
    async with fake_bot_api() as fake:
        base_url = fake.base_url
        for round_ in range(1, args.repeat + 1):
            for mode in args.mode.split(","):
                print(f"{mode}, run {round_}, load {os.getloadavg()[0]:.1f}:", flush=True)
                bots: dict[str, Callable[[], contextlib.AbstractAsyncContextManager[str]]] = {
                    "echo PTB (httpx)": lambda m=mode: echo_bot(base_url, m, "httpx"),
                    "echo PTB aiohttp": lambda m=mode: echo_bot(base_url, m),
                }
                if has_aiogram:
                    bots["echo aiogram 3"] = lambda m=mode: aiogram_bot(base_url, m)
                figures: dict[str, dict[str, float]] = {}
                with tempfile.TemporaryDirectory() as tmp:
                    figures["full bot"] = await measure(
                        "full bot",
                        lambda m=mode, d=tmp: full_bot(  # type: ignore[misc]
                            base_url,
                            Path(d),
                            m,
                            users=args.users,
                            onboarded=not args.new_citizens,
                        ),
                        args,
                        fake,
                        mode,
                        first_id,
                    )
                    first_id += 1_000_000
                for name, make in bots.items() if args.peers else ():
                    figures[name] = await measure(name, make, args, fake, mode, first_id)
                    first_id += 1_000_000
                if not args.peers:
                    continue
                full = figures["full bot"]["rate"]
                ratios = "   ".join(
                    f"{name}: {full / f['rate']:.2f}"
                    for name, f in figures.items()
                    if name != "full bot"
                )
                print(f"  ratio full bot / {ratios}   (load now {os.getloadavg()[0]:.1f})")
                # Steadier on a shared machine: what the rates would be if CPU-bound.
                cpu = figures["full bot"]["cpu"]
                by_cpu = "   ".join(
                    f"{name}: {f['cpu'] / cpu:.2f}"
                    for name, f in figures.items()
                    if name != "full bot"
                )
                print(f"  by CPU per update, full bot / {by_cpu}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="webhook,polling", help="webhook, polling or both")
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--new-citizens",
        action="store_true",
        help="senders the full bot has never seen: every /help is answered by the onboarding",
    )
    parser.add_argument(
        "--no-peers", dest="peers", action="store_false", help="the full bot alone (profiling)"
    )
    parser.add_argument("--profile", metavar="FILE", help="cProfile the full bot into FILE")
    parser.add_argument("--load-url", help=argparse.SUPPRESS)  # the load generator's process
    parser.add_argument("--first-id", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--fake", action="store_true", help=argparse.SUPPRESS)  # the fake's
    arguments = parser.parse_args()
    if arguments.fake:
        asyncio.run(fake_main())
    else:
        # The bots run on the loop `citizenbot run` uses (uvloop where installed).
        run_loop(load_main(arguments) if arguments.load_url else main(arguments))
