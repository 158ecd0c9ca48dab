"""Bodies of `/api/v1/scans`.

A scan is answered as the contract's `ScanView` itself: the HTTP shape is the same.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from contracts.scan.v1 import ScanView, Status
from gateway.bodies.base import Body


class ScanBody(Body):
    """A scan of a photo uploaded before (`POST /api/v1/uploads`); or send multipart
    form data instead: the file as `image` and an optional `hint` field."""

    image_key: str = Field(min_length=1, max_length=512)
    hint: str = Field(default="", max_length=500)


class ScanAccepted(BaseModel):
    id: str
    status: Status
    events_url: str
    result_url: str


class ScanPageOut(BaseModel):
    items: list[ScanView]
    next_cursor: str | None = None
