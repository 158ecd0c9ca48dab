"""What the worker journal holds and hands out: entry states, entries, what `begin`
found, counts; and the errors of a journal file that cannot be used."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class JournalError(Exception):
    """The journal file cannot be used; the message says why."""


class JournalNotFound(JournalError):
    pass


class JournalCorrupt(JournalError):
    pass


class State(StrEnum):
    RECEIVED = "received"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (State.COMPLETED, State.FAILED)


@dataclass(frozen=True)
class Begun:
    """What `begin` found: the entry's state after counting this attempt."""

    message_id: str
    state: State
    attempts: int
    outcome: list[dict[str, Any]] | None
    checkpoints: dict[str, str]
    error: str | None = None


@dataclass(frozen=True)
class Entry:
    message_id: str
    type: str
    version: int
    envelope: dict[str, Any]
    state: State
    attempts: int
    outcome: list[dict[str, Any]] | None
    error: str | None
    created_at: float
    updated_at: float
    completed_at: float | None
    synced: bool
    checkpoints: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "type": self.type,
            "version": self.version,
            "state": self.state.value,
            "attempts": self.attempts,
            "synced": self.synced,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "completed_at": self.completed_at,
            "error": self.error,
            "envelope": self.envelope,
            "outcome": self.outcome,
            "checkpoints": self.checkpoints,
        }


@dataclass(frozen=True)
class Stats:
    by_state: dict[str, int]
    by_type: dict[str, dict[str, int]]
    backlog: int
    oldest_unsynced: float | None
