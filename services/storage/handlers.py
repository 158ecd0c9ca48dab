"""The storage worker's journaled task: `scan.requested` → a clean, stored image.

The upload (`request.image_key`, written by the gateway or by the client through a
presigned URL) is read with a size bound, checked and cleaned (`image.prepare`), and the
result stored under `prepared/<sha256>.jpg`: the same photo twice is one object. A file
that is not an acceptable image is rejected at once (`invalid_image`: `scan.failed`, then
the dead-letter queue), never retried; a store failure is raised and retried.

The original upload is kept, not deleted: a replay of the journal (`eco2 journal replay`)
re-runs the task from it. Its lifetime is the store's business (an S3 lifecycle rule on
the upload prefix, for instance).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from bus.ports import Message, Reject
from contracts import Payload
from contracts.scan.v1 import ImagePrepared, ScanFailed, ScanRequested
from journal.sqlite.worker import Steps, split_reason
from objects import ObjectNotFound, ObjectStore, ObjectTooLarge
from services.kit.worker import WorkerSpec
from services.storage.errors import InvalidImage
from services.storage.image import prepare

GROUP = "storage"
BINDINGS = ("scan.requested",)


@dataclass(frozen=True)
class Storage:
    """Everything the task needs, built once by the composition root."""

    objects: ObjectStore
    max_bytes: int


def prepared_key(content_hash: str) -> str:
    """Where the prepared image with this SHA-256 is stored."""
    return f"prepared/{content_hash}.jpg"


async def store_image(
    message: Message[ScanRequested], steps: Steps, *, objects: ObjectStore, max_bytes: int
) -> Sequence[Payload]:
    request = message.payload

    async def store() -> ImagePrepared:
        try:
            raw = await objects.get(request.image_key, max_bytes=max_bytes)
        except ObjectNotFound:
            raise Reject(f"image_not_found: no upload under {request.image_key}") from None
        except ObjectTooLarge as exc:
            raise Reject(
                f"invalid_image: the file is {exc.size} bytes; the limit is {exc.limit}"
            ) from None
        except ValueError:
            raise Reject(f"image_not_found: {request.image_key!r} is not a valid key") from None
        try:
            image = await asyncio.to_thread(prepare, raw, max_bytes=max_bytes)
        except InvalidImage as exc:
            raise Reject(f"invalid_image: {exc}") from None
        key = prepared_key(image.content_hash)
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


def worker(deps: Storage) -> WorkerSpec:
    """The journaled worker: `store_image` bound to `deps`, and `failed`."""
    work = partial(store_image, objects=deps.objects, max_bytes=deps.max_bytes)
    return WorkerSpec(GROUP, BINDINGS, work, failed)
