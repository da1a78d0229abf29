"""What a claimed outbox row says, as a Reply: a direct row's stored payload, or its run's
notice in the row's language with the notice's photo.

A run's notice is read once per run (NOTICE_CACHE runs kept, the least recently used
dropped). Its photo: the first send per channel uploads it and the others wait for its answer,
then use the platform's file id (`SendResult.media_id`, kept in `notice.photo_file_id` for
Telegram); channels that fetch pictures by URL (Viber) get `MediaRef(STORED, name)`, the
stored photo, instead of bytes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from cachetools import LRUCache
from sqlmodel import col, select, update

from bot.core.channel import SendResult, SendStatus
from bot.core.messages import STORED, MediaRef, Reply
from bot.media.store import PhotoStore
from scheduler.payloads import BadPayload, notice_text, reply_from_payload
from storage.db import Database
from storage.models import Notice, NoticeRun, OutboxKind
from storage.repos.outbox import Claimed

log = logging.getLogger(__name__)

NOTICE_CACHE = 32  # runs whose rendered notice is kept
BY_URL = frozenset({"viber"})  # channels that fetch a picture by URL: given the stored photo
PERSISTED_FILE_IDS = frozenset({"telegram"})  # kept on the notice (Notice.photo_file_id)


def _stale_file_id(result: SendResult) -> bool:
    """A send by file id refused because the platform no longer knows the file."""
    error = (result.error or "").lower()
    return result.status is SendStatus.FAILED and "file identifier" in error


@dataclass
class NoticeEntry:
    """A run's notice as the senders use it: its photo's bytes (read when a channel needs them)
    and, per channel, the platform's file id of the photo once uploaded."""

    notice: Notice
    image: bytes | None = None
    missing: bool = False  # the stored photo is gone: sent without it
    file_ids: dict[str, str] = field(default_factory=dict)
    uploads: dict[str, asyncio.Future[None]] = field(default_factory=dict)  # one per channel
    no_ids: set[str] = field(default_factory=set)  # channels whose sends return no file id


class NoticeRenderer:
    """Rows → Replies for every channel's sender; a photo's upload shared per channel."""

    def __init__(
        self,
        *,
        db: Database,
        photos: PhotoStore | None,
        side_task: Callable[[Coroutine[Any, Any, None]], None],
    ) -> None:
        self.db = db
        self.photos = photos
        self.side_task = side_task  # runs a write the send does not wait for
        self._notices: LRUCache[int, asyncio.Future[NoticeEntry]] = LRUCache(NOTICE_CACHE)
        self._uploading: dict[int, tuple[NoticeEntry, str]] = {}  # row id → its photo upload
        self._by_file_id: dict[int, tuple[NoticeEntry, str, str]] = {}  # row id → id it used

    async def render(self, row: Claimed) -> Reply:
        if row.kind != OutboxKind.NOTICE:
            return reply_from_payload(row.payload)
        if row.run_id is None:
            raise BadPayload("a notice row without a run")
        entry = await self._notice(row.run_id)
        image = await self._image(entry, row)
        return Reply(notice_text(entry.notice, row.language), image=image)

    async def _image(self, entry: NoticeEntry, row: Claimed) -> bytes | MediaRef | None:
        """The notice's photo as `row`'s channel should get it: the platform's file id once
        one send uploaded it (the first send of each channel uploads, the others wait for its
        answer); a reference to the stored photo for a channel that sends by URL; else the
        bytes (read once per run)."""
        name = entry.notice.photo
        if not name or self.photos is None or entry.missing:
            return None
        channel = row.channel
        if channel in BY_URL:
            return MediaRef(STORED, name)
        while True:
            if file_id := entry.file_ids.get(channel):
                self._by_file_id[row.id] = (entry, channel, file_id)
                return MediaRef(channel, file_id)
            upload = entry.uploads.get(channel)
            if upload is None or channel in entry.no_ids:
                break
            await asyncio.shield(upload)  # another send is uploading it: use its file id
        if channel not in entry.no_ids:  # this send uploads: the channel's others wait
            entry.uploads[channel] = asyncio.get_running_loop().create_future()
            self._uploading[row.id] = (entry, channel)
        if entry.image is None:
            try:
                entry.image = await self.photos.read(name)
            except (OSError, ValueError):
                log.warning("notice %s: photo missing; sent without it", entry.notice.id)
                entry.missing = True
        return None if entry.missing else entry.image

    def after_send(self, row: Claimed, result: SendResult | None) -> None:
        """If `row` carried its notice's photo up (see `_image`): keep the platform's file id
        (and store it on the notice, the first one recorded wins, so other processes and later
        runs reuse it), and let the sends waiting for it go."""
        by_id = self._by_file_id.pop(row.id, None)
        if by_id is not None and result is not None and _stale_file_id(result):
            entry, channel, file_id = by_id  # the platform no longer knows it: upload again
            if entry.file_ids.get(channel) == file_id:
                del entry.file_ids[channel]
                if channel in PERSISTED_FILE_IDS and entry.notice.id is not None:
                    self.side_task(self._store_file_id(entry.notice.id, None, instead=file_id))
        uploading = self._uploading.pop(row.id, None)
        if uploading is None:
            return
        entry, channel = uploading
        upload = entry.uploads.pop(channel, None)
        media_id = result.media_id if result is not None and result.ok else None
        if media_id:
            entry.file_ids[channel] = media_id
            if channel in PERSISTED_FILE_IDS and entry.notice.id is not None:
                self.side_task(self._store_file_id(entry.notice.id, media_id))
        elif result is not None and result.ok:
            entry.no_ids.add(channel)  # this channel gives no ids: everyone sends the bytes
        if upload is not None and not upload.done():
            upload.set_result(None)

    async def _store_file_id(
        self, notice_id: int, file_id: str | None, *, instead: str | None = None
    ) -> None:
        """Set the notice's photo file id if it has none (the first upload recorded wins), or
        replace `instead` (a stale one)."""
        column = col(Notice.photo_file_id)
        was = column.is_(None) if instead is None else column == instead
        try:
            async with self.db.sessions() as session, session.begin():
                await session.exec(
                    update(Notice)
                    .where(col(Notice.id) == notice_id, was)
                    .values(photo_file_id=file_id)
                )
        except Exception:
            log.exception("notice %s: storing the photo's file id failed", notice_id)

    async def _notice(self, run_id: int) -> NoticeEntry:
        """The run's notice, read once per run (concurrent senders share it)."""
        future = self._notices.get(run_id)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._notices[run_id] = future  # the least recently used run's goes
            try:
                future.set_result(await self._load_notice(run_id))
            except BaseException as exc:
                self._notices.pop(run_id, None)
                future.set_exception(exc)
                raise
        return await asyncio.shield(future)

    async def _load_notice(self, run_id: int) -> NoticeEntry:
        async with self.db.sessions() as session:
            stmt = (
                select(Notice)
                .join(NoticeRun, NoticeRun.notice_id == Notice.id)  # type: ignore[arg-type]
                .where(NoticeRun.id == run_id)
            )
            notice = (await session.exec(stmt)).first()
        if notice is None:
            raise BadPayload("the notice is gone")
        entry = NoticeEntry(notice)
        if notice.photo and notice.photo_file_id:
            entry.file_ids["telegram"] = notice.photo_file_id
        return entry
