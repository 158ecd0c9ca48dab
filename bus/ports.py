"""The bus port: what services, the journal and the gateway may rely on.

Handlers are plain `async def handler(message) -> Payload | None`. Returning a payload
answers a request (it is ignored for events). Raising one of the control errors below
steers delivery; any other exception is transient and retried with backoff until the
attempt limit, then dead-lettered with its reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from contracts import Envelope, Payload

P = TypeVar("P", bound=Payload, covariant=True)

EVENTS_EXCHANGE = "eco2.events"
DEAD_LETTER_EXCHANGE = "eco2.dlx"
REQUESTS_EXCHANGE = "eco2.rpc"


@dataclass(frozen=True)
class Message(Generic[P]):
    """A delivered message: its envelope, its payload as the newest model, and which try."""

    envelope: Envelope
    payload: P
    attempt: int
    routing_key: str


Handler = Callable[[Message[Any]], Awaitable[Payload | None]]


@dataclass(frozen=True)
class Subscription:
    """A consumer group: one durable queue bound to `bindings`, consumed by `handler`.

    Every process that subscribes the same `group` competes for its messages; each group
    receives its own copy of every matching event (fan-out). Bindings are topic patterns
    over message types (`scan.*`, `user.#`).

    An `ephemeral` group belongs to one process: its queue is deleted when the process
    goes, and a delivery its handler fails is dropped rather than retried. It suits
    per-instance fan-out of events that are only useful while the process lives (a
    gateway instance pushing events to its own WebSocket clients).

    A `single_active` group lets one consumer at a time take its messages (the others
    stand by), so with a prefetch of 1 they are handled in the order they were published
    even across processes.
    """

    group: str
    bindings: Sequence[str]
    handler: Handler
    prefetch: int | None = None
    ephemeral: bool = False
    single_active: bool = False


# --- bus control: raised by handlers -------------------------------------------------


class Retry(Exception):
    """Deliver this message again later (after `delay` seconds, or the policy's backoff)."""

    def __init__(self, reason: str = "retry", delay: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay


class Reject(Exception):
    """Never retry: dead-letter the message now with `reason`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Unavailable(Exception):
    """A dependency (the database, Redis) is down or dropped its connection: try again later.

    Retried like any failure for an event; a request is answered at once with the code
    `unavailable`, which a caller takes as transient (`is_transient`) and the gateway
    answers with 503 and `Retry-After`.
    """


class RequestFailed(Exception):
    """A query handler's answer that the request failed with a stable `code`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


# --- errors the bus raises to callers ------------------------------------------------


class BusError(Exception):
    """The bus could not do what was asked (translated from the transport's own errors)."""


class PublishFailed(BusError):
    """The broker did not confirm the message; it may or may not have been routed."""


class RequestTimeout(BusError):
    """No reply arrived within the timeout."""


class RemoteError(BusError):
    """The handler of a request answered with `RequestFailed`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


# --- transient or definite: decided here, once ---------------------------------------

UNAVAILABLE = "unavailable"
# Codes of an `error.reply` that say nothing about the request itself, only that it could
# not be served now: asking again may answer differently. Every other code is the domain's
# definite answer (`contracts/<domain>/errors.py`), and asking again answers the same.
TRANSIENT_CODES = frozenset({UNAVAILABLE, "internal_error", "attempts_exhausted"})


def is_transient(exc: BaseException) -> bool:
    """Whether a failed request (or step) may succeed if tried again.

    A timeout, an unconfirmed publish, a dependency outage and an error reply with a
    transient code are; a domain's coded answer (`not_found`, `no_character`) is not.
    """
    if isinstance(exc, RemoteError):
        return exc.code in TRANSIENT_CODES
    return isinstance(exc, BusError | Unavailable | OSError | TimeoutError)


# --- the ports -----------------------------------------------------------------------


class Publisher(Protocol):
    async def publish(self, envelope: Envelope) -> None:
        """Route `envelope` by its type to every bound group; return once the broker has it."""


class Requester(Protocol):
    async def request(self, envelope: Envelope, *, timeout: float | None = None) -> Message[Any]:
        """Send a query and wait for its reply; raise RequestTimeout or RemoteError."""


class Bus(Publisher, Requester, Protocol):
    """A whole transport, as the composition root sees it."""

    def subscribe(self, subscription: Subscription) -> None:
        """Register a consumer group; call before `start`."""

    async def start(self) -> None:
        """Connect, declare the topology and begin consuming."""

    async def close(self) -> None:
        """Stop taking messages, let in-flight handlers finish within the grace period, close."""

    async def ping(self) -> bool:
        """Whether the transport is connected and usable."""
