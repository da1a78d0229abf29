"""Where the log goes: the console's to a file (the terminal is the chat); if that file cannot
be opened, stderr, with warnings and errors only."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.logs import setup_logging


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_with_a_file_the_log_goes_there_and_not_to_the_terminal(tmp_path: Path):
    terminal = io.StringIO()
    path = tmp_path / "data" / "logs" / "console.log"
    assert setup_logging("INFO", stream=terminal, file=path) == path
    logging.getLogger("bot.app").info("channel console started")
    assert "INFO bot.app: channel console started" in path.read_text()
    assert terminal.getvalue() == ""


def test_a_file_that_cannot_be_opened_leaves_only_warnings_on_stderr(tmp_path: Path):
    (tmp_path / "logs").write_text("a file where the folder should be")
    terminal = io.StringIO()
    assert setup_logging("INFO", stream=terminal, file=tmp_path / "logs" / "x.log") is None
    logging.getLogger("bot.app").info("channel console started")
    logging.getLogger("bot.app").warning("reply not delivered")
    assert terminal.getvalue().count("\n") == 1
    assert "WARNING bot.app: reply not delivered" in terminal.getvalue()
