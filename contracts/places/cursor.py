"""The keyset cursor of a nearby page: the (distance, id) of the page's last place.

Pure and shared: the places service writes it, the payload model (and so the gateway)
checks a client's cursor before any query runs, so a garbage cursor is a 422 naming
`cursor` rather than a failed query. The text is URL-safe base64 of a JSON pair; the
distance is written with Python's shortest round-tripping float form, so the next page
starts exactly after the last place of this one.
"""

from __future__ import annotations

import base64
import binascii
import json
import math


class BadCursor(ValueError):
    """Not a cursor this API wrote."""


def encode(distance_m: float, place_id: int) -> str:
    raw = json.dumps([distance_m, place_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[float, int]:
    """(distance in metres, place id) of a cursor; `BadCursor` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        distance, place_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise BadCursor("not a cursor of this API; use a page's next_cursor") from None
    valid_distance = isinstance(distance, int | float) and not isinstance(distance, bool)
    if not valid_distance or not math.isfinite(distance) or distance < 0:
        raise BadCursor("not a cursor of this API; use a page's next_cursor")
    if not isinstance(place_id, int) or isinstance(place_id, bool) or place_id < 1:
        raise BadCursor("not a cursor of this API; use a page's next_cursor")
    return float(distance), place_id
