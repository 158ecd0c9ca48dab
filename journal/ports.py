"""Where the journal's two halves meet: the SQLite worker journal's sync loop ships
finished entries through `SyncTarget`, which `journal.postgres.outcomes` implements.

Neither half imports the other (import-linter, `pyproject.toml`); the composition root
hands the loop its target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class SyncUnavailable(Exception):
    """The target could not store a batch now (down, unreachable, timed out); the batch
    stays unsynced and the loop tries again later."""


@dataclass(frozen=True)
class SyncRow:
    """A finished entry as the sync loop ships it: JSON stays text, never decoded."""

    message_id: str
    type: str
    version: int
    state: str
    attempts: int
    envelope: str
    outcome: str | None
    error: str | None
    created_at: float
    completed_at: float


class SyncTarget(Protocol):
    async def ship(self, worker: str, rows: Sequence[SyncRow]) -> None:
        """Store every row idempotently (keyed on message id) in one round trip; raise
        `SyncUnavailable` when the target cannot take the batch now."""
