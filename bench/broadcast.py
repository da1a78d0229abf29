"""Broadcast delivery: the outbox engine sending a notice through the real TelegramChannel
(python-telegram-bot over HTTP) to the fake Bot API, which runs in a process of its own and,
where asked, enforces a rate limit the way Telegram answers it (429 retry_after).

    .venv/bin/python bench/broadcast.py [--rated 20000] [--sizes 10000,100000]
                                        [--latency 20000] [--postgres URL] [--profile]
                                        [--max-seconds 3600]

On PostgreSQL the recipients are made by the server (generate_series), so sizes up to
1,000,000 seed in seconds: `--postgres URL --rated 0 --latency 0 --floors 0
--sizes 0,100000,300000,1000000 --max-seconds 150` shows whether the peak RSS grows with the
audience (each broadcast stopped after 150 s: the rows not yet sent stay pending).

Every scenario runs the bot in a fresh subprocess (CitizenBot in webhook mode, as
`citizenbot run`), so its CPU time and peak RSS are the bot's own. The recipients (citizens,
identities, a notice, a run and its outbox rows) are inserted beforehand, in batches, through
storage.repos.outbox, not due yet; the bot starts, then all rows become due at once and the
bot is told to go. Figures printed (targets in brackets, none is pass/fail):

* rated: N recipients at TELEGRAM_RATE_LIMIT=1000 against a fake limiting at 1000/s: the rate
  the fake saw / 1000 [>= 0.95] and the 429s it answered [0];
* unlimited: messages per CPU-second of the bot process [>= 2000] and peak RSS [< 200 MB, not
  growing with the audience], for each size;
* latency: p50/p99 of an interactive reply (webhook POST -> the bot has sent the reply) while a
  rated broadcast runs [p99 <= 300 ms], and without one for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOKEN = "123456:BENCH-TOKEN"
SECRET = "bench-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
LIMIT = 1000
FIRST_CHAT = 500_000_000
FIRST_ASKER = 900_000_000

FAKE_SERVER = """
import asyncio, json, sys, time
from tests.fakes.telegram_api import FakeBotAPI

async def main():
    async with FakeBotAPI(token=sys.argv[1]) as api:
        times = []
        builtin = api._builtin_handler("sendMessage")

        def send(call):
            if call.params["chat_id"] < ASKER:
                times.append(time.monotonic())
            api.calls.clear()  # keep the fake small: only the counters matter here
            if len(api._messages) > 1000:
                api._messages.clear()
            return builtin(call)

        api.set_handler("sendMessage", send)
        print(api.base_url, flush=True)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while line := (await reader.readline()).decode().split():
            if line[0] == "limit":
                api.set_rate_limit(None if line[1] == "none" else float(line[1]))
            elif line[0] == "reset":
                times.clear()
                api.rate_limited = 0
                api._messages.clear()
            elif line[0] == "stats":
                print(json.dumps({"sent": len(times), "first": times[0] if times else 0,
                                  "last": times[-1] if times else 0,
                                  "rate_limited": api.rate_limited,
                                  "violations": api.violations[:3]}), flush=True)

asyncio.run(main())
""".replace("ASKER", str(FIRST_ASKER))


# -- the bot's process ---------------------------------------------------------------------


async def bot_main(args: argparse.Namespace) -> None:
    """Runs in the bot's subprocess: start, wait for "go", drain, report."""
    from bot.app import CitizenBot
    from bot.config import Settings
    from scheduler.ratelimit import TokenBucket

    settings = Settings(
        database_url=args.database_url,
        data_dir=args.data_dir,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=args.api,
        telegram_webhook_url="https://bot.example.org/telegram/webhook",
        telegram_webhook_secret=SECRET,
        telegram_rate_limit=args.rate_limit,
        http_port=0,
    )
    app = CitizenBot(settings)
    await app.start()
    if args.unlimited:  # measure the engine's own cost, not the platform's limit
        app.delivery.senders["telegram"].bucket = TokenBucket(None)
    print(json.dumps({"webhook": f"{app.web.url}/telegram/webhook"}), flush=True)
    await asyncio.to_thread(sys.stdin.readline)  # "mark": measuring starts, rows come due
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    cpu, wall = time.process_time(), time.perf_counter()
    print(json.dumps({"marked": True}), flush=True)
    await asyncio.to_thread(sys.stdin.readline)  # "drain": they are due
    app.delivery.wake()
    partial = False
    try:
        await app.delivery.drain(timeout=args.max_seconds)
    except TimeoutError:
        partial = True  # --max-seconds: the rest is left pending
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if profiler is not None:
        profiler.disable()
        import io
        import pstats

        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("tottime")
        out.write(by_package(stats) + "\n\n")
        stats.print_stats(30)
        stats.sort_stats("cumulative").print_stats(40)
        await asyncio.to_thread(Path(args.profile_out).write_text, out.getvalue())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report = {
        "cpu": cpu,
        "wall": wall,
        "maxrss_mb": usage.ru_maxrss / 1024,
        "partial": partial,
        "stats": app.delivery.stats()["telegram"],
    }
    print(json.dumps(report), flush=True)
    await asyncio.to_thread(sys.stdin.readline)  # until the driver is done (EOF)
    await app.stop()


