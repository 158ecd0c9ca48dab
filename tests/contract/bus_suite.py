"""The bus contract: every transport must pass these tests (subclassed per adapter)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import pytest
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from bus.codec import H_DEAD_DETAIL, H_DEAD_REASON, H_ORIGINAL_ROUTING_KEY
from bus.policy import RetryPolicy
from bus.ports import (
    Bus,
    Message,
    Reject,
    RemoteError,
    RequestFailed,
    RequestTimeout,
    Retry,
    Subscription,
)
from contracts import Payload, new_envelope
from tests.contract.messages import Echoed, Note, Other

FAST = RetryPolicy(max_attempts=3, base_delay=0.05, factor=2.0, max_delay=0.2)


@dataclass(frozen=True)
class Dead:
    reason: str
    detail: str
    routing_key: str
    body: bytes


class Harness(Protocol):
    def group(self, name: str) -> str: ...

    def bus(self, *, policy: RetryPolicy = FAST, prefetch: int = 8, grace: float = 5.0) -> Bus: ...

    async def publish_raw(self, routing_key: str, body: bytes, headers: dict[str, Any]) -> None: ...

    async def dead_letters(self, group: str, expect: int) -> list[Dead]: ...

    async def kill(self, bus: Bus) -> None: ...


async def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


class Recorder:
    def __init__(self) -> None:
        self.seen: list[Message[Any]] = []

    async def __call__(self, message: Message[Any]) -> None:
        self.seen.append(message)

    def texts(self) -> list[str]:
        return [m.payload.text for m in self.seen]


def _hang(held: asyncio.Event) -> Callable[[Message[Any]], Awaitable[None]]:
    """A handler that takes a message and never finishes, like a process about to die."""

    async def hang(message: Message[Any]) -> None:
        held.set()
        await asyncio.Event().wait()

    return hang


class BusContract:
    """Subclasses provide a `harness` fixture and a `started` helper via `Harness`."""

    @pytest.fixture
    async def started(self, harness: Harness) -> AsyncIterator[Callable[..., Awaitable[Bus]]]:
        buses: list[Bus] = []

        async def start(*subs: Subscription, **options: Any) -> Bus:
            bus = harness.bus(**options)
            for sub in subs:
                bus.subscribe(sub)
            await bus.start()
            buses.append(bus)
            return bus

        yield start
        for bus in reversed(buses):
            await bus.close()

    # --- routing ---------------------------------------------------------------------

    async def test_published_event_reaches_its_handler_intact(
        self, harness: Harness, started: Callable[..., Awaitable[Bus]]
    ) -> None:
        seen = Recorder()
        bus = await started(Subscription(harness.group("a"), ["testbus.note"], seen))
        envelope = new_envelope(Note(text="hello"), user_id="u1")
        await bus.publish(envelope)
        await eventually(lambda: len(seen.seen) == 1)
        message = seen.seen[0]
        assert message.envelope == envelope
        assert message.payload == Note(text="hello")
        assert message.attempt == 1
        assert message.routing_key == "testbus.note"

    async def test_topic_bindings_select_by_type(
        self, harness: Harness, started: Callable[..., Awaitable[Bus]]
    ) -> None:
        notes, everything = Recorder(), Recorder()
        bus = await started(
            Subscription(harness.group("notes"), ["testbus.note"], notes),
            Subscription(harness.group("all"), ["testbus.#"], everything),
        )
        await bus.publish(new_envelope(Other(n=1)))
        await bus.publish(new_envelope(Note(text="n")))
        await eventually(lambda: len(everything.seen) == 2 and len(notes.seen) == 1)
        await asyncio.sleep(0.1)
        assert [m.envelope.type for m in notes.seen] == ["testbus.note"]

    async def test_fan_out_to_groups_and_competition_within_a_group(
        self, harness: Harness, started: Callable[..., Awaitable[Bus]]
    ) -> None:
        audit, first, second = Recorder(), Recorder(), Recorder()
        shared = harness.group("shared")

        async def slow_first(message: Message[Any]) -> None:
            await asyncio.sleep(0.01)
            await first(message)

        async def slow_second(message: Message[Any]) -> None:
            await asyncio.sleep(0.01)
            await second(message)

        await started(Subscription(shared, ["testbus.note"], slow_first), prefetch=2)
        bus = await started(
            Subscription(shared, ["testbus.note"], slow_second),
            Subscription(harness.group("audit"), ["testbus.note"], audit),
            prefetch=2,
        )
        texts = [str(i) for i in range(40)]
        await asyncio.gather(*(bus.publish(new_envelope(Note(text=t))) for t in texts))
        await eventually(lambda: len(first.seen) + len(second.seen) == 40 and len(audit.seen) == 40)
        await asyncio.sleep(0.1)
        assert sorted(first.texts() + second.texts(), key=int) == texts
        assert first.seen, "both consumers of the group should take work"
        assert second.seen, "both consumers of the group should take work"
        assert sorted(audit.texts(), key=int) == texts

    async def test_ephemeral_groups_each_get_a_copy_drop_failures_and_go_with_their_bus(
        self, harness: Harness, started: Callable[..., Awaitable[Bus]]
    ) -> None:
        one, two, after = Recorder(), Recorder(), Recorder()

        async def failing(message: Message[Any]) -> None:
            await two(message)
            raise ConnectionError("never retried in an ephemeral group")

        first = await started(
            Subscription(harness.group("instance-1"), ["testbus.note"], one, ephemeral=True)
        )
        second = await started(
            Subscription(harness.group("instance-2"), ["testbus.note"], failing, ephemeral=True)
        )
        await first.publish(new_envelope(Note(text="a")))
        await eventually(lambda: len(one.seen) == 1 and len(two.seen) == 1)
        await second.close()
        await first.publish(new_envelope(Note(text="b")))
        await eventually(lambda: len(one.seen) == 2)
        await asyncio.sleep(0.2)
        assert [m.attempt for m in two.seen] == [1], "a failed ephemeral delivery is dropped"
        # A new process under the same name starts with an empty queue.
        await started(
            Subscription(harness.group("instance-2"), ["testbus.note"], after, ephemeral=True)
        )
        await asyncio.sleep(0.2)
        assert after.seen == []

    async def test_single_active_group_keeps_publish_order_across_consumers(
        self, harness: Harness, started: Callable[..., Awaitable[Bus]]
    ) -> None:
        seen = Recorder()
        group = harness.group("ordered")

        async def slow(message: Message[Any]) -> None:
            await asyncio.sleep(0.002 * (int(message.payload.text) % 3))
            await seen(message)

        for _ in range(2):
            await started(
                Subscription(group, ["testbus.note"], slow, prefetch=1, single_active=True),
                prefetch=1,
            )
        publisher = await started()
        texts = [str(i) for i in range(30)]
        for text in texts:
            await publisher.publish(new_envelope(Note(text=text)))
        await eventually(lambda: len(seen.seen) == 30)
        assert seen.texts() == texts

    # --- failure, retry, dead letters ------------------------------------------------

    async def test_transient_failure_is_retried_with_a_higher_attempt(
        self, harness: Harness, started: Callable[..., Awaitable[Bus]]
    ) -> None:
        attempts: list[int] = []

        async def flaky(message: Message[Any]) -> None:
            attempts.append(message.attempt)
            if message.attempt < 3:
                raise ConnectionError("downstream hiccup")

        bus = await started(Subscription(harness.group("flaky"), ["testbus.note"], flaky))
        await bus.publish(new_envelope(Note(text="x")))
        await eventually(lambda: attempts == [1, 2, 3])

    async def test_explicit_retry_redelivers(
        self, harness: Harness, started: Callable[..., Awaitable[Bus]]
    ) -> None:
        attempts: list[int] = []

        async def later(message: Message[Any]) -> None:
            attempts.append(message.attempt)
            if message.attempt == 1:
                raise Retry("not yet", delay=0.05)

        bus = await started(Subscription(harness.group("later"), ["testbus.note"], later))
        await bus.publish(new_envelope(Note(text="x")))
        await eventually(lambda: attempts == [1, 2])

    async def test_failure_past_the_attempt_limit_is_dead_lettered_with_reason_and_route(
        self, harness: Harness, started: Callable[..., Awaitable[Bus]]
    ) -> None:
        attempts: list[int] = []
        group = harness.group("broken")

        async def broken(message: Message[Any]) -> None:
            attempts.append(message.attempt)
            raise ValueError("cannot ever work")

        bus = await started(Subscription(group, ["testbus.note"], broken))
        envelope = new_envelope(Note(text="doomed"))
        await bus.publish(envelope)
        [dead] = await harness.dead_letters(group, expect=1)
        assert attempts == [1, 2, 3]
        assert dead.reason == "attempts_exhausted"
        assert "cannot ever work" in dead.detail
        assert dead.routing_key == "testbus.note"
        assert json.loads(dead.body)["message_id"] == str(envelope.message_id)

    async def test_reject_dead_letters_at_once(
        self, harness: Harness, started: Callable[..., Awaitable[Bus]]
    ) -> None:
        group = harness.group("rejecting")
        calls: list[int] = []

        async def refuse(message: Message[Any]) -> None:
            calls.append(message.attempt)
            raise Reject("image is not a photo")

        bus = await started(Subscription(group, ["testbus.note"], refuse))
        await bus.publish(new_envelope(Note(text="x")))
        [dead] = await harness.dead_letters(group, expect=1)
        assert (dead.reason, dead.detail, calls) == ("rejected", "image is not a photo", [1])

    @pytest.mark.parametrize(
        ("body", "reason"),
        [
            (b"{not json", "malformed"),
            (b'{"message_id": "nope"}', "malformed"),
            (b"unknown", "unknown_type"),
            (b"future", "unsupported_version"),
            (b"badpayload", "malformed"),
            (b"wrongtype", "unknown_type"),
        ],
    )
    async def test_unreadable_message_is_dead_lettered_and_the_consumer_keeps_going(
        self,
        harness: Harness,
        started: Callable[..., Awaitable[Bus]],
        body: bytes,
        reason: str,
    ) -> None:
        group = harness.group("reader")
        seen = Recorder()
        bus = await started(Subscription(group, ["testbus.#"], seen))
        good = new_envelope(Note(text="good"))
        if body == b"unknown":
            body = good.model_copy(update={"type": "testbus.nobody"}).model_dump_json().encode()
        elif body == b"future":
            body = good.model_copy(update={"version": 99}).model_dump_json().encode()
        elif body == b"badpayload":
            body = good.model_copy(update={"payload": {"text": 5}}).model_dump_json().encode()
        elif body == b"wrongtype":  # valid, but not the type its routing key names
            body = new_envelope(Other(n=1)).model_dump_json().encode()
        await harness.publish_raw("testbus.note", body, {})
        await bus.publish(good)
        await eventually(lambda: len(seen.seen) == 1)
        [dead] = await harness.dead_letters(group, expect=1)
        assert seen.texts() == ["good"]  # the handler never saw the unreadable one
        assert dead.reason == reason
        assert dead.body == body
        assert dead.routing_key == "testbus.note"

    # --- crashes and shutdown --------------------------------------------------------

    async def test_message_held_by_a_dying_consumer_is_redelivered_to_another(
        self, harness: Harness, started: Callable[..., Awaitable[Bus]]
    ) -> None:
        group = harness.group("crashy")
        held = asyncio.Event()
        doomed = await started(Subscription(group, ["testbus.note"], _hang(held)), grace=0.2)
        await doomed.publish(new_envelope(Note(text="survivor")))
        await asyncio.wait_for(held.wait(), 10)
        survivor = Recorder()
        await started(Subscription(group, ["testbus.note"], survivor))
        await harness.kill(doomed)
        await eventually(lambda: survivor.texts() == ["survivor"])
        assert survivor.seen[0].attempt == 2

    async def test_repeated_crashes_end_in_the_dead_letter_queue(
        self, harness: Harness, started: Callable[..., Awaitable[Bus]]
    ) -> None:
        group = harness.group("poison")
        for crash in range(FAST.max_attempts):
            held = asyncio.Event()
            bus = await started(Subscription(group, ["testbus.note"], _hang(held)), grace=0.2)
            if crash == 0:
                await bus.publish(new_envelope(Note(text="poison")))
            await asyncio.wait_for(held.wait(), 10)
            await harness.kill(bus)
        seen = Recorder()
        await started(Subscription(group, ["testbus.note"], seen))
        [dead] = await harness.dead_letters(group, expect=1)
        assert dead.reason == "attempts_exhausted"
        assert seen.seen == []

    async def test_close_finishes_in_flight_work_and_stops_taking_more(
        self, harness: Harness, started: Callable[..., Awaitable[Bus]]
    ) -> None:
        group = harness.group("graceful")
        began, finished = asyncio.Event(), Recorder()

        async def slow(message: Message[Any]) -> None:
            began.set()
            await asyncio.sleep(0.3)
            await finished(message)

        bus = await started(Subscription(group, ["testbus.note"], slow), prefetch=1)
        await bus.publish(new_envelope(Note(text="first")))
        await asyncio.wait_for(began.wait(), 10)
        await bus.close()
        assert finished.texts() == ["first"]
        publisher = await started()
        await publisher.publish(new_envelope(Note(text="second")))
        after = Recorder()
        await started(Subscription(group, ["testbus.note"], after))
        await eventually(lambda: after.texts() == ["second"])
        assert after.seen[0].attempt == 1, "the first message must not come back"

    # --- request/reply ---------------------------------------------------------------

    async def test_request_gets_the_handlers_reply(
        self, harness: Harness, started: Callable[..., Awaitable[Bus]]
    ) -> None:
        async def echo(message: Message[Any]) -> Payload:
            if message.payload.text == "missing":
                raise RequestFailed("not_found", "no such note")
            return Echoed(text=message.payload.text.upper())

        await started(Subscription(harness.group("echo"), ["testbus.note"], echo))
        client = await started()
        request = new_envelope(Note(text="hi"), user_id="u7")
        replies = await asyncio.gather(
            *(client.request(new_envelope(Note(text=f"r{i}"))) for i in range(20))
        )
        assert [r.payload for r in replies] == [Echoed(text=f"R{i}") for i in range(20)]
        reply = await client.request(request)
        assert reply.payload == Echoed(text="HI")
        assert reply.envelope.causation_id == request.message_id
        assert reply.envelope.correlation_id == request.correlation_id
        assert reply.envelope.user_id == "u7"
        with pytest.raises(RemoteError) as failed:
            await client.request(new_envelope(Note(text="missing")))
        assert failed.value.code == "not_found"

    async def test_request_without_a_responder_times_out(
        self, harness: Harness, started: Callable[..., Awaitable[Bus]]
    ) -> None:
        client = await started()
        with pytest.raises(RequestTimeout):
            await client.request(new_envelope(Other(n=1)), timeout=0.3)

    async def test_a_request_is_answered_ahead_of_its_groups_backlog(
        self, harness: Harness, started: Callable[..., Awaitable[Bus]]
    ) -> None:
        held, release = asyncio.Event(), asyncio.Event()

        async def handle(message: Message[Any]) -> Payload | None:
            if isinstance(message.payload, Other):  # events: the first one blocks the group
                held.set()
                await release.wait()
                return None
            return Echoed(text=message.payload.text.upper())

        group = harness.group("busy")
        bus = await started(
            Subscription(group, ["testbus.note", "testbus.other.#"], handle), prefetch=1
        )
        for n in range(3):
            await bus.publish(new_envelope(Other(n=n)))
        await asyncio.wait_for(held.wait(), 10)
        try:
            reply = await bus.request(new_envelope(Note(text="now")), timeout=3)
            assert reply.payload == Echoed(text="NOW")
        finally:
            release.set()

    async def test_a_request_nobody_took_within_its_timeout_is_never_handled(
        self, harness: Harness, started: Callable[..., Awaitable[Bus]]
    ) -> None:
        group, seen = harness.group("late"), Recorder()
        await (await started(Subscription(group, ["testbus.note"], seen))).close()
        client = await started()
        with pytest.raises(RequestTimeout):
            await client.request(new_envelope(Note(text="late")), timeout=0.3)
        await started(Subscription(group, ["testbus.note"], seen))
        await client.publish(new_envelope(Note(text="event")))
        await eventually(lambda: seen.texts() == ["event"])
        await asyncio.sleep(0.3)
        assert seen.texts() == ["event"], "the expired request must not be handled late"

    # --- tracing and causation -------------------------------------------------------

    async def test_trace_context_and_causation_travel_with_the_message(
        self, harness: Harness, started: Callable[..., Awaitable[Bus]]
    ) -> None:
        downstream = Recorder()

        async def relay(message: Message[Any]) -> None:
            await bus.publish(new_envelope(Other(n=1), cause=message.envelope))

        bus = await started(
            Subscription(harness.group("relay"), ["testbus.note"], relay),
            Subscription(harness.group("down"), ["testbus.other.#"], downstream),
        )
        trace_id = uuid.uuid4().int >> 64 << 64 | 1
        parent = SpanContext(trace_id, 0x1234, is_remote=False, trace_flags=TraceFlags(1))
        first = new_envelope(Note(text="t"))
        with trace.use_span(NonRecordingSpan(parent)):
            await bus.publish(first)
        await eventually(lambda: len(downstream.seen) == 1)
        caused = downstream.seen[0].envelope
        assert caused.causation_id == first.message_id
        assert caused.correlation_id == first.correlation_id
        assert caused.trace["traceparent"].split("-")[1] == f"{trace_id:032x}"


def dead_from_headers(headers: dict[str, Any], routing_key: str, body: bytes) -> Dead:
    return Dead(
        reason=str(headers.get(H_DEAD_REASON, "")),
        detail=str(headers.get(H_DEAD_DETAIL, "")),
        routing_key=str(headers.get(H_ORIGINAL_ROUTING_KEY, routing_key)),
        body=body,
    )
