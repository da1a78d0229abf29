"""Logging set-up with a redaction filter: secrets never reach the logs."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TextIO

# A Telegram bot token anywhere in a line (URLs of the Bot API carry it in the path).
_TELEGRAM_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}\b")
# The one-time token of a staff console sign-in link (/web): it opens a session until used.
_CONSOLE_LINK = re.compile(r"(/console/login/)[A-Za-z0-9_-]+")
REDACTED = "[REDACTED]"


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        text = _CONSOLE_LINK.sub(r"\1" + REDACTED, text)
        return _TELEGRAM_TOKEN.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        return True


LOG_FILE_BYTES = 5 * 1024 * 1024
LOG_FILE_BACKUPS = 3


def setup_logging(
    level: str,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
    *,
    file: Path | None = None,
) -> Path | None:
    """Log to stderr (or `stream`); with `file`, to that file instead (rotated), so a chat in
    the terminal is not interleaved with log lines. Returns the file logged to, or None
    (also when it could not be opened: then stderr, at WARNING and above only)."""
    handler: logging.Handler | None = None
    if file is not None:
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            handler = RotatingFileHandler(
                file, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS, encoding="utf-8"
            )
        except OSError:
            file = None
            handler = logging.StreamHandler(stream or sys.stderr)
            handler.setLevel(logging.WARNING)
    if handler is None:
        handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level)
    # These log request URLs (with the bot token), SQL parameters, or whole updates (with
    # names, phone numbers and texts) at INFO or DEBUG: keep them to warnings at any level.
    for chatty in CHATTY_LOGGERS:
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))
    return file


CHATTY_LOGGERS = (
    "httpx",
    "httpcore",
    "hpack",
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "aiosqlite",
    "asyncpg",
    "telegram",
    "apscheduler.executors.default",
    "aiohttp.access",
    "alembic",
)