def by_package(stats: Any) -> str:
    """Own time (tottime) summed per top-level package: where the CPU goes."""
    totals: dict[str, float] = {}
    for (filename, _, func), (_, _, tottime, _, _) in stats.stats.items():
        if "site-packages/" in filename:
            package = filename.split("site-packages/", 1)[1].split("/", 1)[0]
        elif filename.startswith(str(ROOT)):
            package = "citizenbot: " + filename[len(str(ROOT)) + 1 :].split("/", 1)[0]
        elif filename == "~":
            package = "builtins: " + func.split(" of ")[0].strip("<>{}")[:40]
        else:
            package = "stdlib: " + Path(filename).stem
        totals[package] = totals.get(package, 0.0) + tottime
    whole = sum(totals.values()) or 1.0
    top = sorted(totals.items(), key=lambda kv: -kv[1])[:15]
    return "\n".join(f"{t / whole:6.1%}  {t:7.2f} s  {name}" for name, t in top)


# -- the driver ----------------------------------------------------------------------------


class Fake:
    def __init__(self, proc: asyncio.subprocess.Process, base_url: str) -> None:
        self.proc, self.base_url = proc, base_url

    async def command(self, line: str) -> dict[str, Any] | None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{line}\n".encode())
        await self.proc.stdin.drain()
        if line != "stats":
            return None
        return json.loads(await self.proc.stdout.readline())


@contextlib.asynccontextmanager
async def fake_bot_api() -> AsyncIterator[Fake]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        FAKE_SERVER,
        TOKEN,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        base_url = (await proc.stdout.readline()).decode().strip()
        if not base_url:
            raise RuntimeError("the fake Bot API did not start")
        yield Fake(proc, base_url)
    finally:
        proc.terminate()
        await proc.wait()


@contextlib.asynccontextmanager
async def database(args: argparse.Namespace, workdir: Path) -> AsyncIterator[str]:
    from storage.migrate import upgrade

    if args.postgres:
        from tests.dbs import PostgresTemplates

        templates = PostgresTemplates(args.postgres)
        url = await templates.fresh()
        try:
            yield url
        finally:
            await templates.drop(url)
            await templates.drop_template()
        return
    url = f"sqlite+aiosqlite:///{workdir}/bench.db"
    await upgrade(url)
    yield url


async def seed(url: str, recipients: int) -> float:
    """Insert the broadcast, not due yet; returns the seconds it took."""
    from storage.db import Database
    from storage.types import utcnow
    from tests.scheduler.seed import add_citizens, add_notice, add_rows

    started = time.perf_counter()
    db = Database(url)
    try:
        later = utcnow() + timedelta(days=1)
        user_ids = [str(FIRST_CHAT + i) for i in range(recipients)]
        citizen_ids = await add_citizens(db, user_ids, language=lambda i: "en" if i % 3 else "bg")
        _, run_id = await add_notice(db)
        await add_rows(
            db,
            run_id,
            citizen_ids,
            user_ids,
            language=lambda i: "en" if i % 3 else "bg",
            now=later,
        )
    finally:
        await db.dispose()
    return time.perf_counter() - started


