"""Prepares a PHOTO message before its transaction begins: download it from the channel and
make a clean JPEG of it. The handler gets the result as `ctx.attachment`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.core.channel import Channel, MediaTooLarge
from bot.core.messages import IncomingMessage
from bot.media.photos import MAX_INPUT_BYTES, InvalidImage, ProcessedPhoto, process_photo_async

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PhotoProblem:
    """Why a photo could not be used: an InvalidImage reason or "download_failed"."""

    reason: str


async def preload_photo(msg: IncomingMessage, channel: Channel) -> ProcessedPhoto | PhotoProblem:
    ref = msg.photo
    if ref is None:
        return PhotoProblem("not_an_image")
    if ref.size is not None and ref.size > MAX_INPUT_BYTES:
        return PhotoProblem("too_large")
    try:
        data = await channel.download(ref, max_bytes=MAX_INPUT_BYTES)
    except MediaTooLarge:
        return PhotoProblem("too_large")
    except Exception as exc:  # the platform or the network failed us; the citizen may retry
        log.warning("photo download from %s failed: %s", channel.name, type(exc).__name__)
        return PhotoProblem("download_failed")
    try:
        return await process_photo_async(data)
    except InvalidImage as exc:
        return PhotoProblem(exc.reason)
