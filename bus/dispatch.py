"""What to do with one delivery, decided the same way by every transport.

`Dispatcher.handle` parses, upcasts, runs the handler under the retry policy and returns
an `Outcome`; the transport only carries it out (ack, reply, delay, dead-letter).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from bus import telemetry
from bus.codec import Delivery
from bus.policy import RetryPolicy
from bus.ports import UNAVAILABLE, Handler, Message, Reject, RequestFailed, Retry, Unavailable
from contracts import ContractError, Envelope, Registry, derive_id, new_envelope
from contracts.errors.v1 import ErrorReply

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ack:
    """Done; acknowledge."""


@dataclass(frozen=True)
class Reply:
    """Send `envelope` to the requester at `to`, then acknowledge."""

    to: str
    correlation_id: str
    envelope: Envelope


@dataclass(frozen=True)
class RetryLater:
    """Deliver again as attempt `attempt` after `delay` seconds, then acknowledge this one."""

    delay: float
    attempt: int
    reason: str


@dataclass(frozen=True)
class DeadLetter:
    """Move to the group's dead-letter queue with `reason` (a code) and `detail`."""

    reason: str
    detail: str
    reply: Reply | None = None


Outcome = Ack | Reply | RetryLater | DeadLetter


class Dispatcher:
    """Runs one group's handler for one delivery at a time (many may run concurrently)."""

    def __init__(
        self, group: str, handler: Handler, registry: Registry, policy: RetryPolicy
    ) -> None:
        self.group = group
        self._handler = handler
        self._registry = registry
        self._policy = policy

    async def handle(self, delivery: Delivery) -> Outcome:
        outcome, message_type = await self._run(delivery)
        telemetry.count_outcome(self.group, message_type, outcome)
        return outcome

    async def _run(self, delivery: Delivery) -> tuple[Outcome, str]:
        attempt = delivery.attempt
        try:
            envelope, payload = self._registry.parse(delivery.body)
        except ContractError as exc:
            reply = self._error_reply(delivery, None, exc.reason, str(exc))
            return DeadLetter(exc.reason, str(exc), reply), "invalid"
        if delivery.routing_key and delivery.routing_key != envelope.type:
            # Routing is by type: a valid envelope under another type's key is a publisher's
            # mistake, and its handler (bound to the key) would take it for what it is not.
            detail = f"routing key {delivery.routing_key} carries a {envelope.type} envelope"
            reply = self._error_reply(delivery, envelope, "unknown_type", detail)
            return DeadLetter("unknown_type", detail, reply), "invalid"
        if attempt > self._policy.max_attempts:
            detail = f"delivered {attempt} times, limit {self._policy.max_attempts}"
            reply = self._error_reply(delivery, envelope, "attempts_exhausted", detail)
            return DeadLetter("attempts_exhausted", detail, reply), envelope.type
        message = Message(envelope, payload, attempt, delivery.routing_key)
        started = time.perf_counter()
        try:
            with telemetry.consumer_span(self.group, envelope, delivery.headers):
                result = await self._handler(message)
        except RequestFailed as exc:
            reply = self._error_reply(delivery, envelope, exc.code, exc.message)
            if reply is not None:
                return reply, envelope.type
            return DeadLetter(exc.code, exc.message), envelope.type
        except Reject as exc:
            reply = self._error_reply(delivery, envelope, "rejected", exc.reason)
            return DeadLetter("rejected", exc.reason, reply), envelope.type
        except Retry as exc:
            return self._retry(delivery, envelope, attempt, exc.reason, exc.delay), envelope.type
        except Unavailable as exc:  # expected in an outage: one line, no traceback
            log.warning("handler %s: %s attempt %d: %s", self.group, envelope.type, attempt, exc)
            reason = f"{type(exc).__name__}: {exc}"
            outcome = self._retry(delivery, envelope, attempt, reason, None, UNAVAILABLE)
            return outcome, envelope.type
        except Exception as exc:
            log.warning(
                "handler %s failed on %s attempt %d",
                self.group,
                envelope.type,
                attempt,
                exc_info=True,
            )
            reason = f"{type(exc).__name__}: {exc}"
            return self._retry(delivery, envelope, attempt, reason, None), envelope.type
        finally:
            telemetry.observe_handler(self.group, envelope.type, time.perf_counter() - started)
        if delivery.reply_to and result is not None:
            answer = new_envelope(
                result, cause=envelope, message_id=derive_id(envelope.message_id, "reply")
            )
            return Reply(delivery.reply_to, str(envelope.message_id), answer), envelope.type
        return Ack(), envelope.type

    def _retry(
        self,
        delivery: Delivery,
        envelope: Envelope,
        attempt: int,
        reason: str,
        requested: float | None,
        code: str = "internal_error",
    ) -> Outcome:
        if delivery.reply_to:
            # A waiting caller has its own timeout; answering now beats retrying behind it.
            reply = self._error_reply(delivery, envelope, code, reason)
            assert reply is not None
            return reply
        if self._policy.exhausted(attempt):
            return DeadLetter("attempts_exhausted", f"attempt {attempt}: {reason}")
        return RetryLater(self._policy.delay(attempt, requested), attempt + 1, reason)

    @staticmethod
    def _error_reply(
        delivery: Delivery, envelope: Envelope | None, code: str, message: str
    ) -> Reply | None:
        if not delivery.reply_to:
            return None
        error = ErrorReply(code=code, message=message[:2000])
        if envelope is None:
            correlation = delivery.message_id or ""
            answer = new_envelope(error)
        else:
            correlation = str(envelope.message_id)
            answer = new_envelope(
                error, cause=envelope, message_id=derive_id(envelope.message_id, "reply")
            )
        return Reply(delivery.reply_to, correlation, answer)