async def seed_sql(url: str, recipients: int) -> float:
    """PostgreSQL: the same rows as `seed` (citizens, identities, one notice and run, its
    outbox rows not due yet), made by the server with generate_series: from Python, seeding
    1,000,000 recipients takes longer than sending to them on this machine."""
    from sqlalchemy import text

    from storage.db import Database
    from tests.scheduler.seed import add_notice

    started = time.perf_counter()
    db = Database(url)
    try:
        _, run_id = await add_notice(db)
        statements = [
            "INSERT INTO citizen (language, role, opted_out, created_at, last_seen_at, "
            "ban_notified) SELECT CASE WHEN g % 3 = 0 THEN 'bg' ELSE 'en' END, 'citizen', "
            "false, now(), now(), false FROM generate_series(0, :n - 1) AS g ORDER BY g",
            "INSERT INTO channel_identity (channel, user_id, citizen_id, created_at) "
            "SELECT 'telegram', (:first + row_number() OVER (ORDER BY id) - 1)::text, id, now() "
            "FROM citizen",
            "INSERT INTO outbox (run_id, citizen_id, channel, user_id, language, kind, urgent, "
            "status, attempts, next_attempt_at, created_at) SELECT :run, c.id, 'telegram', "
            "i.user_id, c.language, 'notice', false, 'pending', 0, now() + interval '1 day', "
            "now() FROM citizen AS c JOIN channel_identity AS i ON i.citizen_id = c.id",
            "ANALYZE citizen, channel_identity, outbox",
        ]
        params = {"n": recipients, "first": FIRST_CHAT, "run": run_id}
        for statement in statements:
            async with db.engine.begin() as conn:
                await conn.execute(text(statement), params)
    finally:
        await db.dispose()
    return time.perf_counter() - started


async def release(url: str) -> None:
    """Every row due now."""
    from sqlalchemy import update

    from storage.db import Database
    from storage.models import Outbox
    from storage.types import utcnow

    db = Database(url)
    try:
        async with db.sessions() as session, session.begin():
            await session.exec(update(Outbox).values(next_attempt_at=utcnow()))  # type: ignore[call-overload]
    finally:
        await db.dispose()


