"""The delivery engine's settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.config import Settings


@dataclass(frozen=True)
class DeliveryConfig:
    batch_size: int = 200
    max_attempts: int = 5
    lease: timedelta = timedelta(seconds=120)
    backoff_base: float = 2.0
    backoff_cap: float = 600.0
    poll_interval: float = 1.0
    flush_interval: float = 0.1
    progress_interval: float = 5.0
    concurrency: int = 64  # at most this many sends on the wire per channel
    stop_timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryConfig:
        return cls(
            batch_size=settings.delivery_batch_size,
            max_attempts=settings.delivery_max_attempts,
            lease=timedelta(seconds=settings.delivery_lease_seconds),
        )

    def backoff(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt."""
        seconds = self.backoff_base * 2 ** max(0, attempts - 1)
        return timedelta(seconds=min(seconds, self.backoff_cap))
