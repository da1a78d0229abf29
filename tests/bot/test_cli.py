"""The real command line, as an operator runs it (subprocesses, piped stdin)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest


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


def test_piped_conversation_with_run_on_sqlite_under_data(workdir: Path):
    out = run(["run"], workdir, stdin="/start\n2\n/help\n", HTTP_PORT="0")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    welcome = text.index("Здравейте")
    english = text.index("About your data")
    help_ = text.index("Here is what I can do")
    assert welcome < english < help_
    assert "[1] Български   [2] English" in text
    assert (workdir / "data" / "citizenbot.db").is_file()


def test_chat_opens_console_with_user_and_language(workdir: Path):
    out = run(["chat", "--user", "ana", "--lang", "en"], workdir, stdin="hello\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Hello! 👋")


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
        assert proc.stderr is not None
        for line in proc.stderr:  # wait until the console channel is up
            if "channel console started" in line:
                break
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
