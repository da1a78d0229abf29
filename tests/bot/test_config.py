from __future__ import annotations

import pytest

from bot.config import ConfigError, Settings, environment, load_settings
from bot.core.messages import Address


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env from the developer's checkout
    for name in (
        "DATABASE_URL",
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_WEBHOOK_URL",
        "TELEGRAM_WEBHOOK_SECRET",
        "HTTP_PORT",
        "ADMINS",
        "LOG_LEVEL",
        "DEFAULT_LANGUAGE",
        "CITY",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults():
    s = load_settings()
    assert s.database_url == "sqlite+aiosqlite:///./data/citizenbot.db"
    assert s.telegram_api_base_url == "https://api.telegram.org/bot"
    assert (s.http_host, s.http_port, s.city, s.default_language) == (
        "127.0.0.1",
        8080,
        "sofia",
        "bg",
    )
    assert not s.telegram_enabled and s.admins == ()


def test_admins_are_parsed(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ADMINS", "telegram:12345, console:local")
    s = load_settings()
    assert s.admin_addresses == {Address("telegram", "12345"), Address("console", "local")}


def test_dotenv_file_is_read(tmp_path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / ".env").write_text("HTTP_PORT=9090\nLOG_LEVEL=debug\n")
    s = load_settings()
    assert s.http_port == 9090 and s.log_level == "DEBUG"


def test_the_environment_wins_over_the_dotenv_file(tmp_path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / ".env").write_text(
        "# a comment\nHTTP_PORT=9090\nexport city='plovdiv'\nADMINS\nLOG_LEVEL=\"info\"\n"
    )
    monkeypatch.setenv("HTTP_PORT", "9191")
    s = load_settings()
    assert (s.http_port, s.city, s.log_level, s.admins) == (9191, "plovdiv", "INFO", ())


def test_names_are_matched_without_regard_to_case(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("http_port", "9292")
    monkeypatch.setenv("Default_Language", "en")
    s = load_settings()
    assert (s.http_port, s.default_language) == (9292, "en")


def test_overrides_win_and_other_variables_are_ignored(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HTTP_PORT", "9090")
    monkeypatch.setenv("CITIZENBOT_UNKNOWN", "x")
    assert load_settings(http_port=7070).http_port == 7070


def test_settings_given_in_code_read_no_environment(tmp_path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / ".env").write_text("HTTP_PORT=9090\n")
    monkeypatch.setenv("CITY", "plovdiv")
    s = Settings(database_url="sqlite+aiosqlite:///x.db")
    assert (s.http_port, s.city) == (8080, "sofia")


def test_the_environment_is_the_dotenv_file_under_the_process_environment(
    tmp_path, monkeypatch: pytest.MonkeyPatch
):
    (tmp_path / ".env").write_text("A_KEY=from-file\nB_KEY=from-file\n")
    monkeypatch.setenv("B_KEY", "from-env")
    found = environment()
    assert (found["A_KEY"], found["B_KEY"]) == ("from-file", "from-env")
    assert "A_KEY" not in environment(None)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("HTTP_PORT", "eighty", "HTTP_PORT: Input should be a valid integer"),
        ("HTTP_PORT", "70000", "HTTP_PORT: Input should be less than or equal to 65535"),
        ("ADMINS", "12345", "ADMINS: '12345' is not channel:user_id"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL: use sqlite+aiosqlite"),
        ("DEFAULT_LANGUAGE", "de", "DEFAULT_LANGUAGE: Input should be 'bg' or 'en'"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL: Input should be"),
        (
            "TELEGRAM_WEBHOOK_URL",
            "https://bot.example.org/telegram/webhook",
            "TELEGRAM_WEBHOOK_URL is set but TELEGRAM_BOT_TOKEN is not",
        ),
    ],
)
def test_invalid_setting_names_the_variable(monkeypatch, name, value, expected):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value).startswith(expected)
    assert "\n" not in str(info.value)


def test_webhook_needs_a_valid_secret(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://bot.example.org/telegram/webhook")
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET is required"):
        load_settings()
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "no spaces allowed")
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET: use 1-256"):
        load_settings()
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "s3cret_-OK")
    assert load_settings().telegram_enabled


def test_env_example_documents_every_setting():
    from pathlib import Path

    from bot.config import Settings

    example = Path(__file__).resolve().parents[2] / ".env.example"
    documented = {
        line.split("=", 1)[0]
        for line in example.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#") and "=" in line
    }
    assert documented == {name.upper() for name in Settings.model_fields}


def test_env_example_as_is_is_a_valid_configuration(tmp_path, monkeypatch):
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / ".env.example"
    (tmp_path / ".env").write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    s = load_settings()
    assert not s.telegram_enabled and s.telegram_webhook_secret is None and s.admins == ()
