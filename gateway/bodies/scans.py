"""Bodies of `/api/v1/scans`.

A scan is answered as the contract's `ScanView` plus one derived field: its result's
`disposal.drop_off` names the accepted-item codes of its category (`contracts.places.
dropoff`), the codes `GET /api/v1/places?accepts=` and the scan's places filter by.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from contracts.places.dropoff import drop_off
from contracts.places.v1 import Item
from contracts.scan.v1 import Disposal, ScanResult, ScanView, Status
from gateway.bodies.base import Body, free_text


class ScanBody(Body):
    """A scan of a photo uploaded before (`POST /api/v1/uploads`); or send multipart
    form data instead: the file as `image` and an optional `hint` field."""

    image_key: str = Field(min_length=1, max_length=512)
    hint: str = Field(default="", max_length=500)

    @field_validator("hint")
    @classmethod
    def _hint(cls, value: str) -> str:
        return free_text(value)


class ScanAccepted(BaseModel):
    id: str
    status: Status
    events_url: str
    result_url: str


class DisposalOut(Disposal):
    drop_off: tuple[Item, ...] = Field(
        default=(), description="accepted-item codes of places that take this item"
    )


class ScanResultOut(ScanResult):
    disposal: DisposalOut


class ScanViewOut(ScanView):
    result: ScanResultOut | None = None


def scan_out(view: ScanView) -> ScanViewOut:
    """The HTTP shape of a scan: its result's disposal with `drop_off`."""
    data = view.model_dump()
    if view.result is not None:
        found = view.result.classification
        data["result"]["disposal"]["drop_off"] = drop_off(found.major, found.middle)
    return ScanViewOut.model_validate(data)


class ScanPageOut(BaseModel):
    items: list[ScanViewOut]
    next_cursor: str | None = None
