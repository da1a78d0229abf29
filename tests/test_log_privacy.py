"""Tokens, secrets, phone numbers, names and message texts never reach the logs: real flows
through the Telegram path with logging at DEBUG, then a scan of everything that was written."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import aiohttp
import pytest
from PIL import Image

from bot.config import Settings
from bot.logs import setup_logging
from tests.conftest import open_telegram_chat
from tests.fakes.telegram_api import FakeBotAPI
from tests.telegram_chat import SECRET

NAME = "Радослава"
PHONE = "+359888765432"
DESCRIPTION = "Счупена пейка в градинката зад блок 407, опасно за децата."
ADDRESS = "ул. Тайна 13"


@pytest.fixture
def log_output():
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


async def test_real_flows_leave_no_personal_data_in_logs(
    log_output: io.StringIO, bot_factory, db, db_url: str, tmp_path: Path
):
    if not db_url.startswith("sqlite"):
        pytest.skip("the Telegram path runs on SQLite")
    async with FakeBotAPI() as api:
        setup_logging("DEBUG", [api.token, SECRET], stream=log_output)
        chat, app = await open_telegram_chat(api, bot_factory, db)
        chat.first_name = NAME
        photo = tmp_path / "bench.jpg"
        Image.new("RGB", (800, 600), (90, 60, 30)).save(photo, "JPEG")

        await chat.say("/start")
        await chat.tap("English")
        await chat.say("/report")
        await chat.tap("🌳 Parks and trees")
        await chat.tap("⌨️ I will type an address")
        await chat.say(ADDRESS)
        await chat.tap("Mladost")
        await chat.say(DESCRIPTION)
        await chat.say(f"/photo {photo}")
        await chat.say(f"/contact {PHONE}")
        await chat.tap("✅ Done")
        await chat.tap("✅ Send")
        await chat.say("/stats")  # refused: logged without who it was
        async with aiohttp.ClientSession() as http:  # a forged webhook call is logged too
            async with http.post(chat.webhook_url, json={"update_id": 1}) as resp:
                assert resp.status == 403
        await app.stop()

    logs = log_output.getvalue()
    assert "refused command:stats" in logs and "report SOF-2026-000001 filed" in logs
    for secret in (api.token, api.token.split(":")[1], SECRET, PHONE, PHONE[1:], NAME):
        assert secret not in logs, f"{secret!r} reached the logs"
    for text in (DESCRIPTION, ADDRESS, "Счупена пейка"):
        assert text not in logs, f"a message text reached the logs: {text!r}"
    assert str(chat.user_id("u1")) not in logs, "the platform user id reached the logs"


def test_redaction_filter_catches_tokens_in_any_logger_message(log_output: io.StringIO):
    token = "987654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    setup_logging("INFO", [token], stream=log_output)
    logging.getLogger("somewhere").warning("calling https://api.telegram.org/bot%s/getMe", token)
    try:
        raise RuntimeError(f"failed with {token}")
    except RuntimeError:
        logging.getLogger("somewhere").exception("boom")
    out = log_output.getvalue()
    assert token not in out and "[REDACTED]" in out


def test_a_console_sign_in_link_never_reaches_the_log(log_output: io.StringIO):
    setup_logging("INFO", [], stream=log_output)
    link = "https://city.example.org/console/login/Zq3_x-9aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
    logging.getLogger("somewhere").info("sent %s", link)
    out = log_output.getvalue()
    assert "Zq3_x" not in out and "/console/login/[REDACTED]" in out


def test_settings_never_print_secrets():
    s = Settings(telegram_bot_token="123456:SECRETSECRETSECRETSECRET")
    assert "SECRETSECRET" not in repr(s) and "SECRETSECRET" not in str(s)
