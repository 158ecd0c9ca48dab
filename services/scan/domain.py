"""Pure scan rules: a stored scan, moved by the pipeline's events, and the list's cursor.

How an event moves a scan (only forward; the first terminal state sticks) is the
contract's state machine (`contracts.scan.state`), which the gateway applies too. No I/O
here.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from contracts.scan import state
from contracts.scan.v1 import ScanError, ScanResult, ScanView, Stage, Status
from services.scan.errors import ScanRequestError

IDEMPOTENCY_WINDOW = timedelta(hours=24)


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

    def moved(self, event: state.ScanEvent, at: datetime) -> ScanState | None:
        """The scan after a pipeline event (which happened `at`), or None if it stays."""
        view = state.advance(self.view(), event, at)
        if view is None:
            return None
        return replace(
            self,
            status=view.status,
            stage=view.stage,
            progress=view.progress,
            completed_at=view.completed_at,
            result=view.result,
            error=view.error,
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
