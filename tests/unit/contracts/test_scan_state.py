"""The scan state machine: every transition it allows, and every one it refuses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts.scan.state import EVENTS, STAGES, ScanEvent, advance, is_terminal
from contracts.scan.v1 import (
    Classification,
    Disposal,
    ScanCompleted,
    ScanError,
    ScanFailed,
    ScanProgress,
    ScanResult,
    ScanView,
    Stage,
    Status,
)

SCAN, USER = "s-1", "u-1"
CREATED = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
AT = datetime(2026, 1, 1, 9, 1, tzinfo=UTC)
RESULT = ScanResult(
    classification=Classification(major="재활용폐기물", middle="무색페트병"),
    disposal=Disposal(steps=("라벨을 떼요",)),
    insufficiencies=(),
    answer="라벨을 떼고 버려 주세요.",
    model="offline-1",
)


def view(status: Status = "queued", stage: Stage = "queued", progress: int = 0) -> ScanView:
    return ScanView(id=SCAN, status=status, stage=stage, progress=progress, created_at=CREATED)


def progressed(stage: Stage, progress: int) -> ScanProgress:
    return ScanProgress(scan_id=SCAN, user_id=USER, stage=stage, progress=progress)


FAILED = ScanFailed(scan_id=SCAN, user_id=USER, stage="vision", code="invalid_image", message="x")
COMPLETED = ScanCompleted(scan_id=SCAN, user_id=USER, result=RESULT)


@pytest.mark.parametrize(
    ("before", "event", "after"),
    [
        # progress: a higher progress, whatever the stage
        (view(), progressed("storage", 10), ("processing", "storage", 10)),
        (
            view("processing", "vision", 40),
            progressed("storage", 50),
            ("processing", "storage", 50),
        ),
        # progress: the same progress at a later stage
        (view("processing", "vision", 40), progressed("rules", 40), ("processing", "rules", 40)),
        # progress 0 at a later stage moves the stage but leaves the scan queued
        (view(), progressed("storage", 0), ("queued", "storage", 0)),
    ],
)
def test_progress_moves_forward(
    before: ScanView, event: ScanProgress, after: tuple[Status, Stage, int]
) -> None:
    moved = advance(before, event, AT)
    assert moved is not None
    assert (moved.status, moved.stage, moved.progress) == after
    assert moved.result is None
    assert moved.error is None
    assert moved.completed_at is None


@pytest.mark.parametrize(
    ("before", "event"),
    [
        (view("processing", "vision", 40), progressed("vision", 40)),  # the same again
        (view("processing", "vision", 40), progressed("storage", 40)),  # an earlier stage
        (view("processing", "vision", 40), progressed("answer", 30)),  # a lower progress
        (view(), progressed("queued", 0)),  # the initial state itself
    ],
)
def test_progress_never_moves_back(before: ScanView, event: ScanProgress) -> None:
    assert advance(before, event, AT) is None


@pytest.mark.parametrize("before", [view(), view("processing", "answer", 80)])
def test_failure_is_terminal_and_keeps_the_progress(before: ScanView) -> None:
    moved = advance(before, FAILED, AT)
    assert moved is not None
    assert (moved.status, moved.stage, moved.progress) == ("failed", "vision", before.progress)
    assert moved.error == ScanError(code="invalid_image", message="x")
    assert moved.completed_at is None
    assert moved.result is None
    assert is_terminal(moved.status)


@pytest.mark.parametrize("before", [view(), view("processing", "reward", 90)])
def test_completion_is_done_with_the_result_and_its_time(before: ScanView) -> None:
    moved = advance(before, COMPLETED, AT)
    assert moved is not None
    assert (moved.status, moved.stage, moved.progress) == ("completed", "done", 100)
    assert moved.result == RESULT
    assert moved.completed_at == AT
    assert moved.error is None
    assert is_terminal(moved.status)


TERMINAL_VIEWS = [view("completed", "done", 100), view("failed", "vision", 30)]
EVERY_EVENT: list[ScanEvent] = [progressed("done", 100), FAILED, COMPLETED]


@pytest.mark.parametrize("before", TERMINAL_VIEWS)
@pytest.mark.parametrize("event", EVERY_EVENT)
def test_a_terminal_state_never_changes(before: ScanView, event: ScanEvent) -> None:
    assert advance(before, event, AT) is None


def test_only_queued_and_processing_are_open() -> None:
    open_states: list[Status] = ["queued", "processing"]
    assert [s for s in open_states if is_terminal(s)] == []
    assert is_terminal("completed")
    assert is_terminal("failed")


def test_the_stages_and_events_it_knows() -> None:
    assert STAGES[0] == "queued"
    assert STAGES[-1] == "done"
    assert set(EVENTS) == {"scan.progress", "scan.failed", "scan.completed"}
