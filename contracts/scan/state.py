"""The scan state machine: the one rule for how a pipeline event moves a scan.

The pipeline's events may arrive twice or out of order (retries, several workers, the
outbox relaying late), so an event is applied only when it moves the scan forward: a
higher progress, or at the same progress a later stage; the first terminal state
(completed or failed) never changes again.

Two places apply it and must agree: the scan service, to the scan it stores, and the
gateway, to the service's answer merged with the events a client may already have seen
(`gateway/scanview.py`). Were each to keep a copy, a client could be shown a state the
service never holds.
"""

from __future__ import annotations

from datetime import datetime
from typing import get_args

from contracts.scan.v1 import (
    ScanCompleted,
    ScanError,
    ScanFailed,
    ScanProgress,
    ScanView,
    Stage,
    Status,
)

STAGES: tuple[Stage, ...] = get_args(Stage)
TERMINAL: frozenset[Status] = frozenset({"completed", "failed"})

ScanEvent = ScanProgress | ScanFailed | ScanCompleted
"""The events that move a scan (`scan.classified` only informs)."""

EVENTS: dict[str, type[ScanEvent]] = {
    model.__message_type__: model for model in (ScanProgress, ScanFailed, ScanCompleted)
}


def is_terminal(status: Status) -> bool:
    return status in TERMINAL


def advance(view: ScanView, event: ScanEvent, at: datetime) -> ScanView | None:
    """`view` after `event` (which happened `at`), or None when it would not move forward.

    A failure keeps the progress where the pipeline stopped; a completion is stage `done`,
    100 %, with its result and `at` as the completion time.
    """
    if is_terminal(view.status):
        return None
    match event:
        case ScanProgress(stage=stage, progress=progress):
            if (progress, STAGES.index(stage)) <= (view.progress, STAGES.index(view.stage)):
                return None
            status: Status = "processing" if progress > 0 else view.status
            return view.model_copy(update={"status": status, "stage": stage, "progress": progress})
        case ScanFailed(stage=stage, code=code, message=message):
            error = ScanError(code=code, message=message)
            return view.model_copy(update={"status": "failed", "stage": stage, "error": error})
        case ScanCompleted(result=result):
            return view.model_copy(
                update={
                    "status": "completed",
                    "stage": "done",
                    "progress": 100,
                    "result": result,
                    "completed_at": at,
                }
            )
