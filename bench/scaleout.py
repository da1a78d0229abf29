"""Scale-out: 1, 2 and 3 `citizenbot run` processes in webhook mode behind HAProxy, on PostgreSQL.

    .venv/bin/python bench/scaleout.py --postgres postgresql+asyncpg://postgres@127.0.0.1/postgres
        [--processes 1,2,3] [--updates 2000] [--concurrency 32]
        [--broadcast 100000] [--kill-broadcast 100000] [--limit 1000]

Every part runs in a process of its own: the fake Bot API, HAProxy (installed with apt-get
when missing), the bot processes and the load generator. The files of the production layout
are the ones used (docs/deploy.md): deploy/haproxy.cfg as it is, with its addresses and a
self-signed certificate given through the environment, and each bot process started with the
ExecStart and Environment lines of deploy/citizenbot@.service (the port for %i; the paths of
the executable and of DATA_DIR are the bench's).

Printed (none is pass/fail): for each N, updates/s through the load balancer, p50/p99 from
the webhook POST to its answer (the bot answers once the reply is sent), CPU seconds per
update of each bot process, of HAProxy and of the fake; then a broadcast shared by the 3
processes: the rate the fake saw against its limit, 429s, duplicates and misses counted at
the fake; then the same with one process killed by SIGKILL when a third is sent: what the
others picked up (after DELIVERY_LEASE_SECONDS) and how many messages went twice.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.broadcast import (  # noqa: E402
    FIRST_CHAT,
    SECRET,
    SECRET_HEADER,
    TOKEN,
    machine,
    release,
    seed_sql,
    webhook_update,
)
from bench.unit import unit_command  # noqa: E402

HAPROXY_CFG = ROOT / "deploy" / "haproxy.cfg"
SLOTS = 3  # servers in deploy/haproxy.cfg
LEASE = 30  # DELIVERY_LEASE_SECONDS in the kill run: the dead process's rows come back after it
FIRST_USER = 700_000_000

FAKE_SERVER = """
import asyncio, json, sys, time
from collections import Counter
from tests.fakes.telegram_api import FakeBotAPI

FIRST, LAST = int(sys.argv[2]), int(sys.argv[3])

async def main():
    async with FakeBotAPI(token=sys.argv[1]) as api:
        counts = Counter()
        times = []
        builtin = api._builtin_handler("sendMessage")

        def send(call):
            chat = int(call.params["chat_id"])
            if FIRST <= chat < LAST:
                counts[chat] += 1
                times.append(time.monotonic())
            api.calls.clear()
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
                counts.clear(); times.clear(); api.rate_limited = 0
            elif line[0] == "stats":
                n = int(line[1])
                print(json.dumps({
                    "sent": len(times), "distinct": len(counts),
                    "twice": sum(1 for c in counts.values() if c > 1),
                    "extra": sum(c - 1 for c in counts.values() if c > 1),
                    "missing": n - sum(1 for k in counts if k < FIRST + n),
                    "first": times[0] if times else 0, "last": times[-1] if times else 0,
                    "rate_limited": api.rate_limited, "violations": api.violations[:3],
                }), flush=True)

