"""The console channel without a terminal: tests push a message and pop the replies."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from bot.channels.console.channel import ConsoleChannel, Translate
from bot.core.channel import SENT, Capabilities, Dispatch, SendResult
from bot.core.messages import Address, IncomingMessage, Reply


class RecordingChannel(ConsoleChannel):
    # The console's, stated here too: tests read what the engine does with these.
    capabilities = Capabilities(
        max_text=1_000_000,
        inline_buttons=True,
        location_request=True,
        photos=True,
        edits_in_place=True,
        receipts=False,
        bulk_size=1,
        billed_messages=False,
    )

    def __init__(self, *, t: Translate, name: str = "console", language: str | None = None):
        super().__init__(t=t, language=language)
        self.name = name
        self.sent: dict[Address, list[Reply]] = defaultdict(list)
        self.results: dict[Address, SendResult] = {}
        self.edits: dict[Address, list[tuple[str, Reply]]] = defaultdict(list)
        self._dispatch: Dispatch | None = None

    async def start(self, dispatch: Dispatch) -> None:
        self._dispatch = dispatch

    async def send(self, to: Address, reply: Reply, *, skip: int = 0) -> SendResult:
        self._remember(to, reply)
        self.sent[to].append(reply)
        result = self.results.get(to, SENT)
        return replace(result, message_id=str(next(self._message_ids))) if result.ok else result

    async def edit(self, to: Address, message_id: str, reply: Reply) -> SendResult:
        self.edits[to].append((message_id, reply))
        return self.results.get(to, SENT)

    def address(self, user: str) -> Address:
        return Address(self.name, user)

    def pop(self, user: str) -> list[Reply]:
        return self.sent.pop(self.address(user), [])

    async def push(self, msg: IncomingMessage) -> list[Reply]:
        assert self._dispatch is not None, "start() the channel first"
        await self._dispatch(msg)
        return self.pop(msg.address.user_id)

    async def say(self, text: str, *, user: str = "u1") -> list[Reply]:
        """Type a line as the user would in the console (numbers pick buttons)."""
        parsed = self.parse(text, user_id=user)
        if parsed is None or isinstance(parsed, str):
            raise AssertionError(f"the console would not send {text!r}: {parsed!r}")
        return await self.push(parsed)

    async def tap(self, label_or_payload: str, *, user: str = "u1") -> list[Reply]:
        """Press a button of the last keyboard by its label or payload."""
        buttons = self._last_buttons.get(self.address(user), [])
        for button in buttons:
            if label_or_payload in (button.label, button.payload):
                return await self.say(button.label, user=user)
        shown = [(b.label, b.payload) for b in buttons]
        raise AssertionError(f"no button {label_or_payload!r} on the last keyboard: {shown}")
