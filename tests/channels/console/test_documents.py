"""The console writes a document it is sent into its files directory and prints the path;
the recording channel keeps the Document on the recorded Reply for tests to read."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.channels.console import ConsoleChannel, RecordingChannel
from bot.core.messages import Address, Document, Reply
from bot.i18n import Translator

EXPORT = Document("citizenbot-mydata-2026-11-27.json", b'{"citizen": {}}', "application/json")
TO = Address("console", "local")


def t(key: str, **values: object) -> str:
    return Translator().translate("en", key, **values)


async def test_the_file_is_written_and_its_path_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    console = ConsoleChannel(t=t, files_dir=tmp_path / "exports")
    result = await console.send(TO, Reply("📄 Your data", document=EXPORT))
    assert result.ok
    path = (tmp_path / "exports" / EXPORT.filename).resolve()
    assert path.read_bytes() == EXPORT.data
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # personal data: the owner's only
    assert capsys.readouterr().out == f"📄 Your data\n📎 File: {path}\n\n"


async def test_a_file_name_cannot_leave_the_directory(tmp_path: Path):
    console = ConsoleChannel(t=t, files_dir=tmp_path / "exports")
    sneaky = Document("../../escape.json", b"{}")
    path = await console.save_document(sneaky)
    assert path == (tmp_path / "exports" / "escape.json").resolve()
    assert not (tmp_path / "escape.json").exists()


async def test_the_recording_channel_keeps_the_document():
    channel = RecordingChannel(t=t)
    await channel.send(channel.address("u1"), Reply("📄", document=EXPORT))
    (reply,) = channel.pop("u1")
    assert reply.document == EXPORT
