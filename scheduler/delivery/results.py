"""The results of sends, gathered between two recordings (one transaction per batch)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core.channel import SendResult
from storage.repos import outbox
from storage.repos.outbox import Blocked, Claimed, Failure, Retry, Sent

_DIGITS = re.compile(r"\d{5,}")


def masked(text: str) -> str:
    """`text` without long digit runs (ids, phone numbers): fit to store."""
    return _DIGITS.sub("…", text)


def reason(result: SendResult) -> str:
    """Why a send failed, fit to store: no ids or phone numbers."""
    return masked(result.error or result.status.value)[: outbox.MAX_ERROR]


@dataclass
class Results:
    sent: list[int] = field(default_factory=list)
    confirmed: list[Sent] = field(default_factory=list)  # sent, with the platform's answer
    released: list[int] = field(default_factory=list)
    retries: list[Retry] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    blocked: list[tuple[Blocked, str]] = field(default_factory=list)
    # The chat has a new id (`SendResult.moved_to`): the row goes there, pending again.
    moved: list[tuple[Claimed, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return (
            len(self.sent)
            + len(self.confirmed)
            + len(self.released)
            + len(self.retries)
            + len(self.failures)
            + len(self.blocked)
            + len(self.moved)
        )

    def ids(self) -> list[int]:
        return [
            *self.sent,
            *(s.id for s in self.confirmed),
            *self.released,
            *(r.id for r in self.retries),
            *(f.id for f in self.failures),
            *(b.id for b, _ in self.blocked),
            *(row.id for row, _ in self.moved),
        ]

    def merge(self, other: Results) -> None:
        self.sent += other.sent
        self.confirmed += other.confirmed
        self.released += other.released
        self.retries += other.retries
        self.failures += other.failures
        self.blocked += other.blocked
        self.moved += other.moved
