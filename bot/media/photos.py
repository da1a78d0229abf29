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
"""

from __future__ import annotations

import asyncio
import io
import threading
from dataclasses import dataclass
from typing import Final, Literal

from PIL import (
    GifImagePlugin,  # noqa: F401  (imported to register the opener)
    Image,
    ImageCms,
    ImageFile,
    ImageOps,
    JpegImagePlugin,  # noqa: F401
    PngImagePlugin,  # noqa: F401
    WebPImagePlugin,  # noqa: F401
)

MAX_INPUT_BYTES: Final = 20 * 1024 * 1024  # Telegram's getFile limit for bots
MAX_SIDE: Final = 2048
MAX_PIXELS: Final = 50_000_000  # 8000x6000 (48 MP phone cameras) fits; 200 MB as RGBA
JPEG_QUALITY: Final = 85
MIME_TYPE: Final = "image/jpeg"
MAX_CONCURRENT: Final = 2  # photos decoded at once by process_photo_async (memory bound)

# Tried in this order; the opener of the first format whose magic bytes match is used.
_OPEN_FORMATS: Final = ("JPEG", "PNG", "WEBP", "GIF")
ACCEPTED_FORMATS: Final = frozenset({*_OPEN_FORMATS, "MPO"})
_BACKGROUND: Final = (255, 255, 255)
_SRGB: Final = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
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
    _verify(data)
    image = _decode(data)
    image = _downscale(_flatten(image))
    image = _to_srgb(image)
    return ProcessedPhoto(_encode(image), image.width, image.height)


async def process_photo_async(data: bytes) -> ProcessedPhoto:
    """`process_photo` in a worker thread, at most MAX_CONCURRENT at a time."""
    return await asyncio.to_thread(_process_in_slot, data)


def _process_in_slot(data: bytes) -> ProcessedPhoto:
    with _SLOTS:
        return process_photo(data)


def _open(data: bytes) -> ImageFile.ImageFile:
    """Identify the image from its header (no pixels decoded) and enforce MAX_PIXELS."""
    prefix = data[:16]
    for fmt in _OPEN_FORMATS:
        factory, accept = Image.OPEN[fmt]
        matched = accept is None or accept(prefix)
        if not matched or isinstance(matched, str):
            continue
        try:
            image = factory(io.BytesIO(data), "")
        except Exception as exc:  # a parser of untrusted bytes may raise anything
            raise InvalidImage("not_an_image", f"{fmt}: {exc}") from exc
        if image.format not in ACCEPTED_FORMATS:
            raise InvalidImage("unsupported_format", str(image.format))
        width, height = image.size
        if width < 1 or height < 1:
            raise InvalidImage("not_an_image", f"{width}x{height}")
        if width * height > MAX_PIXELS:
            raise InvalidImage("too_many_pixels", f"{width}x{height}")
        return image
    if _looks_like_other_image(prefix):
        raise InvalidImage("unsupported_format", repr(prefix[:12]))
    raise InvalidImage("not_an_image", "unknown file type")


_HEIF_BRANDS: Final = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}
)
_OTHER_MAGIC: Final = (
    b"BM",  # BMP
    b"II*\x00",  # TIFF (and most camera raw files)
    b"MM\x00*",
    b"8BPS",  # Photoshop
    b"\x00\x00\x00\x0cjP  \r\n\x87\n",  # JPEG 2000
    b"\xff\x4f\xff\x51",
    b"\x00\x00\x00\x0cJXL \r\n\x87\n",  # JPEG XL
    b"\xff\x0a",
)


def _looks_like_other_image(prefix: bytes) -> bool:
    """An image in a format we do not take, so the citizen hears "send it as a photo"."""
    if prefix[4:8] == b"ftyp" and prefix[8:12] in _HEIF_BRANDS:
        return True
    return prefix.startswith(_OTHER_MAGIC)


def _verify(data: bytes) -> None:
    image = _open(data)
    try:
        image.verify()
    except Exception as exc:
        raise InvalidImage("not_an_image", f"verify: {exc}") from exc


def _decode(data: bytes) -> Image.Image:
    """Reopen (verify() leaves the image unusable), decode the first frame, apply EXIF
    orientation. JPEGs are decoded at a reduced scale when far larger than MAX_SIDE."""
    image = _open(data)
    if image.format in ("JPEG", "MPO"):
        image.draft(None, _fit(image.size))
    try:
        image.load()
    except Exception as exc:  # truncated or corrupt data
        raise InvalidImage("not_an_image", f"decode: {exc}") from exc
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except Exception:  # broken EXIF: keep the photo as stored rather than refuse it
        pass
    return image


def _flatten(image: Image.Image) -> Image.Image:
    """Bring any mode to RGB, L or CMYK (what the ICC step and JPEG take); alpha goes onto
    white. The ICC profile, if any, is kept in `info` for `_to_srgb`."""
    icc = image.info.get("icc_profile")
    if image.mode.startswith("I"):  # 16-bit greyscale PNG: convert("RGB") would clip
        image = image.convert("I").point(lambda v: v * (1 / 257)).convert("L")
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, _BACKGROUND)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    elif image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")
    if icc:
        image.info["icc_profile"] = icc
    return image


def _fit(size: tuple[int, int]) -> tuple[int, int]:
    """The size with the longest side at most MAX_SIDE, aspect kept; never larger."""
    width, height = size
    scale = MAX_SIDE / max(width, height)
    if scale >= 1:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def _downscale(image: Image.Image) -> Image.Image:
    target = _fit(image.size)
    if target == image.size:
        return image
    icc = image.info.get("icc_profile")
    out = image.resize(target, Image.Resampling.BICUBIC, reducing_gap=2.0)
    if icc:
        out.info["icc_profile"] = icc
    return out


def _to_srgb(image: Image.Image) -> Image.Image:
    """RGB in sRGB, converted through the embedded ICC profile when there is a usable one."""
    icc = image.info.get("icc_profile")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
        except Exception:  # unreadable profile, or one that does not fit the image mode
            converted = None
        if converted is not None:
            return converted
    return image if image.mode == "RGB" else image.convert("RGB")


def _encode(image: Image.Image) -> bytes:
    image.info = {}  # JPEG save would copy a comment (and more) from info
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()
