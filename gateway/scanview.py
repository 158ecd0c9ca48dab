"""A scan as `GET /api/v1/scans/{id}` shows it: never older than an event already delivered.

The scan service applies the pipeline's events from its own queue, so right after a
client saw `scan.completed` on its WebSocket or SSE stream the service may still answer
`processing`. Every event a client can have seen is in the scan's Redis event log first
(SSE reads it; the WebSocket push appends before it pushes), so the route merges the
service's answer with that log under the service's own rule, the contract's state
machine (`contracts.scan.state`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from pydantic import ValidationError

from contracts.scan.state import EVENTS, ScanEvent, advance
from contracts.scan.v1 import ScanView
from gateway.eventlog import Entry


def merge(view: ScanView, entries: Iterable[Entry], user_id: str) -> ScanView:
    """`view` moved forward by each of `user_id`'s logged events, in log order."""
    for entry in entries:
        event = parse(entry)
        if event is not None and entry.user_id == user_id and event.scan_id == view.id:
            view = advance(view, event, logged_at(entry.stream_id)) or view
    return view


def parse(entry: Entry) -> ScanEvent | None:
    """The logged event as its contract model; None for one that does not move a scan,
    or that this version cannot read (it tells nothing newer)."""
    model = EVENTS.get(entry.type)
    if model is None:
        return None
    try:
        return model.model_validate(entry.data)
    except ValidationError:
        return None


def logged_at(stream_id: str) -> datetime:
    """When an entry was appended (a Redis stream id starts with its milliseconds)."""
    return datetime.fromtimestamp(int(stream_id.split("-", 1)[0]) / 1000, UTC)
