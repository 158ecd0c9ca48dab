"""The envelope every message travels in, and the base class of every payload."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

# Namespace for ids derived from other ids (outcome events of a task, replies).
_DERIVED = uuid.UUID("6f1d9b52-3c43-4f57-9a57-0a8e3f5f2e11")


class Payload(BaseModel):
    """Base of every payload model; subclasses name their wire type and version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    __message_type__: ClassVar[str]
    __version__: ClassVar[int]


class Envelope(BaseModel):
    """What travels on the bus: routing and tracing facts around a payload."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    message_id: uuid.UUID
    type: str = Field(min_length=1, max_length=200, pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
    version: int = Field(ge=1)
    occurred_at: datetime
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    user_id: str | None = None
    trace: dict[str, str] = Field(default_factory=dict)
    payload: dict[str, Any]


def derive_id(parent: uuid.UUID, name: str) -> uuid.UUID:
    """A stable id for the message called `name` that `parent` causes.

    Publishing the same outcome twice yields the same id, so consumers can drop duplicates.
    """
    return uuid.uuid5(_DERIVED, f"{parent}:{name}")


def new_envelope(
    payload: Payload,
    *,
    cause: Envelope | None = None,
    message_id: uuid.UUID | None = None,
    user_id: str | None = None,
    correlation_id: uuid.UUID | None = None,
) -> Envelope:
    """Wrap `payload`; a message caused by another inherits its correlation and user."""
    mid = message_id or uuid.uuid4()
    if cause is not None:
        correlation = correlation_id or cause.correlation_id
        user = user_id if user_id is not None else cause.user_id
        trace = dict(cause.trace)
    else:
        correlation = correlation_id or mid
        user = user_id
        trace = {}
    return Envelope(
        message_id=mid,
        type=payload.__message_type__,
        version=payload.__version__,
        occurred_at=datetime.now(UTC),
        correlation_id=correlation,
        causation_id=cause.message_id if cause is not None else None,
        user_id=user,
        trace=trace,
        payload=payload.model_dump(mode="json"),
    )
