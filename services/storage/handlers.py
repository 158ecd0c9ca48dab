"""The storage worker's journaled task: `scan.requested` → a clean, stored image."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from bus.ports import Message, Reject
from contracts import Payload
from contracts.scan.v1 import ImagePrepared, ScanFailed, ScanRequested
from journal.worker import Steps, split_reason
from services.objects import ObjectNotFound, ObjectStore
from services.storage.errors import InvalidImage
from services.storage.image import prepare

GROUP = "storage"
BINDINGS = ("scan.requested",)


async def store_image(
    message: Message[ScanRequested], steps: Steps, *, objects: ObjectStore, max_bytes: int
) -> Sequence[Payload]:
    request = message.payload

    async def store() -> ImagePrepared:
        try:
            raw = await objects.get(request.image_key)
        except ObjectNotFound:
            raise Reject(f"image_not_found: no upload under {request.image_key}") from None
        try:
            image = await asyncio.to_thread(prepare, raw, max_bytes=max_bytes)
        except InvalidImage as exc:
            raise Reject(f"invalid_image: {exc}") from None
        key = f"prepared/{image.content_hash}.jpg"
        await objects.put(key, image.data, "image/jpeg")
        return ImagePrepared(
            scan_id=request.scan_id,
            user_id=request.user_id,
            image_key=key,
            content_hash=image.content_hash,
            content_type="image/jpeg",
            width=image.width,
            height=image.height,
            hint=request.hint,
        )

    return [await steps.model("store", ImagePrepared, store)]


def failed(message: Message[Any], reason: str) -> Sequence[Payload]:
    code, text = split_reason(reason)
    task = message.payload
    return [
        ScanFailed(
            scan_id=task.scan_id, user_id=task.user_id, stage="storage", code=code, message=text
        )
    ]
