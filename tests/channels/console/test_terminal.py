"""The console as a person at a terminal sees it: a banner, messages of several lines, labels
typed without their emoji, pictures written to files, messages for other people labelled,
and the console's own words in the language the reader chose."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest
from PIL import Image

from bot.channels.console import ConsoleChannel
from bot.core.messages import Address, Button, IncomingMessage, Kind, Reply, rows
from bot.i18n import Translator

ME = Address("console", "local")
translator = Translator()


def console(tmp_path: Path, chosen: str | None = None, **kwargs: object) -> ConsoleChannel:
    async def language_of(address: Address) -> str | None:
        return chosen if address == ME else "bg"

    return ConsoleChannel(
        t=lambda key, **kw: translator.translate(None, key, **kw),
        files_dir=tmp_path / "exports",
        translate=translator.translate,
        language_of=language_of,
        **kwargs,  # type: ignore[arg-type]
    )


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


MENU = Reply(
    "What would you like to do?",
    rows(
        Button("📍 Report a problem", payload="menu:report"),
        Button("📋 My reports", payload="menu:myreports"),
        Button("◀️", payload="page:0"),
        Button("▶️", payload="page:2"),
    ),
)


async def test_a_label_typed_without_its_emoji_is_a_tap(tmp_path: Path):
    channel = console(tmp_path)
    await channel.send(ME, MENU)
    for typed in ("Report a problem", "report a problem", "📍 Report a problem", "1"):
        tap = channel.parse(typed)
        assert isinstance(tap, IncomingMessage)
        assert (tap.kind, tap.payload) == (Kind.BUTTON, "menu:report")
    # Labels of nothing but symbols are told apart by number only, never by a guess.
    text = channel.parse("◀")
    assert isinstance(text, IncomingMessage) and text.kind is Kind.TEXT


async def test_a_picture_is_written_to_exports_and_its_path_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    channel = console(tmp_path, chosen="en")
    chart = png()
    await channel.send(ME, Reply("📊 Reports by status", image=chart))
    (path,) = (tmp_path / "exports").glob("picture-*.png")
    assert path.read_bytes() == chart
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert capsys.readouterr().out == f"📊 Reports by status\n🖼️ Picture: {path.resolve()}\n\n"


async def test_a_message_for_someone_else_says_whom_it_is_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    channel = console(tmp_path, chosen="en")
    await channel.send(Address("console", "maria"), Reply("🔔 Report SOF-2026-000001: fixed."))
    assert capsys.readouterr().out == (
        "📨 For console:maria:\n🔔 Report SOF-2026-000001: fixed.\n\n"
    )
    await channel.send(ME, Reply("Done."))
    assert capsys.readouterr().out == "Done.\n\n"


async def test_the_consoles_words_follow_the_language_the_reader_chose(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    newcomer = console(tmp_path, chosen=None)  # not chosen yet: the default, Bulgarian
    await newcomer.refresh_language()
    assert newcomer.banner().startswith("💬 Чат ботът на общината")
    assert newcomer.parse("/loc north") == (
        "Напишете /loc ШИРИНА ДЪЛЖИНА, напр. /loc 42.6977 23.3219"
    )
    english = console(tmp_path, chosen="en")
    await english.send(Address("console", "maria"), Reply("Здравейте"))
    assert capsys.readouterr().out.startswith("📨 For console:maria:\n")
    assert english.banner().startswith("💬 The city's chat bot")
    assert english.parse("/loc north") == "Type /loc LAT LON, e.g. /loc 42.6977 23.3219"


async def read_through_a_pipe(channel: ConsoleChannel, data: bytes) -> list[IncomingMessage]:
    got: list[IncomingMessage] = []

    async def dispatch(msg: IncomingMessage) -> None:
        got.append(msg)

    read_end, write_end = os.pipe()
    os.write(write_end, data)
    os.close(write_end)
    with os.fdopen(read_end) as stdin:
        await channel.run_terminal(dispatch, stdin)
    return got


async def test_a_line_ending_in_a_backslash_goes_on_to_the_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    channel = console(tmp_path, chosen="en", log_file=tmp_path / "logs" / "console.log")
    got = await read_through_a_pipe(
        channel, b"The lamp at block 12 is out\\\nsince Monday.\\\n\\\nPlease fix it.\nhi\nlast\\\n"
    )
    assert [m.text for m in got] == [
        "The lamp at block 12 is out\nsince Monday.\n\nPlease fix it.",
        "hi",
        "last",  # the input ended inside a message: what there is, is sent
    ]
    assert all(m.kind is Kind.TEXT for m in got)
    out = capsys.readouterr().out
    assert out.startswith("💬 The city's chat bot, here in your terminal.\n")
    assert f"The log is in {tmp_path / 'logs' / 'console.log'}" in out
    assert "You ›" not in out  # a pipe gets no prompt
