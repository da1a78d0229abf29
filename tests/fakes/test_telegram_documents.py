"""The fake Bot API takes sendDocument the way python-telegram-bot sends it: a multipart upload
named after the file, or a file_id; a caption is held to its limit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InputFile
from telegram.error import BadRequest

from .telegram_api import FakeBotAPI

USER_ID = 5_550_001
CONTENT = b'{"citizen": {"language": "bg"}}'


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as fake:
        yield fake


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as real_bot:
        yield real_bot


async def test_an_uploaded_document_keeps_its_name_and_can_be_downloaded(api: FakeBotAPI, bot: Bot):
    upload = InputFile(CONTENT, filename="citizenbot-mydata-2026-11-27.json")
    message = await bot.send_document(USER_ID, upload, caption="📄 Данните ви")

    (call,) = api.calls_to("sendDocument")
    assert call.files == {"document": CONTENT}
    assert call.file_names == {"document": "citizenbot-mydata-2026-11-27.json"}
    assert message.caption == "📄 Данните ви"
    assert message.document is not None
    assert message.document.file_name == "citizenbot-mydata-2026-11-27.json"
    assert message.document.mime_type == "application/json"
    assert message.document.file_size == len(CONTENT)
    assert api.sent_texts() == ["📄 Данните ви"]
    telegram_file = await bot.get_file(message.document.file_id)
    assert await telegram_file.download_as_bytearray() == bytearray(CONTENT)
    assert api.violations == []


async def test_a_document_by_file_id(api: FakeBotAPI, bot: Bot):
    first = await bot.send_document(USER_ID, InputFile(CONTENT, filename="a.json"))
    assert first.document is not None
    again = await bot.send_document(USER_ID, first.document.file_id)
    assert again.document is not None and again.document.file_id == first.document.file_id
    assert api.calls_to("sendDocument")[1].files == {}


async def test_a_caption_over_1024_characters_is_refused(api: FakeBotAPI, bot: Bot):
    with pytest.raises(BadRequest):
        await bot.send_document(USER_ID, InputFile(CONTENT, filename="a.json"), caption="д" * 1025)
    assert api.violations and "caption" in api.violations[0]
