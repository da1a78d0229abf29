"""Idle RSS of `citizenbot run`: `python -m bot run` with a Telegram token against the fake Bot
API (long polling, SQLite under a temp dir), read from /proc once /healthz answers. The
interpreter runs with the systemd unit's settings (deploy/citizenbot@.service: PYTHONOPTIMIZE,
PYTHONNODEBUGRANGES), or as plain `python` with --plain. As deployed (docs/deploy.md), the
project's own bytecode is compiled beforehand: a bot that compiles its 330 modules from source
at start keeps 0.6 MB more.

    .venv/bin/python bench/idle_rss.py [--repeat 3] [--webhook] [--modules] [--plain]

Prints VmRSS and VmHWM (peak) of each start, and with --modules the heavy modules the started
bot has imported (target: <= 90 MB, no matplotlib or PIL before a chart or a photo needs them).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.unit import interpreter_options, unit_command  # noqa: E402

TOKEN = "123456:BENCH-TOKEN"
HEAVY = (
    "matplotlib",
    "PIL",
    "shapely",
    "numpy",
    "alembic",
    "yaml",
    "xml.etree.ElementTree",
    "prometheus_client",
    "httpx",
    "aiosmtplib",
    "jinja2",
)

FAKE_SERVER = """
import asyncio, sys
from tests.fakes.telegram_api import FakeBotAPI

async def main():
    async with FakeBotAPI(token=sys.argv[1]) as api:
        print(api.base_url, flush=True)
        await asyncio.get_running_loop().create_future()

asyncio.run(main())
"""

# Run as `python -m bot run` does, then report which heavy modules were imported once ready.
PROBE = """
import runpy, sys, threading, urllib.request, time
heavy = sys.argv[1].split(",")
port = sys.argv[2]
def watch():
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            break
        except OSError:
            time.sleep(0.1)
    loaded = [name for name in heavy if name in sys.modules]
    print("LOADED " + ",".join(loaded), file=sys.stderr, flush=True)
threading.Thread(target=watch, daemon=True).start()
sys.argv = ["citizenbot", "run"]
runpy.run_module("bot", run_name="__main__")
"""


def status(pid: int) -> dict[str, float]:
    """The process's memory figures in MB (MiB, as /proc counts them), to a tenth."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            figures[key] = int(value.split()[0]) / 1024
    return figures


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the bot exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the bot did not answer /healthz")


def measure(base_url: str, args: argparse.Namespace) -> tuple[dict[str, float], str]:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            # the interpreter settings are the unit's, or none with --plain: not this shell's
            **{k: v for k, v in os.environ.items() if k not in args.unit_interpreter},
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bot.db",
            "DATA_DIR": tmp,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": base_url,
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(port),
            "LOG_LEVEL": "WARNING",
        }
        env.update(args.interpreter)
        if args.webhook:
            env["TELEGRAM_WEBHOOK_URL"] = "https://bot.example.org/telegram/webhook"
            env["TELEGRAM_WEBHOOK_SECRET"] = "bench-secret"
        migrate = [sys.executable, "-m", "bot", "migrate"]
        subprocess.run(migrate, env=env, cwd=tmp, check=True, capture_output=True)
        if args.modules:
            command = [sys.executable, "-c", PROBE, ",".join(HEAVY), str(port)]
        else:
            command = [sys.executable, "-m", "bot", "run"]
        proc = subprocess.Popen(command, env=env, cwd=tmp, stderr=subprocess.PIPE, text=True)
        try:
            wait_ready(port, proc)
            time.sleep(args.settle)  # the scheduler's first jobs, the first long poll
            figures = status(proc.pid)
            loaded = ""
            if args.modules:
                assert proc.stderr is not None
                for line in proc.stderr:
                    if line.startswith("LOADED"):
                        loaded = line.removeprefix("LOADED").strip()
                        break
            return figures, loaded
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def compile_project(optimize: int) -> None:
    """The project's bytecode for this interpreter setting, as `compileall` makes it for the
    venv at deployment (in __pycache__, where `make run` writes it too)."""
    packages = [str(ROOT / name) for name in ("bot", "handlers", "storage", "scheduler")]
    command = [sys.executable, "-m", "compileall", "-q", "-j", "0", "-o", str(optimize)]
    subprocess.run([*command, *packages], check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--settle", type=float, default=2.0, help="seconds after /healthz")
    parser.add_argument("--webhook", action="store_true", help="webhook mode, not polling")
    parser.add_argument("--modules", action="store_true", help="list heavy modules loaded")
    parser.add_argument(
        "--plain",
        action="store_true",
        help="plain `python`, without the unit's interpreter settings (`make run` has them too)",
    )
    args = parser.parse_args()
    _, unit_env = unit_command(0, ROOT)
    args.unit_interpreter = interpreter_options(unit_env)
    args.interpreter = {} if args.plain else args.unit_interpreter
    shown = " ".join(f"{name}={value}" for name, value in args.interpreter.items())
    compile_project(int(args.interpreter.get("PYTHONOPTIMIZE") or 0))
    fake = subprocess.Popen(
        [sys.executable, "-c", FAKE_SERVER, TOKEN],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert fake.stdout is not None
        base_url = fake.stdout.readline().strip()
        load = os.getloadavg()[0]
        print(
            f"bench/idle_rss.py: {'webhook' if args.webhook else 'long polling'}, "
            f"{shown or 'plain python'}, load {load:.1f}"
        )
        for _ in range(args.repeat):
            figures, loaded = measure(base_url, args)
            line = (
                f"idle RSS {figures['VmRSS']:.1f} MB (peak {figures['VmHWM']:.1f} MB; "
                f"{figures['RssAnon']:.1f} MB anonymous, "
                f"{figures['RssFile']:.1f} MB of mapped files)"
            )
            if args.modules:
                line += f"   heavy modules loaded: {loaded or 'none'}"
            print(line, flush=True)
    finally:
        fake.terminate()
        fake.wait()


if __name__ == "__main__":
    main()
