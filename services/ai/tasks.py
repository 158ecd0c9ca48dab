"""The AI worker's two journaled tasks in one worker: the scan pipeline (`handlers`) and
chat replies (`chat.task`), told apart by message type. One journal and one queue serve
both, so a scan and an answer share the worker's limits and its crash recovery."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bus.ports import Message
from contracts import Payload
from journal.sqlite.worker import Steps
from services.kit.worker import WorkerSpec


def worker(*specs: WorkerSpec) -> WorkerSpec:
    """One worker of the tasks `specs` (all of one group): each message goes to the task
    whose bindings name its type."""
    by_type = {kind: spec for spec in specs for kind in spec.bindings}
    [group] = {spec.group for spec in specs}

    async def work(message: Message[Any], steps: Steps) -> Sequence[Payload]:
        return await by_type[message.envelope.type].work(message, steps)

    def on_failure(message: Message[Any], reason: str) -> Sequence[Payload]:
        return by_type[message.envelope.type].on_failure(message, reason)

    return WorkerSpec(group, tuple(by_type), work, on_failure)
