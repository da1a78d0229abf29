"""The process as deployed: deploy/citizenbot@.service's ExecStart and Environment= lines, so
that a bench starts `citizenbot run` exactly as systemd does (bench/scaleout.py,
bench/idle_rss.py)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "deploy" / "citizenbot@.service"


def unit_command(port: int, data_dir: Path) -> tuple[list[str], dict[str, str]]:
    """ExecStart and Environment= of the unit for instance `port`: the command (this Python,
    running the unit's `citizenbot` arguments) and the environment the unit sets."""
    env: dict[str, str] = {}
    command: list[str] = []
    for raw in UNIT.read_text().splitlines():
        line = raw.strip().replace("%i", str(port))
        if line.startswith("Environment="):
            name, _, value = line.removeprefix("Environment=").partition("=")
            env[name] = value
        elif line.startswith("ExecStart="):
            command = line.removeprefix("ExecStart=").split()
    if not command or not command[0].endswith("/citizenbot"):
        raise RuntimeError(f"{UNIT}: no `citizenbot …` ExecStart")
    env["DATA_DIR"] = str(data_dir)  # the unit's /var/lib/citizenbot
    script = "import sys; from bot.cli import main; sys.exit(main())"
    return [sys.executable, "-c", script, *command[1:]], env


def interpreter_options(env: dict[str, str]) -> dict[str, str]:
    """The unit's settings of the interpreter itself (PYTHONOPTIMIZE, PYTHONNODEBUGRANGES)."""
    return {name: value for name, value in env.items() if name.startswith("PYTHON")}