@contextlib.asynccontextmanager
async def bot_process(
    args: argparse.Namespace,
    fake: Fake,
    url: str,
    workdir: Path,
    *,
    limit: float | None,
    profile: Path | None = None,
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    cmd = [
        sys.executable,
        __file__,
        "--role",
        "bot",
        "--api",
        fake.base_url,
        "--database-url",
        url,
        "--data-dir",
        str(workdir / "data"),
        "--rate-limit",
        str(limit or LIMIT),
        "--max-seconds",
        str(args.max_seconds),
    ]
    if limit is None:
        cmd.append("--unlimited")
    if profile is not None:
        cmd += ["--profile", "--profile-out", str(profile)]
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    proc = await asyncio.create_subprocess_exec(
        *cmd, cwd=ROOT, env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        line = await proc.stdout.readline()
        if not line:
            raise RuntimeError("the bot did not start")
        yield proc, json.loads(line)["webhook"]
    finally:
        if proc.returncode is None:
            assert proc.stdin is not None
            proc.stdin.close()  # the bot stops on EOF
            try:
                await asyncio.wait_for(proc.wait(), 60)
            except TimeoutError:
                proc.terminate()
                await proc.wait()


async def tell(proc: asyncio.subprocess.Process, word: str) -> dict[str, Any]:
    """Send the bot's subprocess a word; its answer."""
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(f"{word}\n".encode())
    await proc.stdin.drain()
    line = await proc.stdout.readline()
    if not line:
        raise RuntimeError("the bot died")
    return json.loads(line)


async def broadcast(
    args: argparse.Namespace,
    fake: Fake,
    recipients: int,
    *,
    limit: float | None,
    ask: bool = False,
    profile: Path | None = None,
) -> dict[str, Any]:
    """One broadcast in a fresh database and a fresh bot process."""
    await fake.command(f"limit {limit or 'none'}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        async with database(args, workdir) as url:
            seeded = await (seed_sql if args.postgres else seed)(url, recipients)
            async with bot_process(args, fake, url, workdir, limit=limit, profile=profile) as (
                proc,
                webhook,
            ):
                baseline = await ask_while(webhook, None, 100) if ask else []
                await fake.command("reset")
                await tell(proc, "mark")
                await release(url)
                result_task = asyncio.ensure_future(tell(proc, "drain"))
                asked = await ask_while(webhook, result_task, None) if ask else []
                result = await result_task
    seen = await fake.command("stats")
    assert seen is not None
    result.update(seeded=seeded, seen=seen, baseline=baseline, asked=asked)
    return result


TEXT = "Water cut in Mladost tomorrow, 9:00-17:00."


async def floors(args: argparse.Namespace, fake: Fake, n: int) -> None:
    """Where the CPU per message goes, measured in this process: python-telegram-bot alone
    (Bot.send_message in a loop, no engine), and the engine alone (claims, bookkeeping and
    SQLite, through a channel that answers at once: no HTTP)."""
    from telegram import Bot

    from bot.channels.telegram.transport import AiohttpRequest

    await fake.command("limit none")
    for transport, request in (("httpx", None), ("aiohttp", AiohttpRequest())):
        async with Bot(TOKEN, base_url=fake.base_url, request=request) as bot:
            for i in range(100):
                await bot.send_message(chat_id=FIRST_ASKER + i, text="warm-up")
            cpu = time.process_time()
            for i in range(n):
                await bot.send_message(chat_id=FIRST_CHAT + i, text=TEXT)
            cpu = time.process_time() - cpu
        print(
            f"floor     python-telegram-bot alone, {transport:7s}: {n / cpu:.0f} msg/CPU-s "
            f"({cpu / n * 1e3:.2f} ms)"
        )

    from bot.app import CitizenBot
    from bot.channels.console import RecordingChannel
    from bot.config import Settings
    from bot.core.channel import SendResult, SendStatus
    from scheduler.ratelimit import TokenBucket

    class Instant(RecordingChannel):
        async def send(self, to: Any, reply: Any) -> SendResult:
            return SendResult(SendStatus.OK, message_id="1")

    rows = n * 4
    with tempfile.TemporaryDirectory() as tmp:
        async with database(args, Path(tmp)) as url:
            await seed(url, rows)
            settings = Settings(
                database_url=url,
                data_dir=tmp,
                http_port=0,
            )
            channel = Instant(t=lambda key, **kw: key, name="telegram")
            app = CitizenBot(settings, channels=[channel])
            await app.start(web=False)
            app.delivery.senders["telegram"].bucket = TokenBucket(None)
            cpu = time.process_time()
            await release(url)
            app.delivery.wake()
            await app.delivery.drain(timeout=3600)
            cpu = time.process_time() - cpu
            await app.stop()
    print(
        f"floor     the engine alone (no HTTP): {rows / cpu:.0f} msg/CPU-s "
        f"({cpu / rows * 1e3:.3f} ms)"
    )


def webhook_update(update_id: int, user: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user, "type": "private", "first_name": "Bench"},
            "from": {"id": user, "is_bot": False, "first_name": "Bench", "language_code": "bg"},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }


_next_update = 1


async def ask_while(
    webhook: str, running: asyncio.Future[Any] | None, count: int | None, per_second: float = 20
) -> list[float]:
    """Interactive updates (/help from 50 users) posted at `per_second`, `count` of them or
    until `running` is done; returns each one's latency (POST until the bot answered 200,
    which it does once the reply has been sent)."""
    global _next_update
    latencies: list[float] = []
    async with aiohttp.ClientSession() as http:

        async def one(update_id: int) -> None:
            body = webhook_update(update_id, FIRST_ASKER + update_id % 50)
            started = time.perf_counter()
            async with http.post(webhook, json=body, headers={SECRET_HEADER: SECRET}) as resp:
                await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"webhook answered {resp.status}")
            latencies.append(time.perf_counter() - started)

        tasks = []
        next_at = time.perf_counter()
        while (count is None or len(tasks) < count) and not (running and running.done()):
            tasks.append(asyncio.ensure_future(one(_next_update)))
            _next_update += 1
            next_at += 1 / per_second
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        await asyncio.gather(*tasks)
    return latencies


def percentiles(latencies: list[float]) -> str:
    if len(latencies) < 2:
        return "n/a"
    cut = statistics.quantiles(latencies, n=100)
    return (
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, p99 {cut[98] * 1000:.0f} ms "
        f"({len(latencies)} replies)"
    )


def machine() -> str:
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({model}), load {load}, "
        f"{platform.python_implementation()} {platform.python_version()}"
    )


