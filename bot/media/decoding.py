"""The Pillow side of photos.py: open with our own limits, decode, orient, flatten, downscale,
convert to sRGB and encode. Imported with the first photo, so Pillow is not in memory before
(see photos.py for what is accepted and why)."""

from __future__ import annotations

import io
from typing import Final

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

from bot.media.photos import (
    ACCEPTED_FORMATS,
    JPEG_QUALITY,
    MAX_PIXELS,
    MAX_SIDE,
    OPEN_FORMATS,
    InvalidImage,
    ProcessedPhoto,
)

_BACKGROUND: Final = (255, 255, 255)
_SRGB: Final = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def clean(data: bytes) -> ProcessedPhoto:
    """The checked, oriented, stripped, downscaled JPEG of `data`; raises InvalidImage."""
    _verify(data)
    image = _decode(data)
    image = _downscale(_flatten(image))
    image = _to_srgb(image)
    return ProcessedPhoto(_encode(image), image.width, image.height)


def _open(data: bytes) -> ImageFile.ImageFile:
    """Identify the image from its header (no pixels decoded) and enforce MAX_PIXELS."""
    prefix = data[:16]
    for fmt in OPEN_FORMATS:
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