asyncio.run(main())
"""


# -- the pieces ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_haproxy() -> str:
    found = shutil.which("haproxy")
    if found:
        return found
    print("installing haproxy (apt-get)", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    install = ["apt-get", "install", "-y", "-q", "haproxy"]
    subprocess.run(install, check=True, env=env, stdout=subprocess.DEVNULL)
    found = shutil.which("haproxy")
    if not found:
        raise RuntimeError("haproxy could not be installed")
    return found


def self_signed(workdir: Path) -> Path:
    key, crt, pem = workdir / "tls.key", workdir / "tls.crt", workdir / "tls.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=localhost", "-keyout", str(key), "-out", str(crt)),
        ],
        check=True,
        capture_output=True,
    )
    pem.write_bytes(crt.read_bytes() + key.read_bytes())
    return pem


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Fake:
    def __init__(self, proc: asyncio.subprocess.Process, base_url: str) -> None:
        self.proc, self.base_url = proc, base_url

    async def command(self, line: str) -> dict[str, Any] | None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{line}\n".encode())
        await self.proc.stdin.drain()
        if not line.startswith("stats"):
            return None
        return json.loads(await self.proc.stdout.readline())


@contextlib.asynccontextmanager
async def fake_bot_api(first: int, last: int) -> AsyncIterator[Fake]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        FAKE_SERVER,
        TOKEN,
        str(first),
        str(last),
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
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


class Cluster:
    """N bot processes and HAProxy in front of them."""

    def __init__(self, args: argparse.Namespace, workdir: Path, pem: Path, fake: Fake) -> None:
        self.args, self.workdir, self.pem, self.fake = args, workdir, pem, fake
        workdir.mkdir(parents=True, exist_ok=True)
        self.bots: list[asyncio.subprocess.Process] = []
        self.ports = [free_port() for _ in range(SLOTS)]
        self.lb_port = free_port()
        self.haproxy: asyncio.subprocess.Process | None = None

    @property
    def webhook(self) -> str:
        return f"https://127.0.0.1:{self.lb_port}/telegram/webhook"

    async def start(self, url: str, n: int, *, lease: int = 120) -> None:
        for port in self.ports[:n]:
            command, unit_env = unit_command(port, self.workdir / "data")
            env = {
                **os.environ,
                **unit_env,
                "PYTHONPATH": str(ROOT),
                "DATABASE_URL": url,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": self.fake.base_url,
                "TELEGRAM_WEBHOOK_URL": self.webhook,
                "TELEGRAM_WEBHOOK_SECRET": SECRET,
                "TELEGRAM_RATE_LIMIT": str(self.args.limit / n),
                "DELIVERY_LEASE_SECONDS": str(lease),
                "LOG_LEVEL": "WARNING",
            }
            self.bots.append(
                await asyncio.create_subprocess_exec(
                    *command, cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL
                )
            )
        async with aiohttp.ClientSession() as http:
            for port in self.ports[:n]:
                await wait_ok(http, f"http://127.0.0.1:{port}/healthz")
        env = {
            **os.environ,
            "CITIZENBOT_BIND": f"127.0.0.1:{self.lb_port}",
            "CITIZENBOT_TLS_PEM": str(self.pem),
            **{f"CITIZENBOT_{i + 1}": f"127.0.0.1:{p}" for i, p in enumerate(self.ports)},
        }
        self.haproxy = await asyncio.create_subprocess_exec(
            ensure_haproxy(),
            "-f",
            str(HAPROXY_CFG),
            "-db",
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=(self.workdir / "haproxy.log").open("ab"),
        )
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as http:
            await wait_ok(http, f"https://127.0.0.1:{self.lb_port}/healthz")
        await asyncio.sleep(2.5)  # the health checks mark the slots not running down

    async def stop(self) -> None:
        for proc in self.bots:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.bots:
            try:
                await asyncio.wait_for(proc.wait(), 40)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        if self.haproxy is not None and self.haproxy.returncode is None:
            self.haproxy.terminate()
            await self.haproxy.wait()
        self.bots, self.haproxy = [], None

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far of each bot process, HAProxy and the fake. (PostgreSQL's are not
        counted: its server processes come and go with the pools' overflow connections, and
        here it also serves other work.)"""
        out = {f"bot{i + 1}": cpu_seconds(p.pid) for i, p in enumerate(self.bots)}
        if self.haproxy is not None:
            out["haproxy"] = cpu_seconds(self.haproxy.pid)
        out["fake"] = cpu_seconds(self.fake.proc.pid)
        return out


