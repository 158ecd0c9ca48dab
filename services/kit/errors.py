"""The one base of every domain's expected failures: a stable `code` and a message.

Each domain publishes its codes in `contracts/<domain>/errors.py` (a `Code` literal and the
`CODES` set) and keeps one thin subclass, `class AccountError(DomainError[Code])`, so mypy
checks that it raises only its own codes. Raised from a handler of the domain's table
(`services.kit.table`), it becomes the requester's `error.reply` with that code, or a dead
letter for an event.
"""

from __future__ import annotations

from typing import Generic, TypeVar

C = TypeVar("C", bound=str)


class DomainError(Exception, Generic[C]):
    """An expected failure of a domain request, with a stable `code`.

    `details` (ids, limits) are written into the exception's text for logs and
    tracebacks; the `error.reply` carries only `code` and `message`.
    """

    def __init__(self, code: C, message: str, **details: object) -> None:
        text = f"{code}: {message}"
        if details:
            text += " (" + ", ".join(f"{k}={v!r}" for k, v in sorted(details.items())) + ")"
        super().__init__(text)
        self.code: C = code
        self.message = message
        self.details = details
