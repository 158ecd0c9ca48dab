"""Real image bytes for tests, made with Pillow (no files checked in)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

RED = (220, 20, 20)
BLUE = (20, 20, 220)


def jpeg(
    width: int = 64,
    height: int = 48,
    *,
    orientation: int | None = None,
    gps: bool = False,
    comment: bytes = b"",
    xmp: bytes = b"",
    halves: bool = False,
) -> bytes:
    """A JPEG; with `halves`, the left half red and the right half blue (to see rotation)."""
    image = Image.new("RGB", (width, height), (30, 160, 90))
    if halves:
        image.paste(RED, (0, 0, width // 2, height))
        image.paste(BLUE, (width // 2, 0, width, height))
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (37.0, 33.0, 59.0), 3: "E", 4: (126.0, 58.0, 40.0)}
    out = io.BytesIO()
    extra: dict[str, bytes] = {}
    if comment:
        extra["comment"] = comment
    if xmp:
        extra["xmp"] = xmp
    image.save(out, "JPEG", exif=exif, **extra)
    return out.getvalue()


def png(width: int = 32, height: int = 32, *, alpha: int = 128) -> bytes:
    """An RGBA PNG, red at opacity `alpha` (0: fully transparent, and black underneath)."""
    out = io.BytesIO()
    colour = (200, 10, 10, alpha) if alpha else (0, 0, 0, 0)
    Image.new("RGBA", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def png_palette_transparent(width: int = 8, height: int = 8) -> bytes:
    """A palette PNG whose only colour (black) is marked transparent."""
    out = io.BytesIO()
    Image.new("P", (width, height), 0).save(out, "PNG", transparency=0)
    return out.getvalue()


def png_grey16(width: int = 8, height: int = 8, value: int = 32768) -> bytes:
    """A 16-bit greyscale PNG, mid grey by default."""
    out = io.BytesIO()
    Image.new("I;16", (width, height), value).save(out, "PNG")
    return out.getvalue()


def webp(width: int = 40, height: int = 30) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 160, 90)).save(out, "WEBP")
    return out.getvalue()


def animated_webp() -> bytes:
    """Two frames, red then blue."""
    frames = [Image.new("RGB", (20, 10), RED), Image.new("RGB", (20, 10), BLUE)]
    out = io.BytesIO()
    frames[0].save(
        out, "WEBP", save_all=True, append_images=frames[1:], duration=100, lossless=True
    )
    return out.getvalue()


def mpo() -> bytes:
    """A multi-picture JPEG, as phone cameras write: the first picture red."""
    frames = [Image.new("RGB", (20, 10), RED), Image.new("RGB", (20, 10), BLUE)]
    out = io.BytesIO()
    frames[0].save(out, "MPO", save_all=True, append_images=frames[1:])
    return out.getvalue()


def gif(*, frames: int = 1) -> bytes:
    out = io.BytesIO()
    first, *rest = [Image.new("RGB", (8, 8), (i * 40, 0, 0)) for i in range(frames)]
    first.save(out, "GIF", save_all=frames > 1, append_images=rest)
    return out.getvalue()


def other(format: str) -> bytes:
    """A small image in another format Pillow writes (BMP, TIFF, ...)."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 160, 90)).save(out, format)
    return out.getvalue()


def numbered(index: int) -> bytes:
    """A small JPEG unique to `index`, which it carries in 16 black or white blocks (so a
    classification cache never answers for another index's photo)."""
    image = Image.new("RGB", (96, 72), (40 + index % 7 * 20, 150, 200 - index % 11 * 10))
    draw = ImageDraw.Draw(image)
    for bit in range(16):
        colour = (255, 255, 255) if index >> bit & 1 else (0, 0, 0)
        x, y = bit % 8 * 12, 48 + bit // 8 * 12
        draw.rectangle((x, y, x + 11, y + 11), fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()
