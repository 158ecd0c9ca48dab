"""Preparing a submitted photo for the model: what is accepted, and what comes out."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from services.storage import image as image_module
from services.storage.errors import InvalidImage
from services.storage.image import prepare
from support import images


def _open(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def _near(pixel: object, expected: tuple[int, int, int], tolerance: int = 12) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


def test_photo_is_turned_upright_downsized_and_stripped_of_metadata() -> None:
    prepared = prepare(images.jpeg(2000, 1500, orientation=6, gps=True))
    assert (prepared.width, prepared.height) == (768, 1024), "rotated by its EXIF orientation"
    assert prepared.source_type == "image/jpeg"
    assert prepared.content_hash == hashlib.sha256(prepared.data).hexdigest()
    with _open(prepared.data) as out:
        assert out.format == "JPEG"
        assert (out.width, out.height) == (768, 1024)
        assert dict(out.getexif()) == {}, "no EXIF, so no GPS position either"
        assert out.getexif().get_ifd(0x8825) == {}


def test_every_metadata_block_is_dropped_not_only_exif() -> None:
    source = images.jpeg(
        gps=True, comment=b"taken at home, Mapo-gu", xmp=b"<x:xmpmeta>GPSLatitude</x:xmpmeta>"
    )
    with _open(source) as original:
        assert {"exif", "comment", "xmp"} <= set(original.info), "the fixture carries all three"
    prepared = prepare(source)
    with _open(prepared.data) as out:
        assert not {"exif", "comment", "xmp", "icc_profile"} & set(out.info)
    for secret in (b"Mapo-gu", b"GPSLatitude", b"xmpmeta", b"Exif"):
        assert secret not in prepared.data


@pytest.mark.parametrize(
    ("orientation", "size", "top_left", "bottom_right"),
    [
        (1, (40, 20), images.RED, images.BLUE),  # as stored: red left, blue right
        (3, (40, 20), images.BLUE, images.RED),  # upside down
        (6, (20, 40), images.RED, images.BLUE),  # turned 90° clockwise: red on top
        (8, (20, 40), images.BLUE, images.RED),  # turned 90° counter-clockwise: blue on top
    ],
)
def test_exif_orientation_is_applied_to_the_pixels(
    orientation: int,
    size: tuple[int, int],
    top_left: tuple[int, int, int],
    bottom_right: tuple[int, int, int],
) -> None:
    prepared = prepare(images.jpeg(40, 20, orientation=orientation, halves=True))
    with _open(prepared.data) as out:
        assert out.size == size
        assert dict(out.getexif()) == {}, "the orientation tag is gone once applied"
        rgb = out.convert("RGB")
        assert _near(rgb.getpixel((2, 2)), top_left, tolerance=40)
        assert _near(rgb.getpixel((out.width - 3, out.height - 3)), bottom_right, tolerance=40)


def test_wide_images_are_downsized_keeping_their_aspect() -> None:
    prepared = prepare(images.jpeg(3000, 500))
    assert (prepared.width, prepared.height) == (1024, 171)


def test_transparency_is_flattened_on_white_not_black() -> None:
    clear = prepare(images.png(16, 16, alpha=0))
    with _open(clear.data) as out:
        assert _near(out.getpixel((8, 8)), (255, 255, 255)), "transparent black shows white"
    half = prepare(images.png(16, 16, alpha=128))
    with _open(half.data) as out:
        assert _near(out.getpixel((8, 8)), (227, 132, 132)), "half-transparent red is pink"
    palette = prepare(images.png_palette_transparent())
    with _open(palette.data) as out:
        assert _near(out.getpixel((4, 4)), (255, 255, 255))


def test_png_becomes_a_jpeg_and_small_images_keep_their_size() -> None:
    prepared = prepare(images.png(32, 20))
    assert (prepared.width, prepared.height, prepared.source_type) == (32, 20, "image/png")
    with _open(prepared.data) as out:
        assert (out.format, out.mode) == ("JPEG", "RGB")


def test_sixteen_bit_greyscale_is_scaled_not_clipped_to_white() -> None:
    prepared = prepare(images.png_grey16(value=32768))
    with _open(prepared.data) as out:
        assert _near(out.convert("RGB").getpixel((4, 4)), (128, 128, 128))


def test_webp_is_accepted() -> None:
    prepared = prepare(images.webp(40, 30))
    assert (prepared.width, prepared.height, prepared.source_type) == (40, 30, "image/webp")


@pytest.mark.parametrize(
    ("data", "source_type"),
    [(images.animated_webp(), "image/webp"), (images.mpo(), "image/jpeg")],
    ids=["animated-webp", "multi-picture-jpeg"],
)
def test_files_with_several_frames_give_their_first(data: bytes, source_type: str) -> None:
    with _open(data) as source:
        assert getattr(source, "n_frames", 1) == 2
    prepared = prepare(data)
    assert prepared.source_type == source_type
    with _open(prepared.data) as out:
        assert getattr(out, "n_frames", 1) == 1
        assert _near(out.getpixel((10, 5)), images.RED, tolerance=30)


def test_same_image_same_hash() -> None:
    data = images.jpeg()
    assert prepare(data).content_hash == prepare(data).content_hash


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"just some text pretending to be a photo", "not a readable image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not a readable image"),
        (images.gif(), "GIF files are not accepted; send JPEG, PNG or WebP"),
        (images.gif(frames=3), "GIF files are not accepted"),
        (images.other("BMP"), "BMP files are not accepted"),
        (images.other("TIFF"), "TIFF files are not accepted"),
        (images.jpeg()[:200], "not a readable image"),
        (images.png()[:-20], "not a readable image"),
    ],
    ids=[
        "empty",
        "text",
        "png-garbage",
        "gif",
        "animated-gif",
        "bmp",
        "tiff",
        "cut-jpeg",
        "cut-png",
    ],
)
def test_bad_files_are_refused_with_a_clear_reason(data: bytes, message: str) -> None:
    with pytest.raises(InvalidImage, match=message):
        prepare(data)


def test_size_limit() -> None:
    with pytest.raises(InvalidImage, match="limit"):
        prepare(images.jpeg(), max_bytes=100)


def test_pixel_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image_module, "MAX_PIXELS", 1000)
    with pytest.raises(InvalidImage, match=r"too many pixels \(64x48\)"):
        prepare(images.jpeg(64, 48))
