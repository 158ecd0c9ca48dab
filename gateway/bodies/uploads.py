"""Bodies of `/api/v1/uploads`: asking for an upload URL, and the URL."""

from __future__ import annotations

from pydantic import BaseModel, Field

from gateway.bodies.base import Body


class UploadBody(Body):
    content_type: str = Field(min_length=1, max_length=100, examples=["image/jpeg"])
    size: int = Field(ge=1, description="the exact number of bytes that will be uploaded")


class UploadOut(BaseModel):
    """Send the photo with `method` to `upload_url` with `headers`, within `expires_in` s."""

    key: str
    upload_url: str
    method: str
    headers: dict[str, str]
    expires_in: int
