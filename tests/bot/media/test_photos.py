from __future__ import annotations

import io
import struct
import warnings

import pytest
from PIL import ExifTags, Image

from bot.media.photos import (
    MAX_INPUT_BYTES,
    MAX_PIXELS,
    MAX_SIDE,
    REASONS,
    InvalidImage,
    ProcessedPhoto,
    process_photo,
    process_photo_async,
)
from tests.bot.media.images import (
    BLUE,
    RED,
    encode,
    icc_with_red_and_green_swapped,
    jpeg,
    open_bytes,
    png_declaring,
    srgb_icc,
    two_tone,
)

XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b"<rdf:Description>secret-xmp-location</rdf:Description></rdf:RDF></x:xmpmeta>"
)


def phone_exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "SecretPhoneMaker"
    exif[ExifTags.Base.DateTime] = "2026:11:27 10:00:00"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (42.0, 41.0, 51.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (23.0, 19.0, 17.0),
    }
    return exif


def phone_photo(width: int = 400, height: int = 300, orientation: int = 6) -> bytes:
    return encode(
        two_tone(width, height),
        "JPEG",
        exif=phone_exif(orientation),
        xmp=XMP,
        comment=b"secret-comment",
        icc_profile=srgb_icc(),
    )


def reason_of(data: bytes) -> str:
    with pytest.raises(InvalidImage) as caught:
        process_photo(data)
    assert caught.value.reason in REASONS
    return caught.value.reason


def near(pixel: tuple[int, ...], color: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, color, strict=True))


# --- metadata and orientation -------------------------------------------------------------


def test_the_input_really_carries_gps_and_the_rest():
    source = Image.open(io.BytesIO(phone_photo()))
    assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert source.getexif()[ExifTags.Base.Orientation] == 6
    assert {"xmp", "comment", "icc_profile"} <= source.info.keys()


def test_all_metadata_is_stripped():
    out = process_photo(phone_photo()).content
    image = open_bytes(out)
    assert not image.getexif()
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert not {"exif", "xmp", "comment", "icc_profile"} & image.info.keys()
    for marker in (b"Exif", b"SecretPhoneMaker", b"2026:11:27", b"secret-xmp", b"ns.adobe.com"):
        assert marker not in out
    assert b"secret-comment" not in out
    assert b"ICC_PROFILE" not in out


@pytest.mark.parametrize("icc", [None, b"not a profile"], ids=["no-icc", "broken-icc"])
def test_metadata_is_stripped_when_the_image_needs_no_other_change(icc):
    # small RGB JPEG, nothing to rotate, resize or convert: the decoded file itself is saved
    data = encode(
        Image.new("RGB", (64, 48), RED),
        "JPEG",
        exif=phone_exif(1),
        comment=b"secret-comment",
        **({"icc_profile": icc} if icc else {}),
    )
    out = process_photo(data).content
    assert not open_bytes(out).getexif()
    assert b"secret-comment" not in out
    assert b"SecretPhoneMaker" not in out


def test_orientation_6_is_applied_before_the_tag_is_dropped():
    photo = process_photo(phone_photo(400, 300, orientation=6))
    image = open_bytes(photo.content)
    assert (photo.width, photo.height) == image.size == (300, 400)
    # stored with red on top; turned 90° clockwise for display, red is on the right
    assert near(image.getpixel((270, 200)), RED)
    assert near(image.getpixel((30, 200)), BLUE)


def test_a_large_turned_photo_is_turned_and_downscaled():
    # 4200x2100 JPEG: decoded at half scale (draft), then resized, then turned
    photo = process_photo(phone_photo(4200, 2100, orientation=6))
    image = open_bytes(photo.content)
    assert (photo.width, photo.height) == image.size == (1024, 2048)
    assert near(image.getpixel((900, 1024)), RED)
    assert near(image.getpixel((100, 1024)), BLUE)


def test_orientation_1_keeps_the_image_as_stored():
    image = open_bytes(process_photo(phone_photo(400, 300, orientation=1)).content)
    assert image.size == (400, 300)
    assert near(image.getpixel((200, 30)), RED)


