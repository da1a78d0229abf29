r"""The console channel: talk to the bot in a terminal, or through a pipe.

It opens with a banner (how to type, where the log is) and, in a terminal, a prompt. Buttons
are shown numbered; type the number or the label (its emoji may be left out). `/loc LAT LON`
sends a location, `/photo PATH` a photo, `/contact PHONE` a contact; a line ending in `\`
goes on to the next (one message of several lines). A document or a picture the bot sends
(the /mydata export, a chart) is written to `files_dir` (DATA_DIR/exports) and its path is
shown. A message for someone else (a staff notification, a reporter's news) is headed with
whom it is for. The console's own words are in the language the reader chose (until they
choose: the language their client reports, or the default).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import stat
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

from aiohttp import web

from bot.core.channel import (
    Capabilities,
    Dispatch,
    MediaTooLarge,
    SendResult,
    SendStatus,
    send_each,
)
from bot.core.messages import Address, Button, Document, IncomingMessage, Kind, MediaRef, Reply
from bot.core.text import match_label

Translate = Callable[..., str]
# The language an address chose, or None before they chose one.
LanguageOf = Callable[[Address], Awaitable[str | None]]
# translate(language, key, **values): bot.i18n.Translator.translate
TranslateIn = Callable[..., str]
CONTINUES = "\\"  # a line ending in it goes on to the next


class ConsoleChannel:
    name = "console"
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

    def __init__(
        self,
        *,
        t: Translate,
        user_id: str = "local",
        language: str | None = None,
        files_dir: Path | str = Path("data") / "exports",
        translate: TranslateIn | None = None,
        language_of: LanguageOf | None = None,
        log_file: Path | None = None,
    ):
        self._before_choice = t  # the console's words before the reader chose a language
        self.user_id = user_id
        self.language = language
        self.files_dir = Path(files_dir)
        self.translate = translate
        self.language_of = language_of
        self.log_file = log_file
        self._chosen: str | None = None
        self._last_buttons: dict[Address, list[Button]] = {}
        self._message_ids = itertools.count(1)
        self._pictures = itertools.count(1)

    @property
    def reader(self) -> Address:
        """Who types at this console."""
        return Address(self.name, self.user_id)

    def t(self, key: str, /, **values: object) -> str:
        """The console's own words (hints, labels, the banner) in the reader's language."""
        if self._chosen is not None and self.translate is not None:
            return self.translate(self._chosen, key, **values)
        return self._before_choice(key, **values)

    async def refresh_language(self) -> None:
        if self.language_of is not None:
            self._chosen = await self.language_of(self.reader) or self._chosen

    # -- Channel protocol ---------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        return []

    async def start(self, dispatch: Dispatch) -> None:
        self._dispatch = dispatch

    async def stop(self) -> None:
        return None

    async def send(self, to: Address, reply: Reply, *, skip: int = 0) -> SendResult:
        self._remember(to, reply)
        await self.refresh_language()
        text = self.render(reply, picture=await self._picture(reply.image))
        if reply.document is not None:
            path = await self.save_document(reply.document)
            text += "\n" + self.t("console.document", path=str(path))
        if to != self.reader:
            text = self.t("console.for", who=str(to)) + "\n" + text
        self.write(text)
        return SendResult(SendStatus.OK, message_id=str(next(self._message_ids)))

    async def _picture(self, image: bytes | MediaRef | None) -> str | None:
        """The line that stands for a picture: where it was written, or the file it is."""
        if image is None:
            return None
        if isinstance(image, MediaRef):
            if image.channel != self.name:
                return self.t("console.image")
            path = Path(image.file_id)
        else:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            name = f"picture-{stamp}-{next(self._pictures)}{_extension(image)}"
            path = self.files_dir / name
            await asyncio.to_thread(_write_private, path, image)
        return self.t("console.picture", path=str(path.resolve()))

    async def save_document(self, document: Document) -> Path:
        """Write the document into `files_dir` (readable by this user only); its path."""
        target = self.files_dir / (Path(document.filename).name or "document")
        await asyncio.to_thread(_write_private, target, document.data)
        return target.resolve()

    async def edit(self, to: Address, message_id: str, reply: Reply) -> SendResult:
        self.write(f"✏️ [{message_id}] {self.render(reply)}")
        return SendResult(SendStatus.OK, message_id=message_id)

    async def send_bulk(self, recipients: Sequence[Address], reply: Reply) -> list[SendResult]:
        return await send_each(self, recipients, reply)

    async def download(self, ref: MediaRef, *, max_bytes: int) -> bytes:
        return await asyncio.to_thread(_read_file, Path(ref.file_id), max_bytes)

    # -- parsing and rendering ----------------------------------------------------------

    def parse(self, line: str, *, user_id: str | None = None) -> IncomingMessage | str | None:
        """An incoming message, or a hint (str) to show locally, or None for a blank line."""
        address = Address(self.name, user_id or self.user_id)
        text = line.strip()
        if not text:
            return None
        base = {"address": address, "language": self.language}
        button = self._pick_button(address, text)
        if isinstance(button, Button):
            if button.request_location:
                return self.t("console.usage_loc")
            if button.url:
                return button.url
            return IncomingMessage(kind=Kind.BUTTON, payload=button.payload, text=text, **base)
        if not text.startswith("/"):
            return IncomingMessage(kind=Kind.TEXT, text=text, **base)
        command, _, args = text[1:].partition(" ")
        command, args = command.lower(), args.strip()
        if command == "loc":
            return self._location(args, base)
        if command == "photo":
            return self._photo(args, base)
        if command == "contact" and args:
            return IncomingMessage(kind=Kind.CONTACT, phone=args, **base)
        if command == "start":
            return IncomingMessage(kind=Kind.STARTED, payload=args or None, **base)
        return IncomingMessage(kind=Kind.COMMAND, text=text, command=command, args=args, **base)

    def render(self, reply: Reply, picture: str | None = None) -> str:
        lines = [reply.text]
        if picture is not None or reply.image is not None:
            lines.append(picture or self.t("console.image"))
        number = 0
        for row in reply.buttons:
            cells = []
            for button in row:
                number += 1
                cells.append(f"[{number}] {button.label}")
            lines.append("  " + "   ".join(cells))
        if reply.asks_location:
            lines.append(self.t("console.share_location"))
        return "\n".join(lines)

    def write(self, text: str) -> None:
        print(text + "\n", flush=True)

    def _remember(self, to: Address, reply: Reply) -> None:
        if reply.buttons:
            self._last_buttons[to] = reply.all_buttons

    def _pick_button(self, address: Address, text: str) -> Button | None:
        buttons = self._last_buttons.get(address, [])
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            return buttons[int(text) - 1]
        label = match_label(text, [b.label for b in buttons])
        return next((b for b in buttons if b.label == label), None)

    def _location(self, args: str, base: dict) -> IncomingMessage | str:
        try:
            lat, lon = (float(part) for part in args.replace(",", " ").split())
        except ValueError:
            return self.t("console.usage_loc")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return self.t("console.usage_loc")
        return IncomingMessage(kind=Kind.LOCATION, location=(lat, lon), **base)

    def _photo(self, args: str, base: dict) -> IncomingMessage | str:
        if not args:
            return self.t("console.usage_photo")
        path = Path(args).expanduser()
        if not path.is_file():
            return self.t("console.no_file", path=args)
        ref = MediaRef(self.name, str(path.resolve()), size=path.stat().st_size)
        return IncomingMessage(kind=Kind.PHOTO, photo=ref, **base)

    # -- the terminal loop --------------------------------------------------------------

    async def handle_line(self, line: str, dispatch: Dispatch) -> None:
        parsed = self.parse(line)
        if isinstance(parsed, str):
            self.write(parsed)
        elif parsed is not None:
            await dispatch(parsed)

    def banner(self) -> str:
        lines = [self.t("console.banner")]
        if self.log_file is not None:
            lines.append(self.t("console.log_file", path=str(self.log_file)))
        return "\n".join(lines)

    async def run_terminal(self, dispatch: Dispatch, stdin: TextIO | None = None) -> None:
        """Show the banner, then read lines until EOF (a pipe ends, or Ctrl-D), dispatching
        each message in order; in a terminal, a prompt asks for each."""
        stdin = stdin or sys.stdin
        await self.refresh_language()
        self.write(self.banner())
        if stdin is None:  # started with stdin closed: nothing to read
            return
        interactive = stdin.isatty()
        self.prompt(interactive)
        parts: list[str] = []
        async for line in _lines(stdin):
            text = line.rstrip("\r\n")
            if text.endswith(CONTINUES):
                parts.append(text.removesuffix(CONTINUES))
                if interactive:
                    print("… ", end="", flush=True)
                continue
            parts.append(text)
            await self.handle_line("\n".join(parts), dispatch)
            parts = []
            self.prompt(interactive)
        if parts:  # the input ended inside a message: send what there is
            await self.handle_line("\n".join(parts), dispatch)

    def prompt(self, interactive: bool) -> None:
        if interactive:
            print(self.t("console.prompt") + " ", end="", flush=True)


async def _lines(stdin: TextIO):
    loop = asyncio.get_running_loop()
    fd = stdin.fileno()
    if not _pipe_like(fd):
        # A regular file never blocks; read it in a thread so the loop stays free.
        while line := await asyncio.to_thread(stdin.readline):
            yield line
        return
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(os.dup(fd), "rb", buffering=0)
    )
    try:
        while raw := await reader.readline():
            yield raw.decode("utf-8", errors="replace")
    finally:
        transport.close()


def _pipe_like(fd: int) -> bool:
    """Whether the loop can watch `fd` for reading. A pipe, a socket or a terminal can; any
    other character device cannot (epoll refuses /dev/null, and uvloop aborts the process on
    that), so it is read in a thread like a file."""
    mode = os.fstat(fd).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or os.isatty(fd)


def _extension(image: bytes) -> str:
    if image.startswith(b"\x89PNG"):
        return ".png"
    if image.startswith(b"\xff\xd8"):
        return ".jpg"
    if image[:4] == b"RIFF" and image[8:12] == b"WEBP":
        return ".webp"
    return ".img"


def _write_private(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(content)


def _read_file(path: Path, max_bytes: int) -> bytes:
    size = path.stat().st_size
    if size > max_bytes:
        raise MediaTooLarge(f"{size} bytes > {max_bytes}")
    return path.read_bytes()
