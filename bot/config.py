"""Settings from environment variables and .env (pydantic-settings).

Every setting is documented in .env.example and the README; the names are a contract.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.messages import Address

LANGUAGES = ("bg", "en")


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    database_url: str = "sqlite+aiosqlite:///./data/citizenbot.db"
    data_dir: str = "./data"

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    http_public_url: str | None = None

    admins: Annotated[tuple[Address, ...], NoDecode] = ()
    city: str = "sofia"
    default_language: Literal["bg", "en"] = "bg"
    reports_per_day: int = Field(default=10, ge=1, le=1000)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] | None = None

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
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("telegram_webhook_url")
    @classmethod
    def _https_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value

    @cached_property
    def admin_addresses(self) -> frozenset[Address]:
        return frozenset(self.admins)

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None and bool(
            self.telegram_bot_token.get_secret_value()
        )

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


def load_settings(**overrides: object) -> Settings:
    """Read the settings; any problem becomes one ConfigError line naming the variable."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    settings.check()
    return settings


def _describe(exc: ValidationError) -> str:
    err = exc.errors()[0]
    name = str(err["loc"][0]).upper() if err["loc"] else "settings"
    msg = err["msg"].removeprefix("Value error, ")
    return f"{name}: {msg}"
