"""The AI worker's journaled task: `scan.image_prepared` → vision stage → `scan.classified`.

Each stage is one checkpoint, so a retry after a crash does not ask the model again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bus.ports import Message, Reject
from contracts import Payload
from contracts.scan.v1 import (
    Classification,
    ImagePrepared,
    ScanClassified,
    ScanFailed,
    ScanProgress,
)
from journal.worker import Steps, split_reason
from services.ai.provider import BadModelOutput, VisionProvider
from services.objects import ObjectStore

GROUP = "ai"
BINDINGS = ("scan.image_prepared",)


async def classify(
    message: Message[ImagePrepared],
    steps: Steps,
    *,
    provider: VisionProvider,
    objects: ObjectStore,
) -> Sequence[Payload]:
    task = message.payload

    async def load() -> bytes:
        return await objects.get(task.image_key)

    async def vision() -> Classification:
        try:
            return await provider.classify(task.hint, load)
        except BadModelOutput as exc:
            raise Reject(f"bad_model_output: {exc}") from None

    classification = await steps.model("vision", Classification, vision)
    return [
        ScanProgress(scan_id=task.scan_id, user_id=task.user_id, stage="vision", progress=25),
        ScanClassified(
            scan_id=task.scan_id,
            user_id=task.user_id,
            classification=classification,
            model=provider.model,
            content_hash=task.content_hash,
        ),
    ]


def failed(message: Message[Any], reason: str) -> Sequence[Payload]:
    code, text = split_reason(reason)
    task = message.payload
    return [
        ScanFailed(
            scan_id=task.scan_id, user_id=task.user_id, stage="vision", code=code, message=text
        )
    ]