async def main(args: argparse.Namespace) -> None:
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"bench/broadcast.py on {backend}; {machine()}")
    async with fake_bot_api() as fake:
        if args.floors:
            await floors(args, fake, args.floors)
        for limit in args.limits if args.rated else []:
            r = await broadcast(args, fake, args.rated, limit=limit)
            seen = r["seen"]
            rate = (seen["sent"] - 1) / max(1e-9, seen["last"] - seen["first"])
            print(
                f"rated     {args.rated} recipients at R={limit:.0f}/s: the fake saw {rate:.0f}/s "
                f"= {rate / limit:.3f} R, {seen['rate_limited']} × 429; bot CPU {r['cpu']:.1f} s "
                f"({seen['sent'] / r['cpu']:.0f} msg/CPU-s), peak RSS {r['maxrss_mb']:.0f} MB; "
                f"seeded in {r['seeded']:.1f} s; engine {r['stats']}"
            )
        for size in args.sizes:
            profile = Path(f"/tmp/broadcast-profile-{size}.txt") if args.profile else None
            r = await broadcast(args, fake, size, limit=None, profile=profile)
            seen = r["seen"]
            if not size:
                print(f"baseline  the bot started, no broadcast: peak RSS {r['maxrss_mb']:.0f} MB")
                continue
            part = ""
            if r["partial"]:
                part = f" (stopped after {r['wall']:.0f} s: {seen['sent']} sent)"
            print(
                f"unlimited {size} recipients{part}: {seen['sent'] / r['cpu']:.0f} msg/CPU-s "
                f"({r['cpu']:.1f} CPU-s, {r['wall']:.1f} s wall, "
                f"{seen['sent'] / r['wall']:.0f} msg/s), peak RSS {r['maxrss_mb']:.0f} MB, "
                f"engine {r['stats']}; load {os.getloadavg()[0]:.1f}"
                + (f"; profile in {profile}" if profile else "")
            )
        if args.latency:
            r = await broadcast(args, fake, args.latency, limit=LIMIT, ask=True)
            seen = r["seen"]
            rate = (seen["sent"] - 1) / max(1e-9, seen["last"] - seen["first"])
            print(
                f"latency   idle bot: {percentiles(r['baseline'])}; during a broadcast of "
                f"{args.latency} at R={LIMIT}/s ({rate:.0f}/s, {seen['rate_limited']} × 429): "
                f"{percentiles(r['asked'])}"
            )
    print(f"machine after: {machine()}")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rated", type=int, default=20_000, help="recipients at R (0: skip)")
    parser.add_argument(
        "--limits",
        type=lambda s: [float(x) for x in s.split(",") if x],
        default=[1000.0, 200.0],
        help="rates R for the rated runs (TELEGRAM_RATE_LIMIT = the fake's limit)",
    )
    parser.add_argument(
        "--floors", type=int, default=3000, help="messages for the floor measurements (0: skip)"
    )
    parser.add_argument(
        "--sizes",
        type=lambda s: [int(x) for x in s.split(",") if x],
        default=[0, 10_000, 100_000],
        help="unlimited broadcasts, comma-separated sizes (0: the bot's baseline)",
    )
    parser.add_argument("--latency", type=int, default=20_000, help="recipients (0: skip)")
    parser.add_argument("--postgres", help="postgresql+asyncpg://… to use instead of SQLite")
    parser.add_argument("--profile", action="store_true", help="cProfile the unlimited runs")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=3600.0,
        help="stop each broadcast after this long (the peak RSS so far is reported)",
    )
    # the bot's subprocess
    parser.add_argument("--role", default="driver", choices=["driver", "bot"])
    parser.add_argument("--api")
    parser.add_argument("--database-url")
    parser.add_argument("--data-dir")
    parser.add_argument("--unlimited", action="store_true")
    parser.add_argument("--rate-limit", type=float, default=LIMIT)
    parser.add_argument("--profile-out")
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse()
    if arguments.role == "bot":
        try:
            from bot.cli import run_loop
        except ImportError:
            run_loop = asyncio.run  # type: ignore[assignment]
        run_loop(bot_main(arguments))
    else:
        asyncio.run(main(arguments))
