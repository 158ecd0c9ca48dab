"""Pure scan rules: a scan's state only moves forward, and the list's opaque cursor.

The pipeline's events may arrive twice or out of order (retries, several workers, the
outbox relaying late), so each event is applied only when it moves the scan forward:
a higher progress, or at the same progress a later stage; a terminal state (completed or
failed) never changes again. No I/O here.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, get_args

from contracts.scan.v1 import ScanError, ScanResult, ScanView, Stage, Status
from services.scan.errors import ScanRequestError

IDEMPOTENCY_WINDOW = timedelta(hours=24)
STAGES: tuple[Stage, ...] = get_args(Stage)
TERMINAL: frozenset[Status] = frozenset({"completed", "failed"})


@dataclass(frozen=True)
class ScanState:
    """One scan as stored: what `scan.get` answers and what events move."""

    id: uuid.UUID
    user_id: str
    status: Status
    stage: Stage
    progress: int
    created_at: datetime
    completed_at: datetime | None = None
    result: ScanResult | None = None
    error: ScanError | None = None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    def view(self) -> ScanView:
        return ScanView(
            id=str(self.id),
            status=self.status,
            stage=self.stage,
            progress=self.progress,
            created_at=self.created_at,
            completed_at=self.completed_at,
            result=self.result,
            error=self.error,
        )


def progressed(state: ScanState, stage: Stage, progress: int) -> ScanState | None:
    """The state after a `scan.progress`, or None when it would not move forward."""
    if state.terminal:
        return None
    if (progress, STAGES.index(stage)) <= (state.progress, STAGES.index(state.stage)):
        return None
    status: Status = "processing" if progress > 0 else state.status
    return replace(state, status=status, stage=stage, progress=progress)


def failed(state: ScanState, stage: Stage, code: str, message: str) -> ScanState | None:
    """The state after a `scan.failed`; progress stays where the pipeline stopped."""
    if state.terminal:
        return None
    return replace(state, status="failed", stage=stage, error=ScanError(code=code, message=message))


def completed(state: ScanState, result: ScanResult, at: datetime) -> ScanState | None:
    """The state after a `scan.completed`: done, 100 %, with its result."""
    if state.terminal:
        return None
    return replace(
        state, status="completed", stage="done", progress=100, result=result, completed_at=at
    )


def parse_scan_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def encode_cursor(created_at: datetime, scan_id: uuid.UUID) -> str:
    """The position after the scan (`created_at`, `scan_id`) in the newest-first order."""
    raw = json.dumps([created_at.isoformat(), str(scan_id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The keyset position a `next_cursor` names; `invalid_cursor` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data: Any = json.loads(raw)
        at, ident = data
        position = datetime.fromisoformat(at), uuid.UUID(ident)
    except (binascii.Error, ValueError, TypeError):
        raise ScanRequestError(
            "invalid_cursor", "the cursor is not one this API gave out"
        ) from None
    if position[0].tzinfo is None:
        raise ScanRequestError("invalid_cursor", "the cursor is not one this API gave out")
    return position
