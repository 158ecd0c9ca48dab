"""Preparing a submitted photo for the model."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from services.storage.errors import InvalidImage
from services.storage.image import prepare
from tests import images


def test_photo_is_turned_upright_downsized_and_stripped_of_metadata() -> None:
    prepared = prepare(images.jpeg(2000, 1500, orientation=6, gps=True))
    assert (prepared.width, prepared.height) == (768, 1024), "rotated by its EXIF orientation"
    assert prepared.source_type == "image/jpeg"
    assert prepared.content_hash == hashlib.sha256(prepared.data).hexdigest()
    with Image.open(io.BytesIO(prepared.data)) as out:
        assert out.format == "JPEG"
        assert dict(out.getexif()) == {}, "no EXIF, so no GPS position either"


def test_png_with_transparency_becomes_a_jpeg_and_small_images_keep_their_size() -> None:
    prepared = prepare(images.png(32, 20))
    assert (prepared.width, prepared.height, prepared.source_type) == (32, 20, "image/png")


def test_same_image_same_hash() -> None:
    data = images.jpeg()
    assert prepare(data).content_hash == prepare(data).content_hash


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"just some text pretending to be a photo", "not a readable image"),
        (images.gif(), "GIF files are not accepted"),
        (images.jpeg()[:200], "not a readable image"),
    ],
)
def test_bad_files_are_refused_with_a_clear_reason(data: bytes, message: str) -> None:
    with pytest.raises(InvalidImage, match=message):
        prepare(data)


def test_size_limit() -> None:
    with pytest.raises(InvalidImage, match="limit"):
        prepare(images.jpeg(), max_bytes=100)
