"""Unauthenticated clients against the web server: memory and connections held.

    .venv/bin/python bench/slowclients.py [--connections 300] [--observe 30] [--phases big,idle]

The full bot (Telegram webhook, Viber webhook, Open311; SQLite under a temp dir) runs in a
process of its own, with the fake Telegram and Viber APIs; this process opens the
connections, raw sockets, none of which has a valid key or signature:

1. big bodies, twice: each connection streams a body just under the old limits (2 MiB to
   the webhooks, 1 MiB to Open311; chunked, so no Content-Length gives it away) and holds;
2. slow bodies: a Content-Length, then a byte a second;
3. slow headers: a byte a second, never finishing the request head;
4. idle: connected, nothing sent.

Prints the bot process's RSS before, at its peak during each phase and after, and how many
connections the server still held after each phase's observation time (at most --observe
seconds). Figures, not a test: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BOT_SERVER = """
import asyncio, sys, tempfile
from bot.app import CitizenBot
from bot.cli import run_loop
from bot.config import Settings
from storage.migrate import upgrade
from tests.fakes.telegram_api import FakeBotAPI
from tests.fakes.viber_api import FakeViberAPI

async def main():
    workdir = tempfile.mkdtemp(prefix="slowclients-")
    url = f"sqlite+aiosqlite:///{workdir}/bench.db"
    await upgrade(url)
    async with FakeBotAPI() as telegram:
        viber = FakeViberAPI()
        await viber.start()
        settings = Settings(
            database_url=url,
            data_dir=workdir,
            http_port=0,
            telegram_bot_token=telegram.token,
            telegram_api_base_url=telegram.base_url,
            telegram_webhook_url="https://bot.example.org/telegram/webhook",
            telegram_webhook_secret="bench-secret",
            viber_auth_token=viber.token,
            viber_api_base_url=viber.base_url,
            viber_webhook_url="https://bot.example.org/viber/webhook",
            http_public_url="https://bot.example.org",
            notice_tick_seconds=0,
        )
        app = CitizenBot(settings)
        viber.callback_url = lambda: f"{app.web.url}/viber/webhook"
        await app.start(web=True)
        print(app.web.port, flush=True)
        await asyncio.get_running_loop().create_future()

run_loop(main())
"""

MIB = 1024 * 1024
# (path, headers, body bytes sent in phase 1: just under the limit the route had before)
ROUTES = [
    (
        "/viber/webhook",
        {"X-Viber-Content-Signature": "0" * 64, "Content-Type": "application/json"},
        2 * MIB - 16 * 1024,
    ),
    (
        "/telegram/webhook",
        {"X-Telegram-Bot-Api-Secret-Token": "bench-secret", "Content-Type": "application/json"},
        2 * MIB - 16 * 1024,
    ),
    (
        "/open311/v2/requests.json",
        {"Content-Type": "application/x-www-form-urlencoded"},
        MIB - 16 * 1024,
    ),
]
CHUNK = 16 * 1024


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def head(path: str, headers: dict[str, str], **more: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: bot.example.org"]
    lines += [f"{k}: {v}" for k, v in {**headers, **more}.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


Send = Callable[[asyncio.StreamWriter, str, dict[str, str], int], Awaitable[None]]


async def big_body(writer: asyncio.StreamWriter, path: str, headers: dict, size: int) -> None:
    writer.write(head(path, headers, **{"Transfer-Encoding": "chunked"}))
    sent = 0
    while sent < size:
        writer.write(b"%x\r\n%s\r\n" % (CHUNK, b"a" * CHUNK))
        sent += CHUNK
        await writer.drain()
    await asyncio.get_running_loop().create_future()  # hold, never finishing the body


async def slow_body(writer: asyncio.StreamWriter, path: str, headers: dict, _: int) -> None:
    writer.write(head(path, headers, **{"Content-Length": "10000"}))
    await writer.drain()
    while True:
        writer.write(b"a")
        await writer.drain()
        await asyncio.sleep(1)


async def slow_headers(writer: asyncio.StreamWriter, path: str, headers: dict, _: int) -> None:
    for byte in head(path, headers) * 1000:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(1)


async def idle(writer: asyncio.StreamWriter, path: str, headers: dict, _: int) -> None:
    await asyncio.get_running_loop().create_future()


async def phase(name: str, send: Send, port: int, pid: int, n: int, observe: float) -> None:
    before = rss_mb(pid)
    closed_at: list[float] = []
    started = time.monotonic()

    async def client(i: int) -> None:
        path, headers, size = ROUTES[i % len(ROUTES)]
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            closed_at.append(0.0)
            return
        sender = asyncio.create_task(send(writer, path, headers, size))
        try:
            with contextlib.suppress(OSError):
                while await reader.read(65536):
                    pass
            closed_at.append(time.monotonic() - started)
        finally:
            sender.cancel()
            with contextlib.suppress(BaseException):
                await sender
            writer.close()

    tasks = [asyncio.create_task(client(i)) for i in range(n)]
    peak = before
    while time.monotonic() - started < observe and len(closed_at) < n:
        peak = max(peak, rss_mb(pid))
        await asyncio.sleep(0.2)
    held = n - len(closed_at)
    last = max(closed_at) if len(closed_at) == n else None
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(3)  # the server notices the closed sockets
    after = rss_mb(pid)
    ended = f"all closed by the server within {last:.1f} s" if last is not None else ""
    held_text = f"{held} of {n} still held after {observe:.0f} s" if held else ended
    print(
        f"{name:<22} RSS before {before:7.1f} MB  peak {peak:7.1f} MB  after {after:7.1f} MB"
        f"  | {held_text}",
        flush=True,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=300)
    parser.add_argument("--observe", type=float, default=30.0)
    parser.add_argument("--phases", default="big,slow-body,slow-head,idle")
    args = parser.parse_args()
    phases = set(args.phases.split(","))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", BOT_SERVER, cwd=ROOT, env=env, stdout=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        line = await proc.stdout.readline()
        if not line.strip():
            raise RuntimeError("the bot did not start")
        port = int(line)
        print(
            f"{platform.python_implementation()} {platform.python_version()}, "
            f"{os.cpu_count()} cores, {args.connections} connections, code at {ROOT}"
        )
        print(f"{'idle bot':<22} RSS {rss_mb(proc.pid):.1f} MB")
        n, observe = args.connections, args.observe
        if "big" in phases:
            await phase("big bodies, round 1", big_body, port, proc.pid, n, observe)
            await phase("big bodies, round 2", big_body, port, proc.pid, n, observe)
        if "slow-body" in phases:
            await phase("slow bodies (1 B/s)", slow_body, port, proc.pid, n, observe)
        if "slow-head" in phases:
            await phase("slow headers (1 B/s)", slow_headers, port, proc.pid, n, observe)
        if "idle" in phases:
            await phase("idle connections", idle, port, proc.pid, n, observe)
    finally:
        proc.terminate()
        await proc.wait()


if __name__ == "__main__":
    asyncio.run(main())