# --- size -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((4000, 3000), (2048, 1536)),
        ((3000, 4000), (1536, 2048)),
        ((5000, 1000), (2048, 410)),
        ((2049, 2049), (2048, 2048)),
    ],
)
def test_large_photos_are_downscaled_keeping_the_aspect(size, expected):
    photo = process_photo(jpeg(*size))
    assert (photo.width, photo.height) == expected
    assert open_bytes(photo.content).size == expected
    assert max(expected) == MAX_SIDE


@pytest.mark.parametrize("size", [(640, 480), (2048, 1000), (1, 1)])
def test_small_photos_are_not_upscaled(size):
    photo = process_photo(jpeg(*size))
    assert (photo.width, photo.height) == size


def test_large_png_is_downscaled_too():
    photo = process_photo(encode(Image.new("RGB", (3000, 1500), RED), "PNG"))
    assert (photo.width, photo.height) == (2048, 1024)


# --- formats and colour ---------------------------------------------------------------------


def test_output_is_a_progressive_rgb_jpeg():
    photo = process_photo(encode(Image.new("RGB", (64, 48), RED), "PNG"))
    assert photo.mime_type == "image/jpeg"
    image = open_bytes(photo.content)
    assert (image.format, image.mode) == ("JPEG", "RGB")
    assert image.info.get("progressive")


def test_png_alpha_is_flattened_on_white():
    source = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    source.paste((255, 0, 0, 255), (0, 0, 32, 64))
    image = open_bytes(process_photo(encode(source, "PNG")).content)
    assert image.mode == "RGB"
    assert near(image.getpixel((8, 32)), RED)
    assert near(image.getpixel((56, 32)), (255, 255, 255))


def test_palette_png_with_transparency_is_flattened_on_white():
    source = Image.new("P", (32, 32), 0)
    source.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    source.paste(1, (0, 0, 16, 32))
    image = open_bytes(process_photo(encode(source, "PNG", transparency=0)).content)
    assert near(image.getpixel((4, 16)), RED)
    assert near(image.getpixel((28, 16)), (255, 255, 255))


def test_gif_gives_its_first_frame():
    frames = [Image.new("RGB", (32, 32), RED), Image.new("RGB", (32, 32), BLUE)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert getattr(Image.open(io.BytesIO(data)), "n_frames", 1) == 2
    image = open_bytes(process_photo(data).content)
    assert near(image.getpixel((16, 16)), RED, tolerance=20)


def test_webp_is_accepted():
    photo = process_photo(encode(Image.new("RGB", (100, 50), RED), "WEBP", quality=95))
    assert (photo.width, photo.height) == (100, 50)
    assert near(open_bytes(photo.content).getpixel((50, 25)), RED, tolerance=20)


def test_mpo_from_a_phone_camera_is_accepted():
    frames = [Image.new("RGB", (80, 60), RED), Image.new("RGB", (80, 60), BLUE)]
    data = encode(frames[0], "MPO", save_all=True, append_images=frames[1:])
    assert Image.open(io.BytesIO(data)).format == "MPO"
    image = open_bytes(process_photo(data).content)
    assert image.size == (80, 60)
    assert near(image.getpixel((40, 30)), RED)


def test_cmyk_jpeg_becomes_rgb():
    data = encode(Image.new("CMYK", (40, 40), (0, 255, 255, 0)), "JPEG")
    image = open_bytes(process_photo(data).content)
    assert image.mode == "RGB"
    assert near(image.getpixel((20, 20)), RED, tolerance=20)


def test_16_bit_greyscale_png_keeps_its_tones():
    data = encode(Image.new("I;16", (16, 16), 32768), "PNG")
    image = open_bytes(process_photo(data).content)
    assert near(image.getpixel((8, 8)), (128, 128, 128), tolerance=3)


def test_colours_are_converted_through_the_icc_profile_to_srgb():
    # the profile says channel 1 is green: a correct conversion makes "red" pixels green
    data = encode(
        Image.new("RGB", (32, 32), RED),
        "JPEG",
        quality=95,
        icc_profile=icc_with_red_and_green_swapped(),
    )
    image = open_bytes(process_photo(data).content)
    assert "icc_profile" not in image.info
    assert near(image.getpixel((16, 16)), (0, 255, 0), tolerance=20)


def test_an_unreadable_icc_profile_is_dropped_not_fatal():
    data = encode(Image.new("RGB", (32, 32), RED), "JPEG", icc_profile=b"not a profile" * 10)
    image = open_bytes(process_photo(data).content)
    assert "icc_profile" not in image.info
    assert near(image.getpixel((16, 16)), RED)


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"Dear municipality, there is a hole in the road.\n",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        b"\xff\xd8\xff",
        b"\x89PNG\r\n\x1a\n",
    ],
    ids=["empty", "text", "pdf", "jpeg-magic-only", "png-signature-only"],
)
def test_non_images_are_refused(data):
    assert reason_of(data) == "not_an_image"


