"""The object store: its port (`ports.py`) and adapters (`local.py`, `s3.py`).

Only the composition root (`services.runtime.resources`) picks an adapter; everything
else imports the port's names from here.
"""

from objects.local import LocalObjectStore
from objects.ports import (
    ObjectNotFound,
    ObjectStore,
    ObjectStoreError,
    ObjectTooLarge,
    PresignedUpload,
    check_key,
)

__all__ = [
    "LocalObjectStore",
    "ObjectNotFound",
    "ObjectStore",
    "ObjectStoreError",
    "ObjectTooLarge",
    "PresignedUpload",
    "check_key",
]
