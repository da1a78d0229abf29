"""What a handler receives besides the message: who, where in the conversation, and how to
answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.city import CityPack
from bot.config import Settings
from bot.core.messages import Address, Button, Document, IncomingMessage, Reply, Rows
from bot.domain.actors import Actor
from bot.domain.work import Work
from bot.i18n import DateStyle, Translator, format_number, format_when
from storage.models import Citizen, Role

if TYPE_CHECKING:
    from bot.media.store import PhotoStore


@dataclass
class ConversationView:
    """The address's conversation state as the handler sees it; saved by the dispatcher."""

    name: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def set(self, name: str | None, **data: Any) -> None:
        self.name = name
        self.data = dict(data)

    def update(self, **data: Any) -> None:
        self.data.update(data)

    def clear(self) -> None:
        self.name = None
        self.data = {}

    @property
    def active(self) -> bool:
        return self.name is not None


@dataclass(frozen=True)
class Services:
    """Process-wide things handlers may use; built once at start-up."""

    settings: Settings
    translator: Translator
    city: CityPack
    clock: Callable[[], datetime]
    photos: PhotoStore | None = None
    # Sends just-committed outbox rows now (scheduler.delivery.DeliveryEngine.deliver); queue
    # it with ctx.after_commit. None where no engine runs: the rows wait for one.
    deliver: Callable[[Sequence[int]], Awaitable[None]] | None = None
    # Brings the notice scheduler's tick forward (scheduler.notices.NoticeScheduler.wake); the
    # domain queues it after the commit of a notice due now. None where no scheduler runs.
    wake_notices: Callable[[], None] | None = None
    # Brings the forwarding tick forward (scheduler.forwarding.Forwarder.wake); the domain
    # queues it after the commit of a forward to a body outside the bot. None: the tick comes.
    wake_forwarding: Callable[[], None] | None = None


@dataclass
class Context:
    message: IncomingMessage
    citizen: Citizen
    role: Role
    session: AsyncSession
    state: ConversationView
    services: Services
    new_citizen: bool = False
    # What the dispatcher's preloader made of a PHOTO message before the transaction began
    # (see bot/media/preload.py): a processed photo or the problem with it.
    attachment: Any = None
    # The payloads of the buttons last shown to this address (the current step's offer).
    offered: frozenset[str] = frozenset()
    outgoing: list[tuple[Address, Reply]] = field(default_factory=list)
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Set by a handler that deleted the citizen (/forget): the dispatcher then saves no
    # conversation state, so nothing of them is written back; the replies still go out.
    forgotten: bool = False

    @property
    def work(self) -> Work:
        """This message's unit of work for the domain layer's actions (same session, same
        after-commit tasks)."""
        return Work(
            session=self.session,
            actor=Actor.person(self.citizen.id or 0, self.role),
            settings=self.services.settings,
            translator=self.services.translator,
            city=self.services.city,
            clock=self.services.clock,
            deliver=self.services.deliver,
            wake_notices=self.services.wake_notices,
            wake_forwarding=self.services.wake_forwarding,
            after_commit=self.after_commit,
        )

    @property
    def address(self) -> Address:
        return self.message.address

    @property
    def reply_address(self) -> Address:
        """Where replies go: the group a message came from, else the sender's chat."""
        chat = self.message.chat
        return self.address if chat is None else Address(self.address.channel, chat)

    @property
    def language(self) -> str:
        return self.citizen.language

    @property
    def now(self) -> datetime:
        return self.services.clock()

    def t(self, key: str, /, **values: object) -> str:
        return self.services.translator.translate(self.citizen.language, key, **values)

    def tn(self, key: str, n: int, /, **values: object) -> str:
        """A plural entry in the form that agrees with the count `n`."""
        return self.services.translator.translate_n(self.citizen.language, key, n, **values)

    def when(self, moment: datetime | date, style: DateStyle = "datetime") -> str:
        """A moment in the city's time zone (or a day), as the reader's language writes it."""
        return format_when(moment, self.language, self.services.city.timezone, style)

    def number(self, value: float, digits: int = 0, *, fixed: bool = False) -> str:
        """A number in the reader's locale (decimal comma in Bulgarian)."""
        return format_number(value, self.language, digits, fixed=fixed)

    def reply(
        self,
        text: str,
        buttons: Rows | list[list[Button]] = (),
        image: bytes | None = None,
        document: Document | None = None,
    ) -> None:
        """Queue a reply to the sender (in the group a message came from); it leaves after
        the transaction commits."""
        rows = tuple(tuple(row) for row in buttons)
        reply = Reply(text=text, buttons=rows, image=image, document=document)
        self.outgoing.append((self.reply_address, reply))

    def send_to(self, address: Address, reply: Reply) -> None:
        """Queue a message to someone else (e.g. a reporter), sent after the commit."""
        self.outgoing.append((address, reply))
