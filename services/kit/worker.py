"""What a journaled worker is, as its domain declares it: the group and bindings it
consumes, its task and the outcome of a task that cannot finish.

Each worker's `handlers.py` keeps `worker(deps) -> WorkerSpec`, as a consumer keeps
`subscriptions(deps)`; the composition root opens the journal, the sync loop and
recovery around it (`services.runtime.workers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from journal.sqlite.worker import FailureOutcome, Work


@dataclass(frozen=True)
class WorkerSpec:
    group: str
    bindings: Sequence[str]
    work: Work  # the journaled task, bound to its dependencies
    on_failure: FailureOutcome  # the events of a task that failed for good
