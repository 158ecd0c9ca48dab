"""A scan as `GET /api/v1/scans/{id}` shows it: never older than an event already delivered.

The scan service applies the pipeline's events from its own queue, so right after a
client saw `scan.completed` on its WebSocket or SSE stream the service may still answer
`processing`. Every event a client can have seen is in the scan's Redis event log first
(SSE reads it; the WebSocket push appends before it pushes), so the route merges the
service's answer with that log under the service's own rule: a state only moves forward
(a higher progress, or at the same progress a later stage) and the first terminal state
(completed or failed) sticks.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, get_args

from pydantic import ValidationError

from contracts.scan.v1 import ScanError, ScanResult, ScanView, Stage
from gateway.eventlog import Entry

STAGES: tuple[str, ...] = get_args(Stage)
TERMINAL = frozenset({"completed", "failed"})


def merge(view: ScanView, entries: Iterable[Entry], user_id: str) -> ScanView:
    """`view` moved forward by each of `user_id`'s logged events, in log order."""
    for entry in entries:
        if entry.user_id == user_id and entry.data.get("scan_id") == view.id:
            view = advance(view, entry) or view
    return view


def advance(view: ScanView, entry: Entry) -> ScanView | None:
    """The view after one logged event, or None when the event would not move it forward."""
    if view.status in TERMINAL:
        return None
    data = entry.data
    try:
        match entry.type:
            case "scan.progress":
                return _progressed(view, data)
            case "scan.failed":
                error = ScanError(code=str(data["code"]), message=str(data["message"]))
                return view.model_copy(
                    update={"status": "failed", "stage": _stage(data), "error": error}
                )
            case "scan.completed":
                return view.model_copy(
                    update={
                        "status": "completed",
                        "stage": "done",
                        "progress": 100,
                        "result": ScanResult.model_validate(data["result"]),
                        "completed_at": logged_at(entry.stream_id),
                    }
                )
    except (KeyError, TypeError, ValueError, ValidationError):
        return None  # an entry this version cannot read tells nothing newer
    return None


def _progressed(view: ScanView, data: dict[str, Any]) -> ScanView | None:
    stage, progress = _stage(data), int(data["progress"])
    if not 0 <= progress <= 100:
        return None
    if (progress, STAGES.index(stage)) <= (view.progress, STAGES.index(view.stage)):
        return None
    status = "processing" if progress > 0 else view.status
    return view.model_copy(update={"status": status, "stage": stage, "progress": progress})


def _stage(data: dict[str, Any]) -> str:
    stage = data["stage"]
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    return str(stage)


def logged_at(stream_id: str) -> datetime:
    """When an entry was appended (a Redis stream id starts with its milliseconds)."""
    return datetime.fromtimestamp(int(stream_id.split("-", 1)[0]) / 1000, UTC)
