"""Image preparation (pure, CPU-bound): check the type, apply orientation, drop metadata,
downsize for the model, hash. Runs in a thread so the event loop stays free.

What comes out is always a fresh baseline JPEG built from the pixels alone: no EXIF (so
no GPS position), no XMP, no comment, no ICC profile, whatever the upload carried.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from services.storage.errors import InvalidImage

# Pillow's format names; MPO is the multi-picture JPEG many phone cameras write.
ACCEPTED = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
MODEL_SIDE = 1024
BACKGROUND = (255, 255, 255)  # transparent pixels become white, as on a page, not black


@dataclass(frozen=True)
class Prepared:
    data: bytes
    content_hash: str
    width: int
    height: int
    source_type: str


def prepare(data: bytes, *, max_bytes: int = MAX_BYTES, side: int = MODEL_SIDE) -> Prepared:
    """A clean JPEG of at most `side` px per side, without metadata, and its SHA-256.

    JPEG, PNG and WebP only; an animated file gives its first frame. Anything else,
    too big, or unreadable raises InvalidImage with a reason a person can act on.
    """
    if not data:
        raise InvalidImage("the file is empty")
    if len(data) > max_bytes:
        raise InvalidImage(f"the file is {len(data)} bytes; the limit is {max_bytes}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            kind = _probe(data)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise InvalidImage(
                        f"the image has too many pixels ({image.width}x{image.height})"
                    )
                image.draft(None, (side, side))  # JPEG: decode at a reduced scale if it can
                clean = _flatten(_upright(image), side)
    except (InvalidImage, MemoryError):
        raise
    except (UnidentifiedImageError, Image.DecompressionBombWarning) as exc:
        raise InvalidImage("the file is not a readable image") from exc
    except Exception as exc:
        # Decoders fail on malformed files in many ways (OSError, SyntaxError, struct.error,
        # ValueError in EXIF parsing...). The same bytes fail the same way on every retry,
        # so each is the file's fault, not a transient one.
        raise InvalidImage("the file is not a readable image") from exc
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=85, optimize=True)
    prepared = out.getvalue()
    return Prepared(
        prepared, hashlib.sha256(prepared).hexdigest(), clean.width, clean.height, ACCEPTED[kind]
    )


def _probe(data: bytes) -> str:
    """The file's format, judged by its content (never by its name), if it is accepted."""
    with Image.open(io.BytesIO(data)) as probe:
        kind = probe.format or ""
        probe.verify()
    if kind not in ACCEPTED:
        raise InvalidImage(f"{kind or 'this'} files are not accepted; send JPEG, PNG or WebP")
    return kind


def _upright(image: Image.Image) -> Image.Image:
    """The first frame turned by its EXIF orientation, in an 8-bit mode."""
    upright = ImageOps.exif_transpose(image)
    if upright.mode in ("I", "F") or upright.mode.startswith("I;16"):
        # 16-bit greyscale PNG: scale to 8 bits; a plain conversion clips to white.
        upright = upright.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if upright.mode not in ("RGB", "RGBA"):
        alpha = "A" in upright.getbands() or "transparency" in upright.info
        upright = upright.convert("RGBA" if alpha else "RGB")
    return upright


def _flatten(image: Image.Image, side: int) -> Image.Image:
    """Downsized to fit `side`, composited on white, as a new image carrying no metadata."""
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    clean = Image.new("RGB", image.size, BACKGROUND)
    clean.paste(image, mask=image.getchannel("A") if image.mode == "RGBA" else None)
    return clean