async def wait_ok(http: aiohttp.ClientSession, url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(aiohttp.ClientError, OSError):
            async with http.get(url) as resp:
                if resp.status == 200:
                    return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not come up")
        await asyncio.sleep(0.2)


# -- the load generator (its own process) --------------------------------------------------


async def load_main(args: argparse.Namespace) -> None:
    """POST `updates` webhook updates (4 from each user) through the load balancer with
    `concurrency` in flight; print count, seconds, latencies."""
    latencies: list[float] = []
    errors = 0
    users = max(1, args.updates // 4)
    queue = list(range(args.updates))
    connector = aiohttp.TCPConnector(ssl=False, limit=args.concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker() -> None:
            nonlocal errors
            while queue:
                i = queue.pop()
                body = webhook_update(args.first_update + i, FIRST_USER + i % users)
                started = time.perf_counter()
                try:
                    async with http.post(
                        args.url, json=body, headers={SECRET_HEADER: SECRET}
                    ) as resp:
                        await resp.read()
                        ok = resp.status == 200
                except aiohttp.ClientError:
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        wall = time.perf_counter() - began
    print(json.dumps({"ok": len(latencies), "errors": errors, "wall": wall, "lat": latencies}))


async def load(cluster: Cluster, args: argparse.Namespace, first_update: int) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--role",
        "load",
        "--url",
        cluster.webhook,
        "--updates",
        str(args.updates),
        "--concurrency",
        str(args.concurrency),
        "--first-update",
        str(first_update),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    return dict(json.loads(out))


# -- the scenarios -------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


async def inbound(args: argparse.Namespace, fake: Fake, workdir: Path, pem: Path) -> None:
    from tests.dbs import PostgresTemplates

    templates = PostgresTemplates(args.postgres)
    rounds = [(r, n) for r in range(args.repeat) for n in args.processes]
    for index, (_, n) in enumerate(rounds):
        first = 10_000_000 * (index + 1)  # update ids and users of their own
        url = await templates.fresh()
        cluster = Cluster(args, workdir / f"inbound{n}", pem, fake)
        try:
            await cluster.start(url, n)
            await load(cluster, args, first)  # warm-up: the citizens exist after it
            before = cluster.cpu()
            r = await load(cluster, args, first + 1_000_000)
            after = cluster.cpu()
        finally:
            await cluster.stop()
            await templates.drop(url)
        lat = r["lat"]
        per = {k: (after[k] - before[k]) / max(1, r["ok"]) * 1000 for k in after}
        bots = sum(v for k, v in per.items() if k.startswith("bot"))
        per = {k: v for k, v in per.items() if not k.startswith("bot") or n > 1}
        print(
            f"inbound   N={n}: {r['ok'] / r['wall']:.0f} updates/s "
            f"({r['ok']} in {r['wall']:.1f} s, "
            f"{r['errors']} errors), p50 {pct(lat, 50) * 1000:.0f} ms, "
            f"p99 {pct(lat, 99) * 1000:.0f} ms; CPU ms/update: bots {bots:.2f} ("
            + ", ".join(f"{k} {v:.2f}" for k, v in per.items())
            + f"); load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    await templates.drop_template()


async def broadcast(
    args: argparse.Namespace, fake: Fake, workdir: Path, pem: Path, size: int, *, kill: bool
) -> None:
    from sqlalchemy import text

    from storage.db import Database
    from tests.dbs import PostgresTemplates

    templates = PostgresTemplates(args.postgres)
    url = await templates.fresh()
    cluster = Cluster(args, workdir / f"broadcast{int(kill)}", pem, fake)
    try:
        seeded = await seed_sql(url, size)
        await cluster.start(url, SLOTS, lease=LEASE if kill else 120)
        await fake.command(f"limit {args.limit}")
        await fake.command("reset")
        await release(url)
        began = time.monotonic()
        killed: dict[str, Any] = {}
        last, stalled = -1, time.monotonic()
        while True:
            await asyncio.sleep(1)
            seen = await fake.command(f"stats {size}")
            assert seen is not None
            if kill and not killed and seen["distinct"] >= size // 3:
                victim = cluster.bots[0]
                victim.send_signal(signal.SIGKILL)
                await victim.wait()
                t = time.monotonic() - began
                await asyncio.sleep(3)  # the living renew their claims; the dead one's stay
                db = Database(url)
                async with db.sessions() as session:
                    rows = await session.exec(  # type: ignore[call-overload]
                        text(
                            "SELECT claimed_by, count(*) FROM outbox WHERE status = 'inflight' "
                            "GROUP BY claimed_by HAVING max(claimed_at) < now() - interval '2 s'"
                        )
                    )
                    stale = {str(k): int(v) for k, v in rows.all()}
                await db.dispose()
                killed = {"at": seen["distinct"], "t": t, "stale": sum(stale.values())}
                print(
                    f"          SIGKILL bot1 {t:.0f} s in, at {seen['distinct']} sent; rows it "
                    f"had claimed, left in flight: {stale}",
                    flush=True,
                )
            if seen["distinct"] >= size:
                break
            if seen["distinct"] != last:
                last, stalled = seen["distinct"], time.monotonic()
            elif time.monotonic() - stalled > LEASE * 3 + 30:
                break
        await asyncio.sleep(2)  # any late duplicates
        seen = await fake.command(f"stats {size}")
        assert seen is not None
    finally:
        await cluster.stop()
        await templates.drop(url)
        await templates.drop_template()
    rate = (seen["sent"] - 1) / max(1e-9, seen["last"] - seen["first"])
    what = "with bot1 SIGKILLed" if kill else "shared by 3"
    print(
        f"broadcast {size} recipients {what}: {rate:.0f}/s = {rate / args.limit:.3f} of the limit "
        f"{args.limit:.0f}/s, {seen['rate_limited']} × 429, {seen['missing']} missed, "
        f"{seen['twice']} recipients got it twice ({seen['extra']} extra sends); "
        f"seeded in {seeded:.0f} s; load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    if kill and killed:
        print(
            f"          its {killed['stale']} claimed rows went back to pending after the lease "
            f"({LEASE} s, checked every {LEASE / 4:.1f} s) and bot2/bot3 sent them: "
            f"{seen['extra']} of them had already gone out (sent, not yet recorded)",
            flush=True,
        )


async def main(args: argparse.Namespace) -> None:
    print(f"bench/scaleout.py on PostgreSQL; {machine()}", flush=True)
    ensure_haproxy()
    size = max(args.broadcast, args.kill_broadcast)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        pem = self_signed(workdir)
        async with fake_bot_api(FIRST_CHAT, FIRST_CHAT + max(1, size)) as fake:
            await fake.command("limit none")
            if args.updates:
                await inbound(args, fake, workdir, pem)
            if args.broadcast:
                await broadcast(args, fake, workdir, pem, args.broadcast, kill=False)
            if args.kill_broadcast:
                await broadcast(args, fake, workdir, pem, args.kill_broadcast, kill=True)
    print(f"machine after: {machine()}", flush=True)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1/postgres")
    parser.add_argument(
        "--processes", type=lambda s: [int(x) for x in s.split(",") if x], default=[1, 2, 3]
    )
    parser.add_argument("--updates", type=int, default=2000, help="per N (0: skip)")
    parser.add_argument("--concurrency", type=int, default=32, help="POSTs in flight")
    parser.add_argument("--repeat", type=int, default=2, help="rounds of the inbound runs")
    parser.add_argument("--broadcast", type=int, default=100_000, help="recipients (0: skip)")
    parser.add_argument("--kill-broadcast", type=int, default=100_000, help="(0: skip)")
    parser.add_argument("--limit", type=float, default=1000.0, help="the fake's rate limit, /s")
    parser.add_argument("--role", default="driver", choices=["driver", "load"])
    parser.add_argument("--url")
    parser.add_argument("--first-update", type=int, default=1)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse()
    if arguments.role == "load":
        asyncio.run(load_main(arguments))
    else:
        asyncio.run(main(arguments))