def test_a_truncated_jpeg_is_refused():
    data = encode(Image.effect_noise((400, 300), 50).convert("RGB"), "JPEG")
    assert reason_of(data[: len(data) // 2]) == "not_an_image"


def test_a_png_with_a_bad_checksum_is_refused():
    data = bytearray(encode(Image.new("RGB", (32, 32), RED), "PNG"))
    data[-20] ^= 0xFF  # inside the IDAT data: the chunk CRC no longer matches
    assert reason_of(bytes(data)) == "not_an_image"


def test_a_png_with_a_broken_chunk_after_the_pixels_is_refused():
    # decoding stops at the pixel data; only verify() reads on and checks every CRC
    data = encode(Image.new("RGB", (32, 32), RED), "PNG")
    broken_text = struct.pack(">I", 4) + b"tEXt" + b"a\x00bc" + b"\x00\x00\x00\x00"
    data = data[:-12] + broken_text + data[-12:]  # before IEND
    assert reason_of(data) == "not_an_image"


def test_over_max_input_bytes_is_too_large():
    assert reason_of(b"\xff\xd8\xff" + b"\x00" * MAX_INPUT_BYTES) == "too_large"


def test_exactly_max_input_bytes_is_not_refused_for_size():
    assert reason_of(b"\x00" * MAX_INPUT_BYTES) == "not_an_image"


@pytest.mark.parametrize(
    "size",
    [(30000, 30000), (10000, 10000), (MAX_PIXELS + 1, 1), (7072, 7072)],
    ids=["30k-square", "in-pillow-warning-band", "one-over-long-strip", "just-over"],
)
def test_decompression_bombs_are_refused_cleanly(size):
    data = png_declaring(*size)
    assert len(data) < 200
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert reason_of(data) == "too_many_pixels"
    assert [w.message for w in caught] == []


def test_a_pixel_limit_bomb_does_not_touch_pillows_global_guard():
    before = Image.MAX_IMAGE_PIXELS
    reason_of(png_declaring(30000, 30000))
    assert Image.MAX_IMAGE_PIXELS == before


@pytest.mark.parametrize("fmt", ["BMP", "TIFF"])
def test_other_image_formats_are_unsupported(fmt):
    assert reason_of(encode(Image.new("RGB", (8, 8), RED), fmt)) == "unsupported_format"


def test_heic_is_unsupported():
    heic_start = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    assert reason_of(heic_start) == "unsupported_format"


def test_invalid_image_reason_is_an_attribute_and_in_the_message():
    error = InvalidImage("too_large", "25000000 bytes")
    assert error.reason == "too_large"
    assert "too_large" in str(error)


async def test_process_photo_async_gives_the_same_result():
    data = phone_photo()
    photo = await process_photo_async(data)
    assert isinstance(photo, ProcessedPhoto)
    assert photo == process_photo(data)


async def test_process_photo_async_raises_invalid_image():
    with pytest.raises(InvalidImage) as caught:
        await process_photo_async(b"not an image")
    assert caught.value.reason == "not_an_image"
