"""`scan.*` v1: the scan pipeline's messages (frozen once published).

gateway --scan.requested--> storage worker --scan.image_prepared--> AI worker
   --scan.progress / scan.classified / scan.failed--> scan service, gateway (WebSocket/SSE)
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.envelope import Payload
from contracts.scan import taxonomy

Stage = Literal["queued", "storage", "vision", "rules", "answer", "reward", "done"]


class ScanRequested(Payload):
    """A person submitted a photo (already in the object store under `image_key`)."""

    __message_type__: ClassVar[str] = "scan.requested"
    __version__: ClassVar[int] = 1

    scan_id: str = Field(min_length=1, max_length=64)
    user_id: str = Field(min_length=1, max_length=64)
    image_key: str = Field(min_length=1, max_length=512)
    hint: str = Field(default="", max_length=500)


class ImagePrepared(Payload):
    """The storage worker checked, cleaned and stored the image the model will see."""

    __message_type__: ClassVar[str] = "scan.image_prepared"
    __version__: ClassVar[int] = 1

    scan_id: str
    user_id: str
    image_key: str
    content_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    content_type: Literal["image/jpeg"]
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    hint: str = Field(default="", max_length=500)


class Classification(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    major: str
    middle: str
    minor: str | None = None
    situation_tags: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _known(self) -> Classification:
        if not taxonomy.is_valid(self.major, self.middle):
            raise ValueError(f"unknown category {self.major}/{self.middle}")
        unknown = set(self.situation_tags) - taxonomy.ALL_TAGS
        if unknown:
            raise ValueError(f"unknown situation tags: {sorted(unknown)}")
        return self


class ScanProgress(Payload):
    __message_type__: ClassVar[str] = "scan.progress"
    __version__: ClassVar[int] = 1

    scan_id: str
    user_id: str
    stage: Stage
    progress: int = Field(ge=0, le=100)


class ScanClassified(Payload):
    """The vision stage's answer: what the item is, and which model said so."""

    __message_type__: ClassVar[str] = "scan.classified"
    __version__: ClassVar[int] = 1

    scan_id: str
    user_id: str
    classification: Classification
    model: str
    content_hash: str


class ScanFailed(Payload):
    """The scan cannot finish; `code` is stable (e.g. `invalid_image`), `message` is for people."""

    __message_type__: ClassVar[str] = "scan.failed"
    __version__: ClassVar[int] = 1

    scan_id: str
    user_id: str
    stage: Stage
    code: str
    message: str
