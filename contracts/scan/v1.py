"""`scan.*` v1: the scan pipeline's messages (frozen once published).

gateway --scan.requested--> storage worker --scan.image_prepared--> AI worker
   --scan.progress / scan.classified / scan.failed--> scan service, gateway (WebSocket/SSE)
"""

from __future__ import annotations

from datetime import datetime
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


# --- the result of a finished scan -------------------------------------------------------


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NotAcceptedItem(_Frozen):
    item: str
    instead: str


class Disposal(_Frozen):
    """The steps to follow for this item, and what its category does not take."""

    steps: tuple[str, ...]
    not_accepted: tuple[NotAcceptedItem, ...] = ()


class RewardCharacter(_Frozen):
    code: str
    name: str
    dialog: str


class Reward(_Frozen):
    character: RewardCharacter
    status: Literal["newly_acquired", "already_owned"]


class Insufficiency(_Frozen):
    """Something about this item that keeps it from being disposed of correctly yet."""

    tag: str
    message: str


class ScanResult(_Frozen):
    classification: Classification
    disposal: Disposal
    insufficiencies: tuple[Insufficiency, ...]
    answer: str
    model: str
    reward: Reward | None = None


class ScanCompleted(Payload):
    """The pipeline finished: the result the person sees (terminal)."""

    __message_type__: ClassVar[str] = "scan.completed"
    __version__: ClassVar[int] = 1

    scan_id: str
    user_id: str
    result: ScanResult


# --- the scan service's queries ----------------------------------------------------------

Status = Literal["queued", "processing", "completed", "failed"]


class CreateScan(Payload):
    """Record a new scan and start the pipeline; the same `idempotency_key` of the same
    user within 24 h answers the scan created the first time."""

    __message_type__: ClassVar[str] = "scan.create"
    __version__: ClassVar[int] = 1

    user_id: str = Field(min_length=1, max_length=64)
    image_key: str = Field(min_length=1, max_length=512)
    hint: str = Field(default="", max_length=500)
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)


class ScanError(_Frozen):
    code: str
    message: str


class ScanView(_Frozen):
    id: str
    status: Status
    stage: Stage
    progress: int = Field(ge=0, le=100)
    created_at: datetime
    completed_at: datetime | None = None
    result: ScanResult | None = None
    error: ScanError | None = None


class ScanRecord(Payload):
    """A scan as its owner sees it (the answer to `scan.create` and `scan.get`)."""

    __message_type__: ClassVar[str] = "scan.record"
    __version__: ClassVar[int] = 1

    scan: ScanView
    created: bool = False


class GetScan(Payload):
    """One scan of `user_id`; another user's scan is `not_found`."""

    __message_type__: ClassVar[str] = "scan.get"
    __version__: ClassVar[int] = 1

    user_id: str
    scan_id: str = Field(min_length=1, max_length=64)


class ListScans(Payload):
    """A page of `user_id`'s scans, newest first; `cursor` is the previous page's `next_cursor`."""

    __message_type__: ClassVar[str] = "scan.list"
    __version__: ClassVar[int] = 1

    user_id: str
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200)


class ScanPage(Payload):
    __message_type__: ClassVar[str] = "scan.page"
    __version__: ClassVar[int] = 1

    items: tuple[ScanView, ...]
    next_cursor: str | None = None
