"""Citizen photos: check that the bytes are an image, then make a clean, small JPEG of it.

Pure, synchronous CPU work; from async code call `process_photo_async`, which runs it in a
worker thread. The output never carries metadata: no EXIF (so no GPS, camera, or time), no
XMP, no comments, no ICC profile. Colours are converted to sRGB first, so a Display P3 or
Adobe RGB photo still looks right without its profile.

Accepted inputs: JPEG (and MPO, the multi-picture JPEG some phones write), PNG, WebP and
GIF (first frame). HEIC/HEIF, AVIF, TIFF, BMP and the like are refused as
"unsupported_format": HEIC needs a plugin we do not install, and every extra decoder is
attack surface. (Telegram converts a HEIC sent as a photo to JPEG; only a HEIC sent as a
file reaches us as HEIC.)

Decompression bombs: we do not use `Image.open`, whose guard is process-wide
(`Image.MAX_IMAGE_PIXELS`) and only warns between 1x and 2x its limit. `_open` runs the same
registered openers for our formats only and applies our own hard limit, MAX_PIXELS, to the
size read from the header, before any pixel is decoded. No global Pillow state is changed.

The Pillow work is in decoding.py, imported with the first photo.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Final, Literal

MAX_INPUT_BYTES: Final = 20 * 1024 * 1024  # Telegram's getFile limit for bots
MAX_SIDE: Final = 2048
MAX_PIXELS: Final = 50_000_000  # 8000x6000 (48 MP phone cameras) fits; 200 MB as RGBA
JPEG_QUALITY: Final = 85
MIME_TYPE: Final = "image/jpeg"
MAX_CONCURRENT: Final = 2  # photos decoded at once by process_photo_async (memory bound)

# Tried in this order; the opener of the first format whose magic bytes match is used.
OPEN_FORMATS: Final = ("JPEG", "PNG", "WEBP", "GIF")
ACCEPTED_FORMATS: Final = frozenset({*OPEN_FORMATS, "MPO"})
_SLOTS = threading.BoundedSemaphore(MAX_CONCURRENT)

Reason = Literal["not_an_image", "too_large", "too_many_pixels", "unsupported_format"]
REASONS: Final[tuple[Reason, ...]] = (
    "not_an_image",
    "too_large",
    "too_many_pixels",
    "unsupported_format",
)


class InvalidImage(Exception):
    """The bytes are not a photo we accept; `reason` is one of REASONS (a message key)."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason: Reason = reason


@dataclass(frozen=True, slots=True)
class ProcessedPhoto:
    content: bytes
    width: int
    height: int
    mime_type: str = MIME_TYPE


def process_photo(data: bytes) -> ProcessedPhoto:
    """Check, orient, strip, downscale and re-encode one photo; raises InvalidImage."""
    if not data:
        raise InvalidImage("not_an_image", "empty file")
    if len(data) > MAX_INPUT_BYTES:
        raise InvalidImage("too_large", f"{len(data)} bytes")
    # Pillow is loaded with the first photo, not at start (idle RSS: bench/idle_rss.py).
    from bot.media import decoding

    return decoding.clean(data)


async def process_photo_async(data: bytes) -> ProcessedPhoto:
    """`process_photo` in a worker thread, at most MAX_CONCURRENT at a time."""
    return await asyncio.to_thread(_process_in_slot, data)


def _process_in_slot(data: bytes) -> ProcessedPhoto:
    with _SLOTS:
        return process_photo(data)
