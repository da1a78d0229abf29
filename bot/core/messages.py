"""Channel-neutral messages: what adapters produce and what handlers answer with."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

MAX_PAYLOAD_BYTES = 64  # Telegram's callback_data limit; every channel keeps to it
# MediaRef(STORED, name): a photo in the bot's own PhotoStore (bot/media/store.py), by name. A
# channel that sends pictures by URL (Viber) points at it instead of storing a copy; the others
# are given the bytes.
STORED = "stored"


class Kind(enum.StrEnum):
    TEXT = "text"
    COMMAND = "command"
    BUTTON = "button"
    LOCATION = "location"
    PHOTO = "photo"
    CONTACT = "contact"
    STARTED = "started"
    STOPPED = "stopped"
    UNSUPPORTED = "unsupported"  # content the bot cannot use (sticker, voice, an edit, ...)
    # A group chat got a new id (Telegram: upgraded to a supergroup): `chat` the old id,
    # `payload` the new one. A platform's fact, not something the sender said.
    CHAT_MOVED = "chat_moved"


@dataclass(frozen=True, slots=True)
class Address:
    """Who, on which channel: the lock key and the conversation-state key."""

    channel: str
    user_id: str

    def __str__(self) -> str:
        return f"{self.channel}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A file held by a channel, fetched lazily through `Channel.download` (or, with the
    channel STORED, a photo in the bot's PhotoStore)."""

    channel: str
    file_id: str
    size: int | None = None
    mime_type: str | None = None


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    address: Address
    kind: Kind
    text: str = ""
    command: str | None = None
    args: str = ""
    payload: str | None = None
    location: tuple[float, float] | None = None
    photo: MediaRef | None = None
    phone: str | None = None
    language: str | None = None
    external_id: str | None = None
    # The group chat a command or a button tap came from (its id on the channel); None: the
    # sender's private chat. `address` is still the sender's: their role, state and lock.
    chat: str | None = None


@dataclass(frozen=True, slots=True)
class Button:
    """One choice. Exactly one action: a payload, a location request, or a URL."""

    label: str
    payload: str | None = None
    request_location: bool = False
    url: str | None = None

    def __post_init__(self) -> None:
        actions = sum((self.payload is not None, self.request_location, self.url is not None))
        if actions != 1:
            raise ValueError("a button needs exactly one of payload, request_location, url")
        if self.payload is not None and not 0 < len(self.payload.encode()) <= MAX_PAYLOAD_BYTES:
            raise ValueError(f"button payload must be 1..{MAX_PAYLOAD_BYTES} bytes")
        if not self.label.strip():
            raise ValueError("a button needs a label")


Rows = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True, slots=True)
class Document:
    """A file sent with a reply (e.g. the citizen's /mydata export)."""

    filename: str
    data: bytes = field(repr=False)
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    buttons: Rows = ()
    image: bytes | MediaRef | None = None
    document: Document | None = None
    meta: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def all_buttons(self) -> list[Button]:
        return [b for row in self.buttons for b in row]

    @property
    def asks_location(self) -> bool:
        return any(b.request_location for b in self.all_buttons)


def rows(*buttons: Button | tuple[Button, ...] | list[Button], per_row: int = 1) -> Rows:
    """Lay out buttons: tuples/lists stay as given rows, loose buttons are grouped per_row."""
    out: list[tuple[Button, ...]] = []
    loose: list[Button] = []
    for item in buttons:
        if isinstance(item, Button):
            loose.append(item)
            if len(loose) == per_row:
                out.append(tuple(loose))
                loose = []
        else:
            if loose:
                out.append(tuple(loose))
                loose = []
            out.append(tuple(item))
    if loose:
        out.append(tuple(loose))
    return tuple(out)
