"""Image preparation (pure, CPU-bound): check the type, apply orientation, drop metadata,
downsize for the model, hash. Runs in a thread so the event loop stays free."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from services.storage.errors import InvalidImage

ACCEPTED = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
MODEL_SIDE = 1024


@dataclass(frozen=True)
class Prepared:
    data: bytes
    content_hash: str
    width: int
    height: int
    source_type: str


def prepare(data: bytes, *, max_bytes: int = MAX_BYTES, side: int = MODEL_SIDE) -> Prepared:
    """A clean JPEG of at most `side` px per side, without EXIF/GPS, and its SHA-256."""
    if not data:
        raise InvalidImage("the file is empty")
    if len(data) > max_bytes:
        raise InvalidImage(f"the file is {len(data)} bytes; the limit is {max_bytes}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format or ""
                probe.verify()
            if kind not in ACCEPTED:
                raise InvalidImage(
                    f"{kind or 'this'} files are not accepted; send JPEG, PNG or WebP"
                )
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise InvalidImage(
                        f"the image has too many pixels ({image.width}x{image.height})"
                    )
                upright = ImageOps.exif_transpose(image)
                upright.thumbnail((side, side))
                clean = upright.convert("RGB")  # drops alpha and every metadata chunk
    except (
        UnidentifiedImageError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
        OSError,
        SyntaxError,
        ValueError,
    ) as exc:
        if isinstance(exc, InvalidImage):
            raise
        raise InvalidImage("the file is not a readable image") from exc
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=85, optimize=True)
    prepared = out.getvalue()
    return Prepared(
        prepared, hashlib.sha256(prepared).hexdigest(), clean.width, clean.height, ACCEPTED[kind]
    )
