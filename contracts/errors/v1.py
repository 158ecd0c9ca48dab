"""`error.reply` v1: a failed query, with a stable code the caller can map (e.g. to HTTP)."""

from typing import ClassVar

from contracts.envelope import Payload


class ErrorReply(Payload):
    __message_type__: ClassVar[str] = "error.reply"
    __version__: ClassVar[int] = 1

    code: str
    message: str
