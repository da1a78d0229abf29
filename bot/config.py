"""Settings from environment variables and .env: python-dotenv reads the file, pydantic
checks the values. A variable set in the environment wins over the file; names are matched
without regard to case.

Every setting is documented in .env.example and the README; the names are a contract.

(pydantic-settings did the same and loaded sources for AWS, Azure, GCP, the command line,
TOML and YAML with it: 1.8 MB of the bot's idle memory, bench/README.md.)
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from bot.core.messages import Address

ENV_FILE = ".env"

VIBER_NAME_LIMIT = 28  # Viber's limit for sender.name
MAX_BODY_LIMIT = 16 * 1024 * 1024  # the most any *_MAX_BODY_BYTES may allow


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the variable."""


def environment(env_file: str | Path | None = ENV_FILE) -> dict[str, str]:
    """The variables as the bot reads them: those of `env_file`, when it exists, under the
    process's own environment."""
    values: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        from dotenv import dotenv_values

        found = dotenv_values(env_file, encoding="utf-8")
        values = {name: value for name, value in found.items() if value is not None}
    return values | dict(os.environ)


class Settings(BaseModel):
    """The settings as given (tests, benches); `from_environment` reads them as the bot does."""

    model_config = ConfigDict(extra="ignore", validate_default=True)

    database_url: str = "sqlite+aiosqlite:///./data/citizenbot.db"
    database_pool_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    database_connect_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    data_dir: str = "./data"

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_rate_limit: float = Field(default=30.0, ge=1, le=1000)

    viber_auth_token: SecretStr | None = None
    viber_bot_name: str | None = Field(default=None, max_length=VIBER_NAME_LIMIT)
    viber_bot_avatar: str | None = None
    viber_webhook_url: str | None = None
    viber_api_base_url: str = "https://chatapi.viber.com/pa"
    viber_broadcast_api: bool = False
    viber_rate_limit: float = Field(default=20.0, gt=0, le=1000)

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    http_public_url: str | None = None
    http_idle_timeout_seconds: float = Field(default=15.0, gt=0, le=3600)
    http_body_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    telegram_webhook_max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=MAX_BODY_LIMIT)
    viber_webhook_max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=MAX_BODY_LIMIT)
    open311_max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=MAX_BODY_LIMIT)
    # The staff web console's map tiles ({z}/{x}/{y}, optional {s}) and their attribution.
    console_tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    console_tile_attribution: str = "© OpenStreetMap contributors"

    admins: tuple[Address, ...] = ()
    city: str = "sofia"
    default_language: Literal["bg", "en"] = "bg"
    reports_per_day: int = Field(default=10, ge=1, le=1000)
    open311_reports_per_minute: int = Field(default=30, ge=1, le=100_000)
    open311_reports_per_day: int = Field(default=1000, ge=1, le=10_000_000)
    flood_messages_per_minute: int = Field(default=20, ge=1, le=10_000)
    flood_cooldown_seconds: int = Field(default=60, ge=1, le=86_400)
    reply_retry_seconds: float = Field(default=60.0, ge=0, le=3600)
    retention_months: int = Field(default=24, ge=1, le=240)
    metrics_token: str | None = None
    # The per-body figures of /metrics are computed at most once in this many seconds (a
    # second or more on 100,000 reports); 0: on every scrape.
    metrics_body_figures_ttl_seconds: float = Field(default=60.0, ge=0, le=3600)

    delivery_batch_size: int = Field(default=200, ge=1, le=10_000)
    delivery_max_attempts: int = Field(default=5, ge=1, le=100)
    delivery_lease_seconds: int = Field(default=120, ge=30, le=86_400)
    outbox_retention_days: int = Field(default=30, ge=1, le=3650)

    notice_tick_seconds: int = Field(default=10, ge=0, le=3600)
    notice_batch_size: int = Field(default=500, ge=1, le=10_000)
    notice_expiry_hours: int = Field(default=12, ge=1, le=24 * 7)
    feed_tick_seconds: int = Field(default=30, ge=0, le=3600)
    # Bodies' staff (bot/domain/body_reminders.py), in city time: the daily digest of new
    # reports for staff who chose it, and the overdue reminder on working days.
    body_digest_time: str = Field(default="08:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    overdue_reminder_time: str = Field(default="09:30", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    overdue_reminder_limit: int = Field(default=10, ge=1, le=50)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] | None = None

    # Reports forwarded to bodies by email (bot/forwarding/email.py).
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_from: str | None = None
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    # Open311 endpoints of bodies (bot/forwarding/open311.py): how long one request may take.
    forward_http_timeout_seconds: float = Field(default=20.0, gt=0, le=600)
    # How often due forwards are sent (0: never, in this process), how often the status of an
    # Open311 forward is read back, how many attempts before a forward is left to admins.
    forward_tick_seconds: int = Field(default=15, ge=0, le=3600)
    forward_status_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)
    forward_max_attempts: int = Field(default=8, ge=1, le=100)

    @field_validator("admins", mode="before")
    @classmethod
    def _parse_admins(cls, value: object) -> tuple[Address, ...]:
        if isinstance(value, tuple):
            return value
        if not isinstance(value, str):
            raise ValueError("expected a comma-separated list like telegram:12345,console:local")
        out = []
        for item in filter(None, (part.strip() for part in value.split(","))):
            channel, sep, user_id = item.partition(":")
            if not sep or not channel or not user_id:
                raise ValueError(f"'{item}' is not channel:user_id (e.g. telegram:12345)")
            out.append(Address(channel.strip().lower(), user_id.strip()))
        return tuple(out)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///path or postgresql+asyncpg://host/db")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip().upper() or None
        return value

    @field_validator(
        "telegram_webhook_url",
        "http_public_url",
        "telegram_bot_token",
        "telegram_webhook_secret",
        "viber_auth_token",
        "viber_bot_name",
        "viber_bot_avatar",
        "viber_webhook_url",
        "smtp_host",
        "smtp_username",
        "smtp_password",
        "smtp_from",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator(
        "telegram_webhook_url", "viber_api_base_url", "viber_bot_avatar", "console_tile_url"
    )
    @classmethod
    def _https_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("viber_webhook_url")
    @classmethod
    def _viber_webhook_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("must be an https:// URL (Viber calls only HTTPS webhooks)")
        return value

    @classmethod
    def from_environment(cls, env_file: str | Path | None = ENV_FILE, **overrides: object) -> Self:
        """The settings from the environment and `env_file`; `overrides` win over both."""
        found = {name.lower(): value for name, value in environment(env_file).items()}
        values: dict[str, object] = {
            name: found[name] for name in cls.model_fields if name in found
        }
        return cls(**(values | overrides))

    @cached_property
    def admin_addresses(self) -> frozenset[Address]:
        return frozenset(self.admins)

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None and bool(
            self.telegram_bot_token.get_secret_value()
        )

    @property
    def viber_enabled(self) -> bool:
        return self.viber_auth_token is not None and bool(self.viber_auth_token.get_secret_value())

    @property
    def public_url(self) -> str:
        return (self.http_public_url or f"http://{self.http_host}:{self.http_port}").rstrip("/")

    def check(self) -> None:
        """Cross-field rules; raises ConfigError naming the variable."""
        if self.telegram_webhook_url and not self.telegram_enabled:
            raise ConfigError("TELEGRAM_WEBHOOK_URL is set but TELEGRAM_BOT_TOKEN is not")
        if self.telegram_webhook_url and self.telegram_webhook_secret is None:
            raise ConfigError(
                "TELEGRAM_WEBHOOK_SECRET is required in webhook mode "
                "(1-256 characters A-Z, a-z, 0-9, _ and -)"
            )
        secret = self.telegram_webhook_secret
        if secret is not None:
            value = secret.get_secret_value()
            ok = 1 <= len(value) <= 256 and all(c.isalnum() or c in "_-" for c in value)
            if not ok or not value.isascii():
                raise ConfigError(
                    "TELEGRAM_WEBHOOK_SECRET: use 1-256 characters A-Z, a-z, 0-9, _ and -"
                )
        self._check_viber()

    def _check_viber(self) -> None:
        if self.viber_webhook_url and not self.viber_enabled:
            raise ConfigError("VIBER_WEBHOOK_URL is set but VIBER_AUTH_TOKEN is not")
        if not self.viber_enabled:
            return
        if not self.viber_webhook_url:
            raise ConfigError(
                "VIBER_WEBHOOK_URL is required with VIBER_AUTH_TOKEN "
                "(Viber delivers messages only to a webhook)"
            )
        if not self.http_public_url:
            raise ConfigError(
                "HTTP_PUBLIC_URL is required with VIBER_AUTH_TOKEN "
                "(Viber fetches the pictures the bot sends from this server)"
            )


def load_settings(**overrides: object) -> Settings:
    """Read the settings; any problem becomes one ConfigError line naming the variable."""
    try:
        settings = Settings.from_environment(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    settings.check()
    return settings


def _describe(exc: ValidationError) -> str:
    err = exc.errors()[0]
    name = str(err["loc"][0]).upper() if err["loc"] else "settings"
    msg = err["msg"].removeprefix("Value error, ")
    return f"{name}: {msg}"
