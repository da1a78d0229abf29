"""Test images made with Pillow (no binary fixtures)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageCms

RED = (255, 0, 0)
BLUE = (0, 0, 255)


def encode(image: Image.Image, fmt: str = "JPEG", **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def jpeg(width: int, height: int, color: tuple[int, int, int] = RED, **params: object) -> bytes:
    return encode(Image.new("RGB", (width, height), color), "JPEG", **params)


def two_tone(width: int, height: int) -> Image.Image:
    """Top half red, bottom half blue: shows which way an image was turned."""
    image = Image.new("RGB", (width, height), BLUE)
    image.paste(RED, (0, 0, width, height // 2))
    return image


def open_bytes(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def icc_with_red_and_green_swapped() -> bytes:
    """A valid RGB profile whose red channel is sRGB's green primary and vice versa, so a
    correct conversion to sRGB turns pure red into green."""
    data = bytearray(srgb_icc())
    (count,) = struct.unpack_from(">I", data, 128)
    entries = {bytes(data[132 + 12 * i : 136 + 12 * i]): 132 + 12 * i for i in range(count)}
    red, green = entries[b"rXYZ"], entries[b"gXYZ"]
    red_ref, green_ref = data[red + 4 : red + 12], data[green + 4 : green + 12]
    data[red + 4 : red + 12], data[green + 4 : green + 12] = green_ref, red_ref
    return bytes(data)


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height (a decompression bomb's header)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 4096))
        + chunk(b"IEND", b"")
    )
