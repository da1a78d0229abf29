"""The real command line, as an operator runs it (subprocesses, piped stdin)."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import bot


def run(args: list[str], cwd: Path, *, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean,
        timeout=60,
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


# "2": as `make run` and deploy/citizenbot@.service run it (python -OO, no asserts or docstrings,
# no column ranges in the line tables).
@pytest.mark.parametrize("optimize", ["0", "2"])
def test_piped_conversation_with_run_on_sqlite_under_data(workdir: Path, optimize: str):
    out = run(
        ["run"],
        workdir,
        stdin="/start\n2\n/help\n",
        HTTP_PORT="0",
        PYTHONOPTIMIZE=optimize,
        PYTHONNODEBUGRANGES="1" if optimize == "2" else "",
        PYTHONDONTWRITEBYTECODE="",
    )
    assert out.returncode == 0, out.stderr
    text = out.stdout
    welcome = text.index("Здравейте")
    english = text.index("About your data")
    help_ = text.index("Here is what you can do")
    assert welcome < english < help_
    assert "[1] Български   [2] English" in text
    assert (workdir / "data" / "citizenbot.db").is_file()
    if optimize == "2":  # the bytecode it ran: compiled without asserts or docstrings
        assert list((Path(bot.__file__).parent / "__pycache__").glob("cli.*.opt-2.pyc"))


def test_chat_opens_console_with_user_and_language(workdir: Path):
    out = run(["chat", "--user", "ana", "--lang", "en"], workdir, stdin="hello\n", LOG_LEVEL="INFO")
    assert (out.returncode, out.stderr) == (0, "")  # log lines are kept off the chat
    banner, first = out.stdout.split("\n\n", 2)[:2]
    log = (workdir / "data" / "logs" / "console.log").resolve()
    assert banner == (
        "💬 The city's chat bot, here in your terminal.\n"
        "Type a message, a button's number or its words. /loc LAT LON sends a location, "
        "/photo PATH a photo, /contact PHONE your phone number. A line ending in \\ goes on "
        "to the next. Ctrl-D ends the chat.\n"
        f"The log is in {log}"
    )
    assert first.startswith("Hello! 👋")
    assert " INFO " not in out.stdout
    assert "INFO bot.app: channel console started" in log.read_text()


def test_the_consoles_words_are_in_the_language_the_citizen_chose(workdir: Path):
    # A newcomer's first screen is the console: in the default language until they choose.
    first = run(["chat"], workdir, stdin="/loc north\n/start\n2\n/loc north\n")
    assert first.stdout.startswith("💬 Чат ботът на общината")
    bulgarian = first.stdout.index("Напишете /loc ШИРИНА ДЪЛЖИНА")
    assert first.stdout.index("Type /loc LAT LON") > bulgarian
    again = run(["chat"], workdir, stdin="")
    assert again.stdout.startswith("💬 The city's chat bot")


def test_a_chart_is_written_to_exports_and_its_path_printed(workdir: Path):
    out = run(["chat"], workdir, stdin="/start\n2\n/stats\n", ADMINS="console:local")
    assert out.returncode == 0, out.stderr
    (chart,) = (workdir / "data" / "exports").glob("picture-*.png")
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert f"🖼️ Picture: {chart.resolve()}" in out.stdout


def test_in_a_terminal_a_prompt_asks_for_each_message(workdir: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat"],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=workdir,
        env=env,
        text=True,
    )
    os.close(slave)
    try:
        os.write(master, b"/start\n\x04")  # a line, then Ctrl-D
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        os.close(master)
    assert (proc.returncode, err) == (0, "")
    banner, _, rest = out.partition("\n\n")
    assert banner.startswith("💬 Чат ботът на общината")
    assert rest.startswith("Вие › Здравейте! 👋")
    assert rest.endswith("Вие › ")


def test_console_hints_for_bad_location(workdir: Path):
    out = run(["chat", "--lang", "en"], workdir, stdin="/start\n/loc abc\n")
    assert "Type /loc LAT LON" in out.stdout


def run_with_stdin(args: list[str], cwd: Path, stdin: int | None, **kwargs) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env["HTTP_PORT"] = "0"
    proc = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        stdin=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
        **kwargs,
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize("command", ["chat", "run"])
def test_stdin_from_dev_null_ends_the_console_cleanly(workdir: Path, command: str):
    # uvloop aborted ("Fatal Python error: Aborted", exit 134) watching /dev/null for reading.
    code, _, err = run_with_stdin([command], workdir, subprocess.DEVNULL)
    assert (code, err) == (0, "")


def test_an_empty_pipe_ends_the_console_cleanly(workdir: Path):
    read_end, write_end = os.pipe()
    os.close(write_end)
    try:
        code, _, err = run_with_stdin(["chat"], workdir, read_end)
    finally:
        os.close(read_end)
    assert (code, err) == (0, "")


def test_a_closed_stdin_ends_the_console_cleanly(workdir: Path):
    # With fd 0 closed, the database file took its number and uvloop aborted closing it.
    code, _, err = run_with_stdin(["chat"], workdir, None, preexec_fn=lambda: os.close(0))
    assert (code, err) == (0, "")


def test_bad_setting_is_one_line_and_exit_2(workdir: Path):
    out = run(["run"], workdir, HTTP_PORT="eighty")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "citizenbot: configuration error: HTTP_PORT: Input should be a valid integer, "
        "unable to parse string as an integer"
    ]
    assert "Traceback" not in out.stderr


def test_migrate_is_idempotent(workdir: Path):
    url = f"sqlite+aiosqlite:///{workdir}/m.db"
    for _ in range(2):
        out = run(["migrate"], workdir, DATABASE_URL=url)
        assert out.returncode == 0, out.stderr
        assert "database is up to date" in out.stdout


@pytest.mark.parametrize("command", ["run", "chat", "migrate"])
def test_help_of_each_command(workdir: Path, command: str):
    out = run([command, "--help"], workdir)
    assert out.returncode == 0 and "usage: citizenbot " + command in out.stdout


def test_sigterm_stops_run_cleanly(workdir: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update(LOG_LEVEL="INFO", HTTP_PORT="0")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=workdir,
        env=env,
        text=True,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # wait until the console is up: its banner
            if line.startswith("💬"):
                break
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_run_when_telegram_cannot_be_reached_is_one_line_and_exit_1(workdir: Path):
    """Nothing listens at the Bot API's address: one line saying so, the sessions closed (no
    "Unclosed client session", no "Exception ignored"), and systemd's Restart= tries again."""
    token = "123456:CLI-TOKEN-SECRET"
    out = run(
        ["run"],
        workdir,
        TELEGRAM_BOT_TOKEN=token,
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{_closed_port()}/bot",
        HTTP_PORT="0",
        LOG_LEVEL="ERROR",
    )
    assert out.returncode == 1, out.stderr
    lines = out.stderr.strip().splitlines()
    assert lines[-1].startswith("citizenbot: telegram: could not start (NetworkError: "), lines
    assert len(lines) == 1, out.stderr
    assert "SECRET" not in out.stderr


async def test_run_with_a_token_telegram_refuses_is_a_configuration_error(workdir: Path):
    import asyncio

    from tests.fakes.telegram_api import FakeBotAPI

    async with FakeBotAPI() as api:  # it answers 401 to any other token
        out = await asyncio.to_thread(
            run,
            ["run"],
            workdir,
            TELEGRAM_BOT_TOKEN="999999:NOT-THE-TOKEN",
            TELEGRAM_API_BASE_URL=api.base_url,
            HTTP_PORT="0",
            LOG_LEVEL="ERROR",
        )
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "citizenbot: configuration error: TELEGRAM_BOT_TOKEN: Telegram refused it"
    ]
