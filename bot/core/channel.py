"""The contract every channel adapter fulfils."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from aiohttp import web

from bot.core.messages import Address, IncomingMessage, MediaRef, Reply

Dispatch = Callable[[IncomingMessage], Awaitable[None]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Capabilities:
    """What a channel can do. Every channel states each one: the delivery engine and the
    progress reporter read them, never guess."""

    max_text: int  # the longest text one platform message takes
    inline_buttons: bool
    location_request: bool
    photos: bool
    edits_in_place: bool  # edit() changes the message; False: it posts a new one (Viber)
    receipts: bool  # delivered/seen/failed come later for SendResult.message_id (`Receipt`)
    bulk_size: int  # recipients one send_bulk() takes (one platform call per part); 1: none
    billed_messages: bool  # the platform bills each message: SendResult.messages counts them
    # Messages a minute the platform takes in one group chat (an address whose user_id starts
    # with "-", Telegram's group ids); None: no such limit. The engine paces each group.
    group_per_minute: int | None = None


class SendStatus(enum.StrEnum):
    OK = "ok"
    RETRY_AFTER = "retry_after"
    BLOCKED = "blocked"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class SendResult:
    status: SendStatus
    retry_after: float | None = None
    error: str | None = None
    message_id: str | None = None  # the (last) message sent, for a later `Channel.edit`
    # On a failure: how many of the platform messages the reply became had gone out (a long
    # text, a photo and its text): after a 429 midway, `send(..., skip=parts)` sends the rest.
    parts: int = 0
    # On success, where the platform keeps the uploaded image (Telegram's file_id): sending it
    # again by this id uploads nothing (a notice's photo to its whole audience).
    media_id: str | None = None
    # Where the channel's platform bills each message (`Capabilities.billed_messages`): how
    # many were accepted for this recipient, a failed attempt's part-way ones too; else None.
    messages: int | None = None
    # On a failure: the chat has a new id on the platform (Telegram: a group upgraded to a
    # supergroup, `migrate_to_chat_id`); the same reply goes there instead.
    moved_to: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is SendStatus.OK


SENT = SendResult(SendStatus.OK)


class ReceiptKind(enum.StrEnum):
    DELIVERED = "delivered"  # it reached the recipient's device
    SEEN = "seen"  # the recipient opened it
    FAILED = "failed"  # the platform accepted it but could not deliver it


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a platform reported later about a message the bot sent (Viber's delivered, seen
    and failed callbacks): `message_id` is the SendResult.message_id the send returned."""

    channel: str
    message_id: str
    kind: ReceiptKind
    user_id: str | None = None  # the recipient, where the platform says (a broadcast's
    # recipients share one message id)
    at: datetime | None = None  # when it happened, by the platform's clock
    reason: str | None = None  # why it failed


# Records a receipt durably (raises when it could not: the platform should send it again).
Receipts = Callable[[Receipt], Awaitable[object]]


@runtime_checkable
class Channel(Protocol):
    name: str
    capabilities: Capabilities

    def routes(self) -> list[web.RouteDef]: ...

    async def start(self, dispatch: Dispatch) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, to: Address, reply: Reply, *, skip: int = 0) -> SendResult:
        """Send `reply`, leaving out its first `skip` platform messages (sent before)."""
        ...

    async def edit(self, to: Address, message_id: str, reply: Reply) -> SendResult:
        """Replace the text (and inline buttons) of a message this bot sent."""
        ...

    async def send_bulk(self, recipients: Sequence[Address], reply: Reply) -> list[SendResult]:
        """The same reply to many recipients (at most `capabilities.bulk_size`): one result per
        recipient, in order. A channel without a bulk API sends one by one (`send_each`)."""
        ...

    async def download(self, ref: MediaRef, *, max_bytes: int) -> bytes: ...


async def send_each(
    channel: Channel, recipients: Sequence[Address], reply: Reply
) -> list[SendResult]:
    """`send_bulk` for a channel without a bulk API: one send after the other."""
    return [await channel.send(to, reply) for to in recipients]


class ChannelUnavailable(Exception):
    """A channel could not start: its platform did not answer a start-up call, or refused it.
    The message names the channel and the reason, without secrets (the CLI prints it as one
    line)."""


class MediaTooLarge(Exception):
    """A file is larger than the caller accepts."""
